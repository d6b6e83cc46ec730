"""The five steps of the pipeline, one module per notebook:

- ``extract`` (01): log-mel features of every clip.
- ``pretrain`` (02): the VQ-VAE pretrained by reconstruction.
- ``reconstruct_visualize`` (03): reconstructions, codebook usage, code maps.
- ``tag`` (04): a GRU or CNN tagger on the encoder, fixed or finetuned.
- ``evaluate`` (05): the MediaEval metrics beside the baselines.

Each takes a ``runs.Run`` (its settings, paths and data). Imports every layer below.
"""
