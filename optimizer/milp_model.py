"""The outer-approximation MILP, described once as arrays; ``highs_model`` and ``pulp_model`` hand it
to a solver.

Variables, for the creators ``rows`` of a (reduced) problem, all in one column vector:

* ``y[i,k]`` binary, k = 1..cap_i: creator i gets at least k posts (``y[i,k] <= y[i,k-1]``); the
  k-th post is worth ``rho**(k-1)``, so the exposure weight is ``w_i = sum_k rho**(k-1) y[i,k]``
  exactly, and cost is ``price_i sum_k y[i,k] + fee_i y[i,1]``;
* ``w_i`` continuous (only with a reach objective): one column per creator so that the dense
  creator x cell block is written once, not once per post level;
* ``x_s >= 0`` cell load ``I_s / N_s`` (``x_s <= sum_i load_is w_i``), and ``r_s`` in [0, 1], the
  reached share of cell s, bounded above by tangents of ``1 - exp(-x)``:
  ``r_s <= 1 - exp(-t) (1 + t) + exp(-t) x_s``. Cuts touch only ``(r_s, x_s)``, 2 non-zeros each.

The model minimises ``cost . v`` with ``cost = -objective / scale``; the scale keeps the objective
near 1. Rows, in order: links ``w - sum rho^(k-1) y = 0``, post order, cells, coupling rules
(budget, tier shares and counts), then the tangents added so far. No solver is imported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .problem import Problem, row_members

#: Infinite bound (the same value as ``highspy.kHighsInf``).
INF = math.inf


def tangent(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(slope, intercept) of the tangent of 1 - exp(-x) at t."""
    e = np.exp(-t)
    return e, 1.0 - e * (1.0 + t)


class Rows:
    """Constraint rows as COO triplets: ``low <= sum_c v c-th column <= high`` per row."""

    def __init__(self):
        self.ri, self.ci, self.vals, self.lo, self.hi = [], [], [], [], []
        self.n = 0

    def add(self, r, c, v, low, high) -> None:
        """Rows ``self.n + r`` (``r`` local, 0-based) with entries (r, c, v) and bounds ``low``/``high``."""
        self.ri.append(self.n + np.asarray(r, dtype=np.int64))
        self.ci.append(np.asarray(c, dtype=np.int64))
        self.vals.append(np.asarray(v, dtype=float))
        self.lo.append(np.asarray(low, dtype=float))
        self.hi.append(np.asarray(high, dtype=float))
        self.n += len(self.lo[-1])

    def order(self, level: np.ndarray) -> None:
        """``y[i,k] - y[i,k-1] <= 0`` for every column of level k >= 2 (columns of one creator are
        consecutive, level 1 first)."""
        later = np.flatnonzero(level >= 2)
        k = len(later)
        self.add(np.r_[np.arange(k), np.arange(k)], np.r_[later, later - 1], np.r_[np.ones(k), -np.ones(k)],
                 np.full(k, -INF), np.zeros(k))

    def coupling(self, problem: Problem, rows: np.ndarray, owner: np.ndarray, level: np.ndarray,
                 fixed: np.ndarray | None = None) -> None:
        """One row per coupling rule (budget, tier shares and counts) on the y columns of creators
        ``rows[owner]`` at ``level``; ``fixed`` (posts of creators outside ``rows``) uses part of each."""
        price, fee = problem.price[rows][owner], problem.fee[rows][owner]
        for r in problem.rows:
            members = row_members(problem, r)[rows][owner]
            coef = r.sign * ((price + np.where(level == 1, fee, 0.0)) if r.kind == "cost" else (level == 1))
            nz = np.flatnonzero(members & (coef != 0))
            used = 0.0 if fixed is None else _row_use(problem, r, fixed)
            self.add(np.zeros(len(nz)), nz, coef[nz], [-INF], [r.rhs - used])

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of every row."""
        if not self.lo:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self.lo), np.concatenate(self.hi)

    def matrix(self, n_col: int, fmt: str = "csc") -> sp.spmatrix:
        """The coefficients, duplicates summed (canonical: sorted indices), as CSC or CSR."""
        empty = np.zeros(0, np.int64)
        a = sp.coo_matrix((np.concatenate(self.vals) if self.vals else np.zeros(0),
                           (np.concatenate(self.ri) if self.ri else empty,
                            np.concatenate(self.ci) if self.ci else empty)), shape=(self.n, n_col))
        a = a.tocsc() if fmt == "csc" else a.tocsr()
        a.sum_duplicates()
        return a


def _row_use(problem: Problem, row, posts: np.ndarray) -> float:
    """What ``posts`` put into one coupling row (its left-hand side)."""
    members = row_members(problem, row) & (posts > 0)
    amount = problem.cost(posts) if row.kind == "cost" else np.ones(problem.n)
    return float(row.sign * amount[members].sum())


@dataclass(frozen=True, eq=False)
class Layout:
    """Where each kind of column and row starts."""

    rows: np.ndarray  # creator indices in the problem
    caps: np.ndarray
    y0: np.ndarray  # first y column of each creator
    n_y: int
    w0: int  # first w column (-1 without reach)
    x0: int
    r0: int
    n_col: int
    cell_row0: int
    coupling_row0: int
    n_row: int  # rows before any tangent


@dataclass(frozen=True, eq=False)
class RowBlock:
    """New rows in compressed-row form (``start``: first entry of each row, no end marker)."""

    lower: np.ndarray
    upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray


class MilpModel:
    """The OA MILP for creators ``rows``: columns (``cost``, ``lower``, ``upper``, ``integrality``),
    ``rows`` (COO triplets with bounds) and the ``layout``; built once, tangents appended.

    ``fixed``: posts of creators kept out of the model at those levels (a core problem: only
    ``rows`` are decided). They load the cells (``x_s`` is the total load), use part of every
    coupling rule, and their linear value is the objective's constant ``offset``; plans read
    back (``posts_of``) include them.
    """

    def __init__(self, problem: Problem, rows: np.ndarray, scale: float, must: np.ndarray | None = None,
                 fixed: np.ndarray | None = None):
        self.p, self.scale = problem, float(scale)
        rows = np.asarray(rows, dtype=np.int64)
        if fixed is not None:
            fixed = np.asarray(fixed, dtype=np.int64).copy()
            fixed[rows] = 0
        self.fixed = fixed
        self.offset = 0.0 if fixed is None else -float(problem.linear_value(fixed).sum()) / scale
        #: The fixed creators' load per cell (None without them): the cell rows' right-hand side.
        self.background = None if fixed is None or not problem.w_reach else problem.cell_load(fixed)
        caps = problem.cap[rows]
        keep = caps > 0
        rows, caps = rows[keep], caps[keep]
        must = problem.must[rows] if must is None else must[rows]
        m = len(rows)
        reach = bool(problem.w_reach) and len(problem.cells) > 0
        n_cells = len(problem.cells) if reach else 0
        y0 = np.concatenate([[0], np.cumsum(caps)[:-1]]).astype(np.int64) if m else np.zeros(0, np.int64)
        n_y = int(caps.sum())
        w0 = n_y if reach else -1
        x0 = n_y + (m if reach else 0)
        r0 = x0 + n_cells
        n_col = r0 + n_cells
        owner = np.repeat(np.arange(m), caps)  # local creator of each y column
        level = np.arange(n_y) - y0[owner] + 1  # k of each y column
        self.owner, self.level = owner, level
        # Columns.
        cost = np.zeros(n_col)
        who = rows[owner]
        cost[:n_y] = -(problem.w_impr * problem.rho ** (level - 1.0) * problem.impressions[who]
                       + problem.w_eng * problem.engagements[who]) / scale
        if reach:
            cost[r0:] = -problem.w_reach * problem.population / scale
        lower = np.zeros(n_col)
        upper = np.full(n_col, INF)
        upper[:n_y] = 1.0
        lower[y0[must]] = 1.0
        if reach:
            upper[r0:] = 1.0
        self.cost, self.lower, self.upper = cost, lower, upper
        self.integrality = np.zeros(n_col, dtype=bool)
        self.integrality[:n_y] = True
        # Rows.
        out = Rows()
        if reach:  # link: w_i - sum_k rho^(k-1) y_ik = 0
            out.add(np.r_[np.arange(m), owner], np.r_[w0 + np.arange(m), np.arange(n_y)],
                    np.r_[np.ones(m), -(problem.rho ** (level - 1.0))], np.zeros(m), np.zeros(m))
        out.order(level)
        cell_row0 = out.n
        if reach:  # cell: x_s - sum_i load_is w_i <= 0 (dense block, written once per creator)
            block = sp.coo_matrix(-problem.load[rows])
            out.add(np.r_[np.arange(n_cells), block.col], np.r_[x0 + np.arange(n_cells), w0 + block.row],
                    np.r_[np.ones(n_cells), block.data], np.full(n_cells, -INF),
                    np.zeros(n_cells) if self.background is None else self.background)
        coupling_row0 = out.n
        out.coupling(problem, rows, owner, level, fixed)
        self.rows = out
        self.layout = Layout(rows, caps, y0, n_y, w0, x0, r0, n_col, cell_row0, coupling_row0, out.n)
        self.reach = reach
        self.n_cuts = 0

    def add_tangents(self, cells: np.ndarray, points: np.ndarray) -> RowBlock | None:
        """Append ``r_s - slope x_s <= intercept`` at each (cell, point); return the new rows for a
        solver that already holds the model (None when there is nothing to add)."""
        if not self.reach or len(cells) == 0:
            return None
        lay = self.layout
        slope, intercept = tangent(np.asarray(points, dtype=float))
        k = len(cells)
        index = np.empty(2 * k, dtype=np.int64)
        index[0::2] = lay.r0 + np.asarray(cells)
        index[1::2] = lay.x0 + np.asarray(cells)
        value = np.empty(2 * k)
        value[0::2] = 1.0
        value[1::2] = -slope
        block = RowBlock(np.full(k, -INF), intercept, np.arange(0, 2 * k, 2, dtype=np.int64), index, value)
        self.rows.add(np.repeat(np.arange(k), 2), index, value, block.lower, block.upper)
        self.n_cuts += k
        return block

    def column_names(self) -> list[str]:
        """``y_{i}_{k}``, ``w_{i}``, ``x_{s}``, ``r_{s}`` (i: creator index in the problem)."""
        lay = self.layout
        names = [f"y_{i}_{k}" for i, k in zip(lay.rows[self.owner], self.level)]
        if self.reach:
            names += [f"w_{i}" for i in lay.rows]
            n_cells = lay.r0 - lay.x0
            names += [f"x_{s}" for s in range(n_cells)] + [f"r_{s}" for s in range(n_cells)]
        return names

    # --- solutions ---------------------------------------------------------------------------
    def posts_of(self, col_value: np.ndarray) -> np.ndarray:
        lay = self.layout
        posts = np.zeros(self.p.n, dtype=np.int64) if self.fixed is None else self.fixed.copy()
        y = np.rint(np.asarray(col_value[: lay.n_y]))
        np.add.at(posts, lay.rows[self.owner], y.astype(np.int64))
        return posts

    def columns_of(self, posts: np.ndarray) -> np.ndarray:
        """A full column vector for a plan (for warm starts)."""
        lay, p = self.layout, self.p
        col = np.zeros(lay.n_col)
        n = posts[lay.rows]
        col[: lay.n_y] = (self.level <= n[self.owner]).astype(float)
        if self.reach:
            w = p.weight(n)
            col[lay.w0: lay.w0 + len(lay.rows)] = w
            x = w @ p.load[lay.rows]
            if self.background is not None:
                x = x + self.background
            col[lay.x0: lay.r0] = x
            col[lay.r0:] = -np.expm1(-x)  # true reach share: below every tangent
        return col
