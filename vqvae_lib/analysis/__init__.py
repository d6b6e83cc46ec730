"""What a run learned, as numbers and pictures.

- ``codebook``: code usage, perplexity, a linear probe, code-tag lift (no torch).
- ``facts``: the checked statements the notebooks print and the tests assert.
- ``plots``: every figure of the notebooks.
- ``report``, ``tables``, ``claims``, ``figure``, ``seed_runs``: ``vqvae-kit report``.

Imports ``evaluation`` and the layers below it.
"""
