"""What every column parser of scenarios/cells.py shares: the problem types and pyarrow helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class CellProblem:
    row: int      # 0-based row index into the table
    why: str      # e.g. '"12,5,3" is not a number; write a number such as 2500, 13.9K or 1.4M'


class ColumnError(ValueError):
    """The whole column is unreadable as a unit (mixed decimal marks, open day/month order, ...);
    str(exc) says how to resolve it."""


NUMBER_HINT = "write a number such as 2500, 13.9K or 1.4M"
DATE_HINT = "write it as 2024-03-01 or 2024-03-01 14:30"
ID_DAMAGED = "was changed by a spreadsheet; re-export the id column as text"


def quote(text: str) -> str:
    return '"' + text[:40] + '"'


# ----------------------------------------------------------------------------------------------
# Columns in, columns out
# ----------------------------------------------------------------------------------------------

def strings(values) -> pa.Array:
    """One pyarrow string Array from any accepted column shape (nulls kept)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not isinstance(values, pa.Array):
        if isinstance(values, np.ndarray) and values.dtype.kind == "U":
            values = pa.array(values, type=pa.string())
        else:
            seq = list(values)
            try:
                values = pa.array(seq, type=pa.string())
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                values = pa.array([None if v is None else str(v) for v in seq], type=pa.string())
    if not pa.types.is_string(values.type):   # large_string, numbers, null: one type downstream
        values = pc.cast(values, pa.string())
    return values


def trimmed(values) -> pa.Array:
    """Whitespace-trimmed strings with blanks ('' after trimming) as nulls."""
    text = strings(values)
    # ASCII trimming is twice as fast; NBSP and thin spaces need the Unicode one.
    text = pc.ascii_trim_whitespace(text) if pc.all(pc.string_is_ascii(text)).as_py() is not False \
        else pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)


def mask(array) -> np.ndarray:
    """A boolean pyarrow array as NumPy bool (nulls = False)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def floats(array) -> np.ndarray:
    return np.array(pc.fill_null(pc.cast(array, pa.float64()), np.nan).to_numpy(zero_copy_only=False),
                    dtype=np.float64)  # a writable copy


def texts(array: pa.Array, rows: np.ndarray) -> list[str]:
    return array.take(pa.array(rows, type=pa.int64())).to_pylist() if len(rows) else []


