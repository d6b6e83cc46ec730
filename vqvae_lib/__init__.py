"""vqvae_lib: VQ-VAE music auto-tagging after Hung et al., MediaEval 2019.

log-mel features -> VQ-VAE pretrained by reconstruction -> encoder (fixed or finetuned)
+ GRU or CNN tagger -> MediaEval 2019 metrics. The notebooks in ``notebooks/`` call
this library one step at a time; ``vqvae-kit run PARAMS.yaml`` executes them in order.
"""

__version__ = "0.1.0"
