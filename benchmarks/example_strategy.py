"""The worked example of docs/optimizer.md ("Writing your own strategy"), kept runnable.

``reachmix optimize scenario.toml --strategy benchmarks.example_strategy:CheapestFirst`` (from the
repository root) or ``reachmix bench --strategy benchmarks.example_strategy:CheapestFirst``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer import Problem
from optimizer.builder import PlanBuilder
from scenarios import Plan


@dataclass(frozen=True)
class CheapestFirst:
    """Buy one post from the cheapest creators until the budget runs out."""

    name: str = "cheapest-first"

    def select(self, scenario, *, problem=None):
        problem = problem or Problem.build(scenario)
        b = PlanBuilder(problem)  # checks budget, caps, tier max rules for you
        b.fill_minimums(lambda rows: rows[np.argsort(problem.price[rows], kind="stable")])
        for i in np.argsort(problem.price, kind="stable"):
            if b.posts[i] == 0 and b.can_add(int(i)):
                b.add(int(i))
        value = scenario.objective.value(problem.model.evaluate(b.posts).metrics())
        broken = b.broken_rules()
        return Plan(posts=b.posts, strategy=self.name, status="infeasible" if broken else "feasible",
                    objective_value=value, stats={"violations": broken})
