"""The file formats of ``scenarios.table``: CSV scanned with NumPy then parsed by pyarrow, and JSON.

Both return ``(headers as written, one pyarrow string column per header, line per row)``. The CSV
scan finds record boundaries (line breaks outside quotes), checks quoting (RFC 4180), oversized
cells and blank rows before pyarrow parses, so every structural problem is a located one-line
error rather than a parser's message; it costs a few passes of NumPy over the bytes.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

#: Longest cell we accept. Longer means, in practice, a quote that is never closed swallowing rows.
MAX_CELL = 131_072
#: Delimiters the sniffer chooses between (first wins a tie).
DELIMITERS = (",", ";", "\t")
_JSON_LIST_KEYS = ("data", "videos", "items", "records", "results", "creators", "users", "rows", "list")


# --------------------------------------------------------------------------------------------
# CSV

def _line_breaks(buf: np.ndarray) -> np.ndarray:
    """Positions of line ends: ``\\n``, and a ``\\r`` not followed by ``\\n`` (old Mac files)."""
    nl = np.flatnonzero(buf == 10)
    cr = np.flatnonzero(buf == 13)
    if cr.size:
        after = np.where(cr + 1 < buf.size, buf[np.minimum(cr + 1, buf.size - 1)], 0)
        lone = cr[after != 10]
        if lone.size:
            nl = np.union1d(nl, lone)
    return nl


def _sniff(header: str) -> str:
    counts = {d: 0 for d in DELIMITERS}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_columns(data: bytes, source: str, delimiter: str | None, error, bad_rows: str = "error",
                warnings: list[str] | None = None):
    """Headers, string columns and line numbers of CSV ``data``, and the delimiter if it was forced."""
    buf = np.frombuffer(data, dtype=np.uint8)
    n = buf.size
    quotes = np.flatnonzero(buf == 34)
    breaks = _line_breaks(buf)

    def line_of(pos) -> np.ndarray:
        return np.searchsorted(breaks, pos) + 1

    # A line break ends a record unless an odd number of quotes precede it (it is inside a cell).
    ends = breaks[np.searchsorted(quotes, breaks) % 2 == 0] if quotes.size else breaks
    # Records: [starts[k], ends[k]); the last one may run to the end of the file without a newline.
    if not ends.size or ends[-1] != n - 1:
        ends = np.append(ends, n)
    starts = np.concatenate(([0], ends[:-1] + 1))
    # A record's text stops before the \r of a \r\n line end.
    stops = ends - ((ends > starts) & (buf[np.clip(ends - 1, 0, n - 1)] == 13)
                    & (ends < n) & (buf[np.minimum(ends, n - 1)] == 10))
    empty = stops <= starts
    first = int(np.argmax(~empty))
    header_text = data[starts[first]:stops[first]].decode("utf-8", "surrogateescape")
    forced = delimiter
    delimiter = delimiter or _sniff(header_text)
    if quotes.size:
        _check_quotes(buf, quotes, ord(delimiter), source, error, line_of)
    header = next(csv.reader([header_text], delimiter=delimiter), [])
    ncols = len(header)

    body = np.arange(ends.size) > first
    lines = line_of(starts)
    _check_cell_sizes(data, buf, starts, ends, quotes, lines, header, ord(delimiter), source, error)
    # Rows with nothing but spaces, delimiters and quotes are skipped like blank lines: they are
    # overwritten with line breaks (same length, so every offset and line number stays) which
    # pyarrow skips as empty lines.
    lut = np.ones(256, dtype=bool)
    lut[[9, 10, 13, 32, 34, ord(delimiter)]] = False
    meaningful = np.logical_or.reduceat(lut[buf], starts)
    blank = body & ~empty & ~meaningful
    if blank.any():
        mutable = bytearray(data)
        for k in np.flatnonzero(blank).tolist():
            mutable[starts[k]:ends[k]] = b"\n" * int(ends[k] - starts[k])
        data = bytes(mutable)
        del mutable
    keep = body & ~empty & ~blank
    lines = lines[keep].astype(np.int64)
    if not keep.any():
        empty_col = pa.chunked_array([pa.array([], type=pa.string())])
        return [h.strip() for h in header], [empty_col] * ncols, lines, forced
    names = [f"c{j}" for j in range(ncols)]
    body_start = int(starts[first + 1])
    ragged: list[tuple[int, str]] = []

    def on_ragged(row) -> str:
        if len(ragged) < 1000:
            ragged.append((row.actual_columns, row.text))
        return "skip"

    # From the header's line end on: pyarrow then sees an empty line first (skipped), so a body that
    # starts with a byte-order mark character keeps it (pyarrow drops a BOM at the stream's start).
    try:
        table = _parse(data, body_start - 1, names, delimiter, quotes.size and (ends.size - 1) < breaks.size,
                       on_ragged)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:  # pragma: no cover - the scan catches these
        raise error(f"{source}: the CSV cannot be parsed ({' '.join(str(exc).split())[:200]}); check the quotes "
                    "and the delimiter, or save it again from a spreadsheet") from None
    if ragged:
        found = []
        after = body_start - 1
        for count, text in ragged:
            # The row's text right after a line end (a bare find could match inside a longer row);
            # searching on from the previous hit keeps identical rows apart.
            raw = text.encode("utf-8", "surrogateescape")
            hits = [at for at in (data.find(b"\n" + raw, after), data.find(b"\r" + raw, after)) if at >= 0]
            if hits:
                after = min(hits) + 1
            found.append((int(line_of(after)) if hits else 0, count))
        line, count = min(found)
        sep = {",": "commas", ";": "semicolons", "\t": "tabs"}.get(delimiter, f'"{delimiter}"')
        message = f"{source}, row {line}: has {count} cells but the header has {ncols}; quote cells that contain {sep}"
        skipped = np.isin(lines, [ln for ln, _ in found])
        if bad_rows != "skip" or int(skipped.sum()) != len(found) or len(found) >= 1000:
            raise error(message)
        # A tolerant reader (a history: rows are evidence, not a plan) drops the rows pyarrow skipped.
        lines = lines[~skipped]
        if warnings is not None:
            warnings.append(f"{message}; {len(found)} such row(s) skipped")
    if table.num_rows != lines.size:  # pragma: no cover - the scan and pyarrow disagree: a bug of ours
        raise error(f"{source}: could not read the CSV consistently ({table.num_rows} rows parsed, "
                    f"{lines.size} expected); check the quotes, or save it again from a spreadsheet")
    if _needs_trim(data, buf, delimiter):
        columns = [pc.utf8_trim_whitespace(table.column(j)) for j in range(ncols)]
    else:
        columns = [table.column(j) for j in range(ncols)]
    return [h.strip() for h in header], columns, lines, forced


def _parse(data: bytes, start: int, names, delimiter: str, newlines_in_values, on_ragged) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)[start:]),
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
            newlines_in_values=bool(newlines_in_values), ignore_empty_lines=True, invalid_row_handler=on_ragged),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _needs_trim(data: bytes, buf: np.ndarray, delimiter: str) -> bool:
    """Whether any cell may start or end with whitespace (cheap: a byte scan, not a cell scan)."""
    if not data.isascii():
        return True  # NBSP and other Unicode spaces: let Arrow look
    if data.find(b" ") < 0 and data.find(b"\t") < 0:
        return False
    lut = np.zeros(256, dtype=bool)
    lut[[9, 32]] = True
    ws = np.flatnonzero(lut[buf])
    if not ws.size:
        return False
    edge = np.zeros(256, dtype=bool)
    edge[[10, 13, 34, ord(delimiter)]] = True
    padded = np.concatenate(([10], buf, [10])).astype(np.uint8)
    return bool(edge[padded[ws]].any() or edge[padded[ws + 2]].any())


def _check_quotes(buf, quotes, delimiter: int, source, error, line_of) -> None:
    """Quotes must open a cell, close it, or be doubled inside it (RFC 4180); else a located error."""
    n = buf.size
    prev = np.where(quotes > 0, buf[np.maximum(quotes - 1, 0)], 10)
    nxt = np.where(quotes < n - 1, buf[np.minimum(quotes + 1, n - 1)], 10)
    opening = np.arange(quotes.size) % 2 == 0
    edges = (10, 13, delimiter, 34)
    starts_cell = np.isin(prev, edges)
    ends_cell = np.isin(nxt, edges) | (quotes == n - 1)
    # An opening quote right after a closing one is the second of a doubled pair ("a""b").
    after_close = np.zeros(quotes.size, dtype=bool)
    after_close[1:] = quotes[1:] == quotes[:-1] + 1
    bad = np.flatnonzero((opening & ~(starts_cell | after_close)) | (~opening & ~ends_cell))
    if bad.size:
        k = int(bad[0])
        where = int(line_of(quotes[k]))
        if opening[k]:
            raise error(f"{source}, row {where}: a quote inside an unquoted cell; quote the whole cell and double "
                        'the quote ("a ""b"" c")')
        began = int(line_of(quotes[k - 1]))
        if began != where:
            raise error(f"{source}, row {began}: a quoted cell runs on to row {where}; a quote is probably not "
                        f"closed in row {began}; check the quotes")
        raise error(f"{source}, row {where}: a quoted cell is followed by more text; check the quotes "
                    "(a quote inside a cell must be doubled)")
    if quotes.size % 2:
        raise error(f"{source}, row {line_of(quotes[-1])}: a quote opens a cell that is never closed; check the "
                    "quotes (a quote inside a cell must be doubled)")


def _check_cell_sizes(data, buf, starts, ends, quotes, lines, header, delimiter: int, source, error) -> None:
    """A cell longer than MAX_CELL: in practice a quote that is never closed; name row and column."""
    for k in np.flatnonzero(ends - starts > MAX_CELL).tolist():
        segment = buf[starts[k]:ends[k]]
        inside = np.flatnonzero(segment == delimiter)
        q = np.flatnonzero(segment == 34)
        if q.size and inside.size:
            inside = inside[np.searchsorted(q, inside) % 2 == 0]
        bounds = np.concatenate(([-1], inside, [segment.size]))
        sizes = np.diff(bounds) - 1
        j = int(np.argmax(sizes))
        if sizes[j] > MAX_CELL:
            name = header[j].strip() if j < len(header) else f"#{j + 1}"
            raise error(f"{source}, row {lines[k]}, column {name}: the cell is {int(sizes[j]):,} characters long "
                        f"(the limit is {MAX_CELL:,}); a quote is probably not closed in this cell; check the quotes")


# --------------------------------------------------------------------------------------------
# JSON

def json_columns(data: bytes, source: str, error):
    """Headers, string columns and record numbers of a JSON list, API response or JSON Lines."""
    try:
        doc = json.loads(data)
        records = _unwrap(doc)
        lines = np.arange(1, len(records) + 1, dtype=np.int64) if records is not None else None
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Extra data"):
            raise error(f"{source}, row {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno}); "
                        "give a list of records or one JSON object per line") from None
        records, line_list = [], []
        for number, raw in enumerate(data.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as err:
                raise error(f"{source}, row {number}: not valid JSON ({err.msg}, column {err.colno}); "
                            "JSON Lines needs one object per line") from None
            records.append(item)
            line_list.append(number)
        lines = np.array(line_list, dtype=np.int64)
    except RecursionError:
        raise error(f"{source}: JSON nested too deeply; give a list of records") from None
    if records is None:
        raise error(f"{source}: JSON without a list of records; give [{{...}}, ...], one object per line, or an "
                    'API response such as {"data": {"videos": [...]}}')
    rows = []
    headers: dict[str, None] = {}
    for k, item in enumerate(records):
        if not isinstance(item, dict):
            raise error(f"{source}, row {lines[k]}: is {type(item).__name__}, not an object with named fields")
        row = {str(key).strip(): value for key, value in item.items()}
        headers.update(dict.fromkeys(row))
        rows.append(row)
    names = list(headers)
    columns = [pa.chunked_array([pa.array([_json_cell(row.get(name)) for row in rows], type=pa.string())])
               for name in names]
    return names, columns, lines


def _unwrap(doc, depth: int = 0):
    """The list of records in ``doc``: the document itself, or a list under data/videos/... keys."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and depth < 4:
        for key in _JSON_LIST_KEYS:
            if key in doc:
                found = _unwrap(doc[key], depth + 1)
                if found is not None:
                    return found
        lists = [v for v in doc.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return lists[0]
        if depth == 0 and doc and not any(isinstance(v, (list, dict)) for v in doc.values()):
            return [doc]  # one JSON Lines record alone
    return None


def _json_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):  # hashtag_names: ["a", "b"] -> "a;b"
        return ";".join(_json_cell(v) for v in value)
    return json.dumps(value, ensure_ascii=False)
