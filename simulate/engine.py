"""The vectorised SimPy engine: one SimPy environment simulates a whole chunk of runs.

SimPy schedules the campaign's events (a process per hired creator books the fee on hire and puts
each post live on its day; a daily process records the state). Each event updates NumPy arrays
whose last axis is the chunk's runs, so there is no Python loop over runs; the per-run reference
in ``benchmarks/reference_simulator.py`` is the same model one run at a time.

Randomness: every draw is made up front, block by block (``assumptions.BLOCK_RUNS`` runs), from
``SeedSequence(seed, spawn_key=(block,))``. A run's numbers therefore depend only on the seed and
its block, not on the chunking or the process that computes it, and every per-run operation below
is elementwise (no BLAS reductions over runs), so chunked, serial and parallel runs are identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from . import assumptions
from .metrics import STORED
from .schedule import Prepared


@dataclass(frozen=True, eq=False)
class ChunkResult:
    first_run: int
    #: Per-run cumulative series, float32, shape (len(STORED), days, runs).
    series: np.ndarray
    #: Exact (float64) sums over each block's runs, shape (blocks, len(STORED), days).
    block_sums: np.ndarray


def block_rng(seed: int, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(block),)))


def draw_block(prep: Prepared, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The per-post random outcomes of ``n`` runs, shape (posts, n). The order of draws is part of the seed contract."""
    shape = (prep.n_posts, n)
    z = rng.standard_normal(shape)
    live = rng.random(shape) >= prep.failure
    sig = prep.sigma[:, None]
    # Mean-preserving log-normal: E[exp(sZ - s^2/2)] = 1, and exactly 1 when s = 0.
    base = prep.views[:, None] * np.exp(sig * z - 0.5 * sig * sig) * live
    # Shares of the post's own views are drawn; each brings views_per_share views, which are shared
    # again at ratio q (bounded by cascade_cap): later generations add their expected views and shares,
    # a geometric series, so total shares = S / (1 - q) and extra views = views_per_share * S / (1 - q).
    amplify = 1.0 / (1.0 - prep.cascade_q)[:, None]
    shares = rng.poisson(base * prep.shares_rate[:, None]) * amplify
    return {"views": base + prep.views_per_share * shares, "live": live, "shares": shares}


def draw_chunk(prep: Prepared, seed: int, blocks: list[tuple[int, int]]):
    """Draws of several blocks side by side (a loop over blocks, never over runs), and the blocks'
    generators, which later draw the likes and comments of each post day."""
    out, start, gens = {}, 0, []
    runs = sum(m for _, m in blocks)
    for b, n in blocks:
        rng = block_rng(seed, b)
        part = draw_block(prep, rng, n)
        if not out:
            out = {k: np.empty((v.shape[0], runs), dtype=v.dtype) for k, v in part.items()}
        for k, v in part.items():
            out[k][:, start:start + n] = v
        gens.append((rng, slice(start, start + n)))
        start += n
    return out, gens


class _Campaign:
    """The chunk's state; SimPy processes call its methods at event times."""

    def __init__(self, prep: Prepared, draws: dict[str, np.ndarray], gens, block_starts: np.ndarray):
        self.prep, self.draws, self.gens, self.block_starts = prep, draws, gens, block_starts
        runs = draws["views"].shape[1]
        u, c = prep.slot_days.size, prep.n_cells
        # What went live on each post day, per run: views, interactions and target impressions.
        self.slot_views = np.zeros((u, runs))
        self.slot_likes = np.zeros((u, runs))
        self.slot_comments = np.zeros((u, runs))
        self.slot_shares = np.zeros((u, runs))
        self.slot_imp = np.zeros((u, c, runs))  # cells x runs: a cell's runs are contiguous
        self.spend = np.zeros(runs)
        self.exposure = np.zeros(runs)  # followers of the creators whose posts are live
        self.followers = np.zeros(runs)
        self.reach = np.zeros(runs)
        days = prep.days
        self.series = np.zeros((len(STORED), days, runs), dtype=np.float32)
        self.block_sums = np.zeros((len(block_starts), len(STORED), days))

    def go_live(self, j: int) -> None:
        p, d, u = self.prep, self.draws, self.prep.slot[j]
        views = d["views"][j]
        self.slot_views[u] += views
        # Expected likes and comments for now; settle() draws them once per post day.
        self.slot_likes[u] += views * p.likes_rate[j]
        self.slot_comments[u] += views * p.comments_rate[j]
        self.slot_shares[u] += d["shares"][j]
        # Target impressions scale with the post's realised views (V_i > 0 guaranteed by the pool).
        ratio = views / p.views[j] if p.views[j] > 0 else np.zeros_like(views)
        self.slot_imp[u] += p.impressions[j][:, None] * ratio[None, :]
        live = d["live"][j]
        self.spend += p.price[j] * live
        self.exposure += p.followers[j] * live

    def settle(self, u: int) -> None:
        """Draw the likes and comments of post day ``u``: Poisson around views x rate.

        A sum of independent Poisson counts is Poisson with the summed mean, so one draw per post day
        gives every reported total exactly the distribution of per-post draws, at a fraction of the cost.
        """
        for rng, cols in self.gens:  # blocks in order: the same numbers whatever the chunking
            self.slot_likes[u, cols] = rng.poisson(self.slot_likes[u, cols])
            self.slot_comments[u, cols] = rng.poisson(self.slot_comments[u, cols])

    def record(self, day: int) -> None:
        p = self.prep
        runs = self.spend.size
        views, likes, comments, shares = (np.zeros(runs) for _ in range(4))
        imp = np.zeros((p.n_cells, runs))
        # Sum over post days in a fixed order, elementwise: identical per run whatever the chunk.
        for u in range(int(np.searchsorted(p.slot_days, day, side="right"))):
            a = p.curve[day - p.slot_days[u]]
            views += a * self.slot_views[u]
            likes += a * self.slot_likes[u]
            comments += a * self.slot_comments[u]
            shares += a * self.slot_shares[u]
            imp += a * self.slot_imp[u]
        reach = np.zeros(runs)
        for c, n in enumerate(p.population):  # cell by cell: a fixed summation order for every run
            reach += n * -np.expm1(-imp[c] / n)
        # Followers: newly reached target people convert at follow_rate; gained followers churn daily.
        self.followers = self.followers * (1.0 - p.churn_rate) + p.follow_rate * (reach - self.reach)
        self.reach = reach
        values = (views, reach, likes, comments, shares, self.followers, self.spend, self.exposure)
        for m, v in enumerate(values):
            self.series[m, day] = v
            self.block_sums[:, m, day] = np.add.reduceat(v, self.block_starts)


def _creator(env: simpy.Environment, camp: _Campaign, fee: float, posts: np.ndarray):
    camp.spend += fee  # fees are booked on hire, at the start of the campaign
    for j in posts:
        yield env.timeout(int(camp.prep.day[j]) - env.now)
        camp.go_live(int(j))


def _days(env: simpy.Environment, camp: _Campaign):
    slots = {int(t): u for u, t in enumerate(camp.prep.slot_days)}
    for day in range(camp.prep.days):
        yield env.timeout(day + assumptions.RECORD_OFFSET - env.now)
        if day in slots:  # every post of this day is live: settle its interactions
            camp.settle(slots[day])
        camp.record(day)


def run_chunk(prep: Prepared, seed: int, blocks: list[tuple[int, int]], first_run: int) -> ChunkResult:
    """Simulate the runs of ``blocks`` ((block id, runs) pairs, consecutive) in one SimPy environment."""
    draws, gens = draw_chunk(prep, seed, blocks)
    sizes = np.array([n for _, n in blocks])
    camp = _Campaign(prep, draws, gens, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    env = simpy.Environment()
    by_creator = np.split(np.arange(prep.n_posts), np.flatnonzero(np.diff(prep.creator)) + 1) if prep.n_posts else []
    posts_of = {int(prep.creator[js[0]]): js for js in by_creator if js.size}
    for row, fee in zip(prep.hired, prep.hired_fees):
        env.process(_creator(env, camp, float(fee), posts_of.get(int(row), np.array([], dtype=int))))
    env.process(_days(env, camp))
    env.run(until=prep.days)
    return ChunkResult(first_run=first_run, series=camp.series, block_sums=camp.block_sums)
