"""vqvae_lib: VQ-VAE music auto-tagging after Hung et al., MediaEval 2019.

log-mel features -> VQ-VAE pretrained by reconstruction -> encoder (fixed or finetuned)
+ GRU or CNN tagger -> MediaEval 2019 metrics. The notebooks in ``notebooks/`` call
this library one step at a time; ``vqvae-kit run PARAMS.yaml`` executes them in order.

The package is a stack of layers, one folder each (``docs/architecture.md`` draws it).
A module imports only from its own layer and the layers below it, never above:

    cli         the ``vqvae-kit`` entry: one parser built from ``commands/``
    commands    one module per ``vqvae-kit`` command
    inference   tagging new audio with a finished run (``vqvae-kit predict``)
    steps       the five steps, one module per notebook (01 extract .. 05 evaluate)
    runs        a params file bound to its run folder: fingerprints, status, the runner
    analysis    what a run learned: codebook analyses, facts, plots, the report
    evaluation  MediaEval metrics, the bootstrap, baselines, the paper's numbers
    training    the training loop, its state and log, weight averaging, hardware
    models      the vector quantizer, the VQ-VAE, the taggers, checkpoints
    features    the paper's log-mel, extraction planning, the feature store, crops
    settings    params files -> validated settings, the step registry, run-folder names
    datasets    clip tables of MTG-Jamendo, MagnaTagATune, MSD, manifests, the demo set
    utils       settings readers, progress bars, provenance

``settings`` and everything below it import neither torch nor librosa.
"""

__version__ = "0.1.0"

# The layers from the bottom up; ``tests/test_layers.py`` holds the imports to it.
LAYERS = ("utils", "datasets", "settings", "features", "models", "training", "evaluation",
          "analysis", "runs", "steps", "inference", "commands", "cli")
