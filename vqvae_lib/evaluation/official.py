"""The official MediaEval 2019 Emotion and Theme test files, shipped with the kit.

``data/mediaeval2019.npz`` holds the task's test ground truth (MTG-Jamendo split-0
mood/theme, ``MOODTHEME_TEST_CLIPS`` clips x the 56 ``MOODTHEME_TAGS`` in the official
row and column order) and the predictions and decisions of the paper's five runs and of
the organisers' two baselines, exactly as distributed (``data/mediaeval2019.md`` gives
their source, licence and layout). ``vqvae-kit report --official`` and the tests of the
metrics use them; nothing here needs the MTG-Jamendo audio.

Runs are named by ``runs_file``, the prefix of their official files in the paper's
table (``paper_table()``): ``paper-run1`` .. ``paper-run5``, ``vggish``, ``popular``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

OFFICIAL_FILE = "mediaeval2019.npz"
OFFICIAL_RUNS = ("paper-run1", "paper-run2", "paper-run3", "paper-run4", "paper-run5",
                 "vggish", "popular")


@cache
def official_array(key: str) -> np.ndarray:
    """One official array, unpacked: ``groundtruth``, ``<run>_predictions`` or
    ``<run>_decisions`` for a run of ``OFFICIAL_RUNS``.

    Returns:
        ``[4231, 56]``: bool for the ground truth, the decisions and the popularity
        baseline's predictions (boolean in the official file); float32 otherwise. Cached
        and read-only: copy it to change it.
    """
    with resources.files(__package__).joinpath("data", OFFICIAL_FILE).open("rb") as f:
        with np.load(f) as z:
            if key not in z.files or key == "shape":
                known = ", ".join(k for k in z.files if k != "shape")
                raise KeyError(f"{OFFICIAL_FILE} has no array {key!r}; it has {known}")
            shape = tuple(int(v) for v in z["shape"])
            a = z[key]
    if a.dtype == np.uint8:  # a boolean array, stored bit-packed
        a = np.unpackbits(a, count=shape[0] * shape[1]).reshape(shape).astype(bool)
    a.flags.writeable = False
    return a


def official_groundtruth() -> np.ndarray:
    """bool ``[4231, 56]``: the official test ground truth."""
    return official_array("groundtruth")


def official_predictions(run: str) -> np.ndarray:
    """``[4231, 56]``: the official test predictions of ``run`` (``OFFICIAL_RUNS``)."""
    return official_array(f"{run}_predictions")


def official_decisions(run: str) -> np.ndarray:
    """bool ``[4231, 56]``: the official test decisions of ``run`` (``OFFICIAL_RUNS``)."""
    return official_array(f"{run}_decisions")
