"""The vectorised engine agrees with the per-run reference in benchmarks/ (exactly without noise)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from simulate import simulate
from simulate_helpers import make_pool, make_scenario, plan, quiet

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "reference_simulator.py"
_spec = importlib.util.spec_from_file_location("reference_simulator", _PATH)
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


def test_noise_off_every_day_matches_the_reference():
    sc = make_scenario(make_pool(30, fee=250.0), simulation=quiet({"days": 95, "start_day": 3, "post_spacing_days": 4,
                                                                   "churn_rate": 0.01}), n=30)
    posts = plan(30, hired=10)
    ref = reference.simulate_reference(sc, posts, runs=1, days=95, seed=0)
    vec = simulate(sc, posts, runs=3, days=95)
    for metric in ("views", "target_reach", "spend", "followers_gained"):
        np.testing.assert_allclose(vec.series[metric]["mean"], ref[metric][0], rtol=1e-9, atol=1e-9)


def test_noisy_means_agree_within_monte_carlo_error():
    sc = make_scenario(simulation={"days": 30, "view_dispersion": 1.0, "views_per_share": 20.0})
    posts = plan(40)
    n = 400
    ref = reference.simulate_reference(sc, posts, runs=n, days=30, seed=3)
    vec = simulate(sc, posts, runs=n, seed=3)
    for metric in ("views", "target_reach", "likes", "comments", "shares", "spend", "followers_gained"):
        a, b = ref[metric][:, -1], vec.finals[metric].astype(float)
        se = np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
        assert abs(a.mean() - b.mean()) <= 4 * se + 1e-9 * abs(a.mean()), metric
