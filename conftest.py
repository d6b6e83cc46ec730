"""Test-session settings shared by the library tests and nbval.

The notebooks' default parameters write under ``$VQVAE_KIT_OUTPUTS``; point it at a
temporary folder so a test run never touches ``outputs/``.
"""

import os
import tempfile

os.environ.setdefault("VQVAE_KIT_OUTPUTS", tempfile.mkdtemp(prefix="vqvae-kit-test-"))
os.environ.setdefault("MPLBACKEND", "Agg")
