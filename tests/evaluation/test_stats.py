"""The paired bootstrap of ``stats``: its vectorised metrics against scikit-learn on
resamples, ties included, and its intervals on differences that are known."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import average_precision_score, roc_auc_score

from vqvae_lib.evaluation import metrics, stats
from vqvae_lib.evaluation.official import official_groundtruth, official_predictions


def sklearn_ranking(y: np.ndarray, s: np.ndarray) -> dict[str, float]:
    """The four ranking metrics with scikit-learn, tags with one class left out of macro."""
    ok = [j for j in range(y.shape[1]) if 0 < y[:, j].sum() < len(y)]
    return {"roc_auc_macro": np.mean([roc_auc_score(y[:, j], s[:, j]) for j in ok]),
            "pr_auc_macro": np.mean([average_precision_score(y[:, j], s[:, j]) for j in ok]),
            "roc_auc_micro": roc_auc_score(y.ravel(), s.ravel()),
            "pr_auc_micro": average_precision_score(y.ravel(), s.ravel())}


def tied_data(seed: int, n: int = 150, tags: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Labels with a rare tag, a tag with no positive and one with no negative, and
    scores on a coarse grid: many ties, between positives and negatives too."""
    rng = np.random.default_rng(seed)
    y = rng.random((n, tags)) < np.linspace(0.03, 0.4, tags)
    y[:, 1], y[:, 2] = False, True
    s = np.round(rng.random((n, tags)) + 0.3 * y, 1).astype(np.float32)
    return y, s


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_vectorised_metrics_equal_scikit_learn_on_random_resamples(seed):
    y, s = tied_data(seed)
    weights = stats.resample_weights(len(y), 25, seed=seed)
    found = stats.weighted_ranking_metrics(y, s, weights)
    for r, w in enumerate(weights):
        drawn = np.repeat(np.arange(len(y)), w)  # the resample as repeated clips
        expected = sklearn_ranking(y[drawn], s[drawn])
        for key in stats.KEYS:
            assert found[key][r] == pytest.approx(expected[key], abs=1e-12), (key, r)


def test_float_weights_take_the_float64_path_to_the_same_values():
    y, s = tied_data(4)
    counts = stats.resample_weights(len(y), 10, seed=1)
    exact32 = stats.weighted_ranking_metrics(y, s, counts)
    scaled = stats.weighted_ranking_metrics(y, s, counts * 0.5)  # only ratios count
    for key in stats.KEYS:
        np.testing.assert_allclose(scaled[key], exact32[key], rtol=0, atol=1e-12)


def test_one_resample_equals_the_kit_metrics_on_its_clips_with_boolean_scores():
    # The popularity baseline's scores are booleans: two levels, ties everywhere.
    rng = np.random.default_rng(5)
    y = rng.random((120, 4)) < 0.2
    s = rng.random((120, 4)) < 0.5
    w = stats.resample_weights(len(y), 3, seed=9)
    found = stats.weighted_ranking_metrics(y, s, w)
    for r in range(3):
        drawn = np.repeat(np.arange(len(y)), w[r])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a tag may lose a class
            expected = metrics.ranking_metrics(y[drawn], s[drawn])
        for key in stats.KEYS:
            assert found[key][r] == pytest.approx(expected[key], abs=1e-12), key


def test_official_run_on_resamples_and_on_the_full_test_set():
    y, s = official_groundtruth(), official_predictions("paper-run4")
    weights = np.vstack([np.ones((1, len(y)), dtype=np.int32),
                         stats.resample_weights(len(y), 2, seed=0)])
    found = stats.weighted_ranking_metrics(y, s, weights)
    full = metrics.ranking_metrics(y, s)
    for key in stats.KEYS:
        assert found[key][0] == pytest.approx(full[key], abs=1e-12), key
    for r in (1, 2):
        drawn = np.repeat(np.arange(len(y)), weights[r])
        expected = sklearn_ranking(y[drawn], s[drawn])
        for key in stats.KEYS:
            assert found[key][r] == pytest.approx(expected[key], abs=1e-12), (key, r)


def test_a_metric_without_an_evaluable_tag_is_nan():
    y = np.zeros((20, 3), dtype=bool)
    found = stats.weighted_ranking_metrics(y, np.random.default_rng(0).random((20, 3)),
                                           stats.resample_weights(20, 4))
    assert all(np.isnan(v).all() for v in found.values())


def test_resample_weights_count_draws_with_replacement():
    w = stats.resample_weights(50, 200, seed=3)
    assert w.shape == (200, 50) and (w.sum(axis=1) == 50).all() and (w >= 0).all()
    assert (w == stats.resample_weights(50, 200, seed=3)).all()
    assert (w != stats.resample_weights(50, 200, seed=4)).any()
    # Each clip is drawn once per resample on average, and missed in about 1/e of them.
    assert w.mean() == 1 and abs((w == 0).mean() - np.exp(-1)) < 0.02


def gaussian_tags(rng: np.random.Generator, n: int, tags: int) -> tuple:
    """Labels (10% positive) and standard normal noise, ``[n, tags]`` each: scores
    ``noise + shift * y`` have a ROC-AUC of Phi(shift / sqrt(2)) per tag in the
    population."""
    return rng.random((n, tags)) < 0.1, rng.normal(size=(n, tags))


def test_the_interval_covers_a_known_difference():
    # Run A separates each tag by 1.0 standard deviation, run B by 0.6: in the
    # population their ROC-AUC differs by Phi(1/sqrt 2) - Phi(0.6/sqrt 2).
    true_delta = norm.cdf(1.0 / np.sqrt(2)) - norm.cdf(0.6 / np.sqrt(2))
    rng = np.random.default_rng(0)
    covered, draws = 0, 40
    for _ in range(draws):
        y, noise_a = gaussian_tags(rng, 400, 4)
        score_a = noise_a + 1.0 * y
        score_b = rng.normal(size=y.shape) + 0.6 * y
        r = stats.paired_bootstrap(y, score_a, score_b, n_resamples=200, seed=1,
                                   keys=("roc_auc_macro",))["roc_auc_macro"]
        assert r["ci_low"] <= r["delta"] <= r["ci_high"]
        covered += r["ci_low"] <= true_delta <= r["ci_high"]
    # A 95% interval: about 38 of 40 test sets; 32 or fewer would be a broken interval.
    assert covered >= 33, covered


def test_a_clear_difference_holds_and_swapping_the_runs_reverses_it():
    rng = np.random.default_rng(1)
    y, noise = gaussian_tags(rng, 1500, 5)
    better, worse = noise + 1.5 * y, rng.normal(size=y.shape) + 0.3 * y
    ab = stats.paired_bootstrap(y, better, worse, n_resamples=300, seed=2)
    ba = stats.paired_bootstrap(y, worse, better, n_resamples=300, seed=2)
    for key in stats.KEYS:
        assert set(ab[key]) == set(stats.RESULT_KEYS)
        assert ab[key]["ci_low"] > 0 and ab[key]["p_le_0"] == 0
        assert stats.verdict(ab[key]["ci_low"], ab[key]["ci_high"]) == "holds"
        assert ba[key]["delta"] == -ab[key]["delta"]
        assert ba[key]["ci_low"] == pytest.approx(-ab[key]["ci_high"])
        assert stats.verdict(ba[key]["ci_low"], ba[key]["ci_high"]) == "reversed"


def test_identical_runs_differ_by_zero_with_the_interval_zero_to_zero():
    y, s = tied_data(3, n=300)
    result = stats.paired_bootstrap(y, s, s.copy(), n_resamples=100, seed=0)
    for key, r in result.items():
        assert (r["delta"], r["ci_low"], r["ci_high"], r["p_le_0"]) == (0, 0, 0, 1), key
        assert r["a"] == r["b"]
        assert stats.verdict(r["ci_low"], r["ci_high"]) == "not significant"


def test_verdicts():
    assert stats.verdict(0.001, 0.01) == "holds"
    assert stats.verdict(-0.001, 0.01) == "not significant"
    assert stats.verdict(0.0, 0.01) == "not significant"
    assert stats.verdict(-0.01, -0.001) == "reversed"
    assert stats.verdict(float("nan"), float("nan")) == "not significant"
    assert set(stats.VERDICTS) == {"holds", "not significant", "reversed"}


def test_bad_inputs_are_refused():
    y, s = tied_data(0)
    with pytest.raises(ValueError, match="shape"):
        stats.paired_bootstrap(y, s, s[:-1])
    with pytest.raises(ValueError, match="NaN"):
        stats.paired_bootstrap(y, s, np.where(y, np.nan, s))
    with pytest.raises(ValueError, match="non-negative"):
        stats.weighted_ranking_metrics(y, s, np.full((2, len(y)), -1))
    with pytest.raises(ValueError, match="expected some of"):
        stats.weighted_ranking_metrics(y, s, np.ones((1, len(y)), dtype=int), ("f1_macro",))


def test_the_keys_are_the_ranking_metrics_and_no_heavy_library_is_loaded():
    assert stats.KEYS == metrics.RANKING_KEYS
    code = ("import sys, vqvae_lib.evaluation.compare, vqvae_lib.evaluation.stats; "
            "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
