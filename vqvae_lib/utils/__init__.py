"""Helpers every layer may use: settings dataclasses read from plain data (``config``),
progress bars that suit a terminal, a log and JupyterLab (``progress``), and the
provenance of a result (``provenance``).

Imports nothing of the kit (the package's ``__version__`` aside), and no torch.
"""
