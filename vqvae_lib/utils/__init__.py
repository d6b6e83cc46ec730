"""Helpers every layer may use: settings dataclasses read from plain data (``config``),
progress bars that suit a terminal, a log and JupyterLab (``progress``), the
provenance of a result (``provenance``), and the errors a user fixes (``errors``).

Imports nothing of the kit (the package's ``__version__`` aside), and no torch.
"""
