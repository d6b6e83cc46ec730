"""The ``vqvae-kit`` commands, one module each (``vqvae-kit X`` -> ``commands/X.py``).

Each module has ``add_parser(sub)`` and ``main(args)``. A module imports nothing heavy
at import time: the work, and torch with it, is imported inside ``main``, so that
``vqvae-kit --help`` answers at once.
"""
