"""Scoring: the MediaEval 2019 metrics and what a score is compared with.

- ``metrics``: ROC-AUC, PR-AUC, F-scores, thresholds tuned on validation.
- ``ranking`` and ``stats``: the paired bootstrap over test clips.
- ``compare``: run A against run B; ``files``: metrics of ``.npy`` files.
- ``baselines``: ``mel_stats`` and popularity, scored beside every run.
- ``paper`` and ``official``: the paper's numbers and the official 2019 files (``data/``).
- ``inputs``: reading and checking MediaEval-layout files.

Imports ``features`` (for the baselines' inputs), ``settings``, ``datasets`` and
``utils``; no torch.
"""
