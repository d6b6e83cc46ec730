"""The networks of the paper, and their checkpoints.

- ``quantizer``: the vector quantizer (``docs/quantizer.md``).
- ``vqvae``: the Type-1 and Type-2 VQ-VAE (encoder, quantizer, decoder).
- ``taggers``: the GRU tagger and Pons' CNN tagger.
- ``checkpoint``: saving and loading with provenance, ``weights_only``.

Settings come from ``settings.models``. Imports ``settings`` and ``utils``.
"""

from .quantizer import VectorQuantizer
from .taggers import GRUTagger, PonsCNNTagger, build_tagger
from .vqvae import VQVAE, count_parameters

__all__ = ["VQVAE", "GRUTagger", "PonsCNNTagger", "VectorQuantizer", "build_tagger",
           "count_parameters"]
