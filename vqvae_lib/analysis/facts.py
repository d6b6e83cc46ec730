"""Did the models learn? Facts that hold under numeric noise, not digits of one run.

The notebooks' checked cells print these facts (``text: True``), and the tests assert
them, so a run that stops learning turns ``make test`` red while a harmless change in
the last digit of a score does not. The thresholds are for the tiny test run
(``params/tiny.yaml``); on other data they are a floor to read against, not a target.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_VALIDATION_ROC_AUC = 0.80  # chance is 0.5
MIN_CODE_USAGE = 0.60  # share of the K codes chosen at least once on held-out clips


@dataclass(frozen=True)
class Fact:
    """One checked statement about a run: ``text`` is stable, ``value`` is the measured
    figure it was judged on (shown elsewhere, never in a checked cell)."""

    text: str
    holds: bool
    value: float

    def __str__(self) -> str:
        return f"{self.text}: {self.holds}"


def tagger_facts(metrics: dict, min_roc_auc: float = MIN_VALIDATION_ROC_AUC) -> list[Fact]:
    """From ``metrics.json`` (or ``evaluate_run``'s ``metrics``): the tagger ranks the
    validation clips well above chance."""
    roc = float(metrics["validation"]["roc_auc_macro"])
    return [Fact(f"tagger validation ROC-AUC macro at least {min_roc_auc:.2f}",
                 roc >= min_roc_auc, roc)]


def codebook_facts(used_codes: int, K: int, min_usage: float = MIN_CODE_USAGE) -> list[Fact]:
    """From 03's summary (``used_codes`` of ``K`` on the held-out split): the quantizer
    did not collapse onto a few codes."""
    share = used_codes / max(K, 1)
    return [Fact(f"codes in use: at least {min_usage:.0%} of K = {K}", share >= min_usage, share)]


def failures(facts: list[Fact]) -> list[Fact]:
    """The facts that do not hold."""
    return [f for f in facts if not f.holds]


__all__ = ["Fact", "MIN_CODE_USAGE", "MIN_VALIDATION_ROC_AUC", "codebook_facts", "failures",
           "tagger_facts"]
