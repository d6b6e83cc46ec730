"""How models are trained: the loop shared by pretraining and tagging.

- ``trainer``: epochs, validation, early stopping, exact resume from ``last.pt``.
- ``state``: the counters each checkpoint keeps; ``log``: the CSV training log.
- ``averaging``: cosine learning rate and a moving average of the weights.
- ``hardware``: device, precision and memory format for the CPU or GPU at hand.
- ``codes``: the code indices of a fixed encoder, computed once and cached.

Imports ``models``, ``features``, ``settings`` and ``utils``.
"""
