"""Settings: a params file read into validated, frozen dataclasses, and the names a run's
files take.

- ``params``: the loader (``extends``, duplicate keys, unknown keys named in their file)
  and ``RunParams``, the whole run.
- ``features``, ``models``, ``training``, ``steps``: one module per group of sections.
- ``registry``: the five steps and ``RunPaths``, every file of a run folder.
- ``archive``: ``previous/``, where a redone step's outputs are kept.

Imports ``utils`` and ``datasets`` only, and neither torch, librosa nor scikit-learn:
the command line and the notebooks read settings without loading a model.
"""
