"""Columns of cell text built by Arrow, and the CSV they make (``scenarios.generate``'s writer).

Formatting a million creators' cells one ``f"..."`` at a time was most of ``reachmix generate``'s
time (issue 12); these build each column in a few Arrow kernels and the CSV as one buffer, with the
same text to the byte as Python's formatting and ``csv`` module for the cells generate writes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TEXT = pa.large_string()


def text(values) -> pa.Array:
    """Whole numbers (or Python strings) as a column of cell text."""
    if isinstance(values, np.ndarray):
        return pc.cast(pa.array(values.astype(np.int64)), TEXT)
    return pa.array(values, type=TEXT)


def join(*parts, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, pa.scalar(sep, TEXT))


def fixed_units(units: np.ndarray, decimals: int) -> pa.Array:
    """Non-negative integers of 1/10**decimals as decimal text: 734 -> "0.0734" (4 decimals)."""
    scale = 10**decimals
    top = int(units.max(initial=0))
    if top <= 100_000:  # shares and rates: look the text up in a table of every value (fastest)
        table = pa.array([f"{u // scale}.{u % scale:0{decimals}d}" for u in range(top + 1)], type=TEXT)
        return table.take(pa.array(units))
    return join(text(units // scale), pc.utf8_lpad(text(units % scale), decimals, "0"), sep=".")


def fixed(x: np.ndarray, decimals: int) -> tuple[pa.Array, np.ndarray]:
    """Non-negative floats as ``f"{x:.{decimals}f}"`` text, and the values that text reads as.

    ``rint(x * 10**d)`` is the correctly rounded figure except where the product lands within
    rounding error of a half; those few are formatted by Python, so the text is byte for byte
    what ``format`` gives."""
    scale = 10**decimals
    scaled = x * scale
    units = np.rint(scaled).astype(np.int64)
    near_half = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for i in near_half.tolist():
        units[i] = int(f"{x[i]:.{decimals}f}".replace(".", ""))
    return fixed_units(units, decimals), units / scale


def columns_csv(columns: Mapping[str, pa.Array]) -> tuple[bytes, memoryview]:
    """(header, body) of the CSV ``csv.DictWriter`` writes for the same cells (``\\n`` line ends),
    built by Arrow: the body is one buffer of every row joined by "," and ended by "\\n". The cells
    must need no quoting (no comma, quote or line break: generate's are numbers and words from its
    fixed vocabularies, which tests/test_generate.py checks); the header goes through the csv module."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(list(columns))
    lines = join(join(*columns.values(), sep=","), pa.scalar("\n", TEXT))
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset: lines.offset + len(lines) + 1]
    body = memoryview(lines.buffers()[2])[offsets[0]: offsets[-1]]
    return buffer.getvalue().encode("utf-8"), body
