"""The accumulation curve reproduces the published TikTok points; defaults are in sync."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scenarios import SimulationSettings
from simulate import AccumulationCurve
from simulate import assumptions
from simulate.curve import share_by_age


@pytest.mark.parametrize("age, share", sorted(assumptions.PUBLISHED_ACCUMULATION.items()))
def test_default_curve_hits_published_points(age, share):
    # The published figures are given to whole percent; we ask for half a point.
    assert float(AccumulationCurve()(age)) == pytest.approx(share, abs=0.005)


def test_curve_shape():
    c = AccumulationCurve()
    ages = np.linspace(0, 200, 4001)
    a = c(ages)
    assert a[0] == 0.0 and np.all(np.diff(a) >= 0)
    assert np.all(a[ages >= 90] == 1.0) and np.all(a[ages < 90] < 1.0)
    # Heavy tail: more views arrive after the first week than in it.
    assert 1 - c(7) > 0.4


def test_custom_curve_parameters():
    assert share_by_age(1.0, 0.5, 2.0, 30.0) == pytest.approx(0.5)
    assert share_by_age(30.0, 0.5, 2.0, 30.0) == 1.0
    assert share_by_age(0.5, 0.5, 2.0, 30.0) == pytest.approx(0.25)
    # T <= 1: everything arrives in the first day.
    assert share_by_age([0.5, 1.0, 3.0], 0.3, 1.0, 1.0).tolist() == [0.5, 1.0, 1.0]


def test_daily_table_is_share_by_end_of_each_day():
    c = AccumulationCurve(0.3, 1.0, 10)
    np.testing.assert_allclose(c.daily(12), c(np.arange(1, 13)))
    assert c.daily(12)[9:].tolist() == [1.0, 1.0, 1.0]


def test_settings_defaults_match_assumptions():
    s = SimulationSettings()
    table = assumptions.defaults_table()
    for key, value in table.items():
        assert getattr(s, key) == value, key
    names = {f.name for f in dataclasses.fields(SimulationSettings)}
    assert {f"view_dispersion_{t}" for t in ("nano", "micro", "mid", "macro", "mega")} <= names


def test_new_simulation_keys_are_read_and_bounded():
    from scenarios import ScenarioError
    from simulate_helpers import make_scenario

    sc = make_scenario(simulation={"view_dispersion_micro": 0.4, "accrual_day1_share": 0.5, "accrual_days": 30,
                                   "cascade_cap": 0.2})
    s = sc.simulation
    assert (s.view_dispersion_micro, s.view_dispersion_mega, s.accrual_day1_share, s.accrual_days, s.cascade_cap) == \
        (0.4, None, 0.5, 30, 0.2)
    for bad in ({"accrual_day1_share": 0}, {"cascade_cap": 0.99}, {"accrual_days": 2.5}, {"view_dispersion_nano": -1}):
        with pytest.raises(ScenarioError):
            make_scenario(simulation=bad)
