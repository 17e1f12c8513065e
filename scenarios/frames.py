"""Data frames and HTML tables for notebooks, without making pandas a dependency.

pandas is the optional extra ``reachmix[frame]``; it is imported only when a ``to_frame`` is
called, and a missing pandas is a one-line error saying how to install it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import ReachmixError


def data_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None):
    """``pandas.DataFrame(rows)``; nested values (dicts, lists) are kept as objects."""
    try:
        import pandas as pd
    except ImportError:
        raise ReachmixError("to_frame needs pandas; install it with pip install 'reachmix[frame]'") from None
    return pd.DataFrame(list(rows), columns=list(columns) if columns is not None else None)


def html_table(header: Sequence[Any], rows: Iterable[Sequence[Any]], caption: str | None = None) -> str:
    """A small escaped HTML table (Jupyter's ``_repr_html_``)."""
    def cell(tag: str, value: Any) -> str:
        return f"<{tag}>{html.escape('' if value is None else str(value))}</{tag}>"

    head = "".join(cell("th", h) for h in header)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>" for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
