"""Tagging new audio with a finished run (``vqvae-kit predict``): the run's own features,
encoder, tagger and thresholds, from its folder alone.

- ``predict``: load a run's tagger, score files.
- ``output``: the result as text, JSON, CSV or embeddings.
"""
