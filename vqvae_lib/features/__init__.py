"""The paper's input features and where they are kept.

- ``logmel``: the scaled log-mel of a clip (librosa), and Griffin-Lim back to audio.
- ``plan`` and ``pool``: which clips extraction still has to do, and the worker pool.
- ``layout`` and ``store``: the feature folder (one float16 array per split, an index,
  a report) and its reader.
- ``crops``: random training crops and the tiles that cover a whole clip.

Imports ``settings``, ``datasets`` and ``utils``.
"""
