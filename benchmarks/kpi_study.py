"""What choosing for the KPIs buys (issue 11): the KPI plan against the reach-optimal plan, out of sample.

    python -m benchmarks.kpi_study            # the bundled Istanbul example + 20 generated scenarios
    python -m benchmarks.kpi_study --draws    # the in-sample vs out-of-sample gap for M = 50..400

For every scenario, the priority-1 and priority-2 KPI probabilities of

* ``reach, rule``: the reach-optimal plan posted on today's rule (``start_day + k x post_spacing_days``);
* ``reach, schedule``: the same plan on the earliest schedule the scenario's ``[schedule]`` rules allow
  (schedule only);
* ``kpi``: ``optimize --for-kpis`` (creators, posts and the earliest schedule; both),

each from an independent 2,000-run simulation (seed + 1; the KPI plan's draws used the seed).
Generated scenarios: ``write_example(n=300, seed)`` pools; ``[schedule] min_spacing_days = 3`` (a
common contract minimum; today's rule spaces posts 7 days); priority 1 = views by day 21, priority 2
= target reach by day 42, with targets at the reach plan's simulated median times a factor cycling
through 0.8, 1.0, 1.2, 1.5 (so the baseline sits where the choice matters, from likely to unlikely).
The targets are set from the baseline's forecast, never from the KPI plan's.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ISTANBUL = ROOT / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml"
RUNS = 2000
FACTORS = (0.8, 1.0, 1.2, 1.5)


def _probabilities(scenario, posts, days, seed):
    from simulate import simulate

    rows = simulate(scenario, posts, runs=RUNS, seed=seed, post_days=days).kpi_rows()
    return [r["probability"] for r in rows]


def study_one(scenario, draws: int, stage_seconds: float):
    from scenarios.calendar import rule_days
    from whatif.kpi_plan import kpi_plan

    seed = int(scenario.simulation.seed)
    start = time.perf_counter()
    found = kpi_plan(scenario, draws=draws, check_runs=RUNS, time_limit=stage_seconds * len(scenario.kpis) + 10)
    seconds = time.perf_counter() - start
    reach = found.reach_plan
    rule = _probabilities(scenario, reach.posts, rule_days(scenario, reach.posts), seed + 1)
    sched = [k["reach_plan_probability"] for k in found.kpis]
    kpi = [k["probability"] for k in found.kpis]
    ins = [k["in_sample"] for k in found.kpis]
    return rule, sched, kpi, ins, seconds


def generated(seed: int, out: Path):
    import optimizer
    from scenarios import KpiTarget, load_scenario
    from scenarios.generate import write_example
    from simulate import simulate

    path, _ = write_example(out / f"s{seed}", 300, seed)
    sc = load_scenario(path)
    sc = dataclasses.replace(sc, schedule=dataclasses.replace(sc.schedule, min_spacing_days=3),
                             simulation=dataclasses.replace(sc.simulation, days=max(sc.simulation.days, 43)))
    reach = optimizer.optimize(sc, "milp")
    probe = dataclasses.replace(sc, kpis=(KpiTarget("views", 1.0, 21, 1), KpiTarget("target_reach", 1.0, 42, 2)))
    res = simulate(probe, reach.posts, runs=500, seed=seed + 7)
    factor = FACTORS[seed % len(FACTORS)]
    # Medians over runs of the cumulative metric on that day (the simulator's daily p50).
    views21 = float(res.series["views"]["p50"][21])
    reach42 = float(res.series["target_reach"]["p50"][42])
    return dataclasses.replace(sc, kpis=(KpiTarget("views", round(factor * views21, -2), 21, 1),
                                         KpiTarget("target_reach", round(reach42, -2), 42, 2)))


def main(argv: list[str]) -> int:
    from scenarios import load_scenario

    if "--draws" in argv:
        sc = load_scenario(ISTANBUL)
        print("| M | in-sample P1 | out-of-sample P1 | gap (points) | seconds |")
        print("|---|---|---|---|---|")
        for m in (50, 100, 200, 400):
            rule, sched, kpi, ins, seconds = study_one(sc, m, 20.0)
            print(f"| {m} | {ins[0]:.1%} | {kpi[0]:.1%} | {100 * (ins[0] - kpi[0]):+.1f} | {seconds:.0f} |", flush=True)
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("istanbul-beauty", lambda: load_scenario(ISTANBUL))]
        cases += [(f"generated seed {s}", lambda s=s: generated(s, Path(tmp))) for s in range(1, 21)]
        print("| scenario | P1 reach, rule | P1 reach, schedule | P1 kpi | P2 reach, rule | P2 reach, schedule "
              "| P2 kpi | seconds |")
        print("|---|---|---|---|---|---|---|---|")
        for name, make in cases:
            sc = make()
            rule, sched, kpi, ins, seconds = study_one(sc, 100, 10.0)
            rows.append((rule, sched, kpi))
            cells = " | ".join(f"{p:.1%}" for p in (rule[0], sched[0], kpi[0], rule[1], sched[1], kpi[1]))
            print(f"| {name} | {cells} | {seconds:.0f} |", flush=True)
    arr = np.array([[r[0], s[0], k[0]] for r, s, k in rows])
    print(f"\nmean P1: reach, rule {arr[:, 0].mean():.1%}; reach, schedule {arr[:, 1].mean():.1%}; "
          f"kpi {arr[:, 2].mean():.1%}; kpi below reach, rule by more than 3 points in "
          f"{int((arr[:, 2] < arr[:, 0] - 0.03).sum())} of {len(arr)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
