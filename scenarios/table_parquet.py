"""Parquet files as ``scenarios.table.Table``: the pool a platform's export job writes (issue 12).

``[pool] file = "creators.parquet"`` reads like a CSV pool: the same header mapping (case-insensitive
names, built-in aliases, ``--map`` / ``[pool.columns]``, the "looks like" warnings), the same
``Table`` shape and therefore every validation and located error of ``scenarios/pool_csv.py``.

- Only the columns reachmix reads are read (known names, their aliases or mappings, ``loc_*``), from
  a memory-mapped file: a wide export costs the memory of the columns we use, nothing more.
- Integer and floating columns pass through as numbers (``scenarios.cells.parse_numbers`` takes
  them in one cast; a string detour costs 2-3x on a million rows). A NaN in a float column is a
  blank cell (data frames write missing values as NaN); an infinity is a bad cell. Decimals become
  floats. Strings (plain, large, dictionary-encoded) are stripped and a null is ``''``, as in a CSV.
  Dates, times and booleans become their text (``2025-03-14``, ``true``) and are parsed, or
  reported, like the same text in a CSV. ``handle`` and ``tags`` are always text; ``tags`` may also
  be a list of strings (joined with ``;``). Any other list, struct or map column, and bytes that are
  not UTF-8, are one-line errors naming the file and the column.
- "row N" in messages is the N-th line of the equivalent CSV: the column names are row 1 and the
  first data row is row 2 (the N-th data row is row N + 1), so a Parquet file exported from a CSV
  names the same rows.
- A file that is named ``.parquet`` but is not Parquet (no ``PAR1`` magic), a truncated or corrupt
  file, and an empty one are one-line errors too, never a pyarrow traceback.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .cells import fold_name
from .errors import ReachmixError
from .files import open_input
from .limits import READ_OVERHEAD, format_bytes, memory_limit
from .table import ALIASES, RESEARCH_API_IGNORED, ReadOptions, Table, resolve_headers

#: Every Parquet file starts and ends with these four bytes.
MAGIC = b"PAR1"
#: File names read as Parquet whatever their first bytes (then a missing MAGIC is an error).
SUFFIXES = (".parquet", ".pq", ".parq")
#: Columns that are always text (their values are names, not numbers).
TEXT_COLUMNS = ("handle", "tags")
#: Columns that may be a list of strings (joined with this separator, as in a CSV cell).
LIST_COLUMNS = {"tags": ";"}


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` should be read as Parquet: by its suffix, or a regular file starting with PAR1.

    Never raises and never blocks (a FIFO or a missing file is "no": the text reader reports it).
    """
    if Path(path).suffix.lower() in SUFFIXES:
        return True
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except (OSError, ValueError):
        return False


def is_parquet_bytes(data: bytes | str) -> bool:
    """Whether content already in memory is a Parquet file (starts with PAR1)."""
    return isinstance(data, (bytes, bytearray, memoryview)) and bytes(data[:len(MAGIC)]) == MAGIC


def read_parquet_table(path: str | Path, *, required: Sequence[str], known: Sequence[str],
                       aliases: Mapping[str, Sequence[str]] = ALIASES, options: ReadOptions = ReadOptions(),
                       error: type[ReachmixError], what: str, fix_path: str = "check the path",
                       directory: str = "give a file, not a folder", row_name: str = "record",
                       prefixes: Sequence[str] = (), ignored: Sequence[str] = RESEARCH_API_IGNORED) -> Table:
    """``scenarios.table.read_table`` for a Parquet file (same arguments; see the module docstring)."""
    with open_input(path, error, what=f"{what} file", fix_path=fix_path, directory=directory) as fh:
        try:
            head = fh.read(len(MAGIC))
        except OSError as exc:
            raise error(f"{path}: cannot read the {what} file ({exc.strerror})") from None
    if head != MAGIC:
        raise error(f"{path}: {_not_parquet(head)}")
    try:
        source = pa.memory_map(str(path))
    except (OSError, pa.ArrowException) as exc:
        raise error(f"{path}: cannot read the {what} file ({_short(exc)})") from None
    with source:
        return _table(source, str(path), required=required, known=known, aliases=aliases, options=options,
                      error=error, what=what, row_name=row_name, prefixes=prefixes, ignored=ignored)


def parse_parquet_table(data: bytes, source: str, *, required: Sequence[str], known: Sequence[str],
                        aliases: Mapping[str, Sequence[str]] = ALIASES, options: ReadOptions = ReadOptions(),
                        error: type[ReachmixError], what: str, row_name: str = "record",
                        prefixes: Sequence[str] = (), ignored: Sequence[str] = RESEARCH_API_IGNORED) -> Table:
    """``read_parquet_table`` of a Parquet file's bytes already in memory (``source`` names it)."""
    return _table(pa.BufferReader(pa.py_buffer(data)), source, required=required, known=known, aliases=aliases,
                  options=options, error=error, what=what, row_name=row_name, prefixes=prefixes, ignored=ignored)


def _not_parquet(head: bytes) -> str:
    if not head:
        return "the file is empty; export the pool again as Parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if text in (b"[", b"{"):
        shape = "it looks like JSON: rename it to .json"
    elif head.isascii() and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        shape = "it looks like text (a CSV?): rename it to .csv"
    else:
        shape = "export it again as Parquet"
    return f"is not a Parquet file (it does not start with {MAGIC.decode()}); {shape}"


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _table(source, name: str, *, required, known, aliases, options: ReadOptions, error, what: str, row_name: str,
           prefixes, ignored) -> Table:
    broken = f"{name}: is not a readable Parquet file"
    try:
        parquet = pq.ParquetFile(source)
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise error(f"{broken} ({_short(exc)}); export it again, or check that it was copied whole") from None
    headers = [str(h) for h in schema.names]
    names, shown, warnings = resolve_headers(headers, name, required, known, aliases, options.mapping, error,
                                      prefixes, ignored, None)
    wanted = {c: j for c, j in names.items()
              if c in known or any(c.startswith(p) and len(c) > len(p) for p in prefixes)}
    for column, j in wanted.items():
        _check_type(schema.field(j).type, column, headers[j], name, error)
    n = parquet.metadata.num_rows
    if not n:
        raise error(f"{name}: the {what} is empty; add one row per {row_name}")
    _check_memory(parquet.metadata, {headers[j] for j in wanted.values()}, name, what, error)
    try:
        data = parquet.read(columns=[headers[j] for j in wanted.values()], use_threads=True)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise error(f"{broken} ({_short(exc)}); export it again, or check that it was copied whole") from None
    if data.num_rows != n:  # pragma: no cover - the footer and the data disagree: a damaged file
        raise error(f"{broken} (the footer says {n} rows, the data holds {data.num_rows}); export it again")
    columns = {c: _column(data.column(k), c, headers[j], name, error) for k, (c, j) in enumerate(wanted.items())}
    del data
    return Table(source=name, columns=columns, headers=MappingProxyType({c: shown[c] for c in wanted}),
                 lines=np.arange(2, n + 2, dtype=np.int64), warnings=tuple(warnings))


def _label(column: str, header: str) -> str:
    """As ``Table.label``: the canonical name, plus the file's name for the column when it differs."""
    return column if fold_name(header.strip()) == column else f'{column} ("{header.strip()}")'


def _where(name: str, column: str, header: str) -> str:
    return f"{name}, column {_label(column, header)}"


def _check_type(kind: pa.DataType, column: str, header: str, name: str, error) -> None:
    if column in LIST_COLUMNS and _is_list(kind) and _is_text(kind.value_type):
        return
    if pa.types.is_nested(kind) or (pa.types.is_dictionary(kind) and pa.types.is_nested(kind.value_type)):
        shape = "lists" if _is_list(kind) else "nested records"
        fix = ("a list of strings or one text cell with the tags separated by ;" if column in LIST_COLUMNS
               else "one value per cell")
        raise error(f"{_where(name, column, header)}: holds {shape} ({kind}); reachmix reads {fix}: flatten the "
                    "column in the export")


def _is_list(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)


def _check_memory(metadata, columns: set[str], name: str, what: str, error) -> None:
    """The decompressed size of the columns read, against the memory budget (a Parquet file is
    compressed, so open_input's check of the file size alone would let a bomb through)."""
    total = 0
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        for k in range(group.num_columns):
            chunk = group.column(k)
            path = chunk.path_in_schema  # "a.b" for a nested leaf; a top-level name may hold dots too
            if path in columns or any(path.startswith(f"{c}.") for c in columns):
                total += chunk.total_uncompressed_size
    limit, source = memory_limit()
    if total * READ_OVERHEAD > limit:
        raise error(f"{name}: the {what} file's columns hold {format_bytes(total)} once decompressed; reading them "
                    f"needs about {READ_OVERHEAD}x that, more than the memory limit of {format_bytes(limit)} "
                    f"({source})")


def _column(col: pa.ChunkedArray, column: str, header: str, name: str, error) -> pa.ChunkedArray:
    """One Parquet column in the shape the pool parsers take: numbers as they are, the rest as stripped
    text with ``''`` for blanks."""
    kind = col.type
    if pa.types.is_dictionary(kind):
        col = col.cast(kind.value_type)
        kind = col.type
    if column in LIST_COLUMNS and _is_list(kind):
        col = pc.binary_join(col, LIST_COLUMNS[column])
        kind = col.type
    if column not in TEXT_COLUMNS:
        if pa.types.is_integer(kind):
            return col
        if pa.types.is_floating(kind):
            if pc.any(pc.is_nan(col)).as_py():  # a data frame's missing value: a blank cell
                col = pc.if_else(pc.is_nan(col), pa.scalar(None, kind), col)
            return col
        if pa.types.is_decimal(kind):
            return col.cast(pa.float64())
    try:
        text = col.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise error(_uncastable(col, column, header, name, exc)) from None
    if text.null_count:
        text = pc.fill_null(text, pa.scalar("", pa.string()))
    ascii_only = pc.all(pc.string_is_ascii(text)).as_py() is not False
    text = pc.ascii_trim_whitespace(text) if ascii_only else pc.utf8_trim_whitespace(text)
    return text if isinstance(text, pa.ChunkedArray) else pa.chunked_array([text])


def _uncastable(col: pa.ChunkedArray, column: str, header: str, name: str, exc: BaseException) -> str:
    where = _where(name, column, header)
    if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type) or pa.types.is_fixed_size_binary(col.type):
        row = next((k for k, v in enumerate(col.to_pylist()) if v is not None and not _utf8(v)), None)
        if row is not None:
            return (f"{name}, row {row + 2}, column {_label(column, header)}: holds bytes that are not UTF-8 "
                    "text; write the column as UTF-8 strings")
    return f"{where}: holds {col.type} values, which reachmix cannot read as text ({_short(exc)}); write numbers or text"


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


__all__ = ["MAGIC", "SUFFIXES", "is_parquet", "is_parquet_bytes", "parse_parquet_table", "read_parquet_table"]
