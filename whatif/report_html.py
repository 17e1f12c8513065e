"""HTML building blocks for the report: escaping by default, tables, number formats, the page.

Safety rule: every value is escaped unless it is an ``Html`` instance (markup this module or
``report.py`` built from escaped parts). Data from a CSV or TOML is therefore never trusted by
accident: forgetting to escape means double escaping (visible, harmless), not injection.
The page also carries a Content-Security-Policy that forbids scripts and any external resource,
as a second line of defence and to prove the file is self-contained.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

from .formats import format_number, format_percent


class Html(str):
    """A string of markup that is already safe to emit."""


def esc(value: Any) -> Html:
    """Escape text for HTML content and quoted attributes (``&<>"'``); ``Html`` passes through."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[Any], sep: str = "") -> Html:
    return Html(esc(sep).join(esc(p) for p in parts))


#: Elements that have no content and no end tag.
VOID = frozenset({"img", "meta", "br", "hr", "wbr"})


def el(name: str, *content: Any, cls: str | None = None, **attrs: Any) -> Html:
    """``<name class=... attr="...">content</name>``; attribute values are escaped too."""
    if cls:
        attrs = {"class": cls, **attrs}
    attr = "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None)
    if name in VOID:
        return Html(f"<{name}{attr}>")
    return Html(f"<{name}{attr}>{join(content)}</{name}>")


# --------------------------------------------------------------------------------------------
# Numbers


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def num(x: Any, digits: int = 0) -> str:
    """1234567.8 -> "1,234,568", 3.0 -> "3"; a small value keeps its significant digits (0.13 ->
    "0.13", never "0"; see ``whatif.formats.format_number``); missing values show as a dash."""
    if not _finite(x):
        return "–"
    if digits == 0 and x != round(x) and abs(x) < 100:
        return format_number(x)
    return f"{x:,.{digits}f}"


def money(x: Any, currency: str) -> str:
    return f"{num(x)} {currency}".strip() if _finite(x) else "–"


def pct(x: Any, digits: int = 0) -> str:
    """A fraction as a percent with ``digits`` decimals, but never fewer than two significant
    digits below 10% (0.0213 -> "2.1%", 0.0013 -> "0.13%"; see ``whatif.formats.format_percent``)."""
    if not _finite(x):
        return "–"
    if x != 0 and abs(100 * x) < 10:
        if digits == 0:
            return format_percent(x, significant=2)
        needed = 1 - math.floor(math.log10(abs(100 * x)))  # decimals for two significant digits
        return f"{100 * x:.{max(digits, needed)}f}%"
    return f"{100 * x:.{digits}f}%"


def value(x: Any) -> str:
    """Any setting value as a reader expects it: numbers plainly, lists comma-separated."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:,.6g}" if abs(x) < 1e15 else f"{x:g}"
    if isinstance(x, (list, tuple, set, frozenset)):
        items = sorted(x) if isinstance(x, (set, frozenset)) else x
        return ", ".join(value(v) for v in items) or "none"
    if hasattr(x, "items"):
        return ", ".join(f"{k} = {value(v)}" for k, v in x.items()) or "none"
    return str(x)


# --------------------------------------------------------------------------------------------
# Blocks


def table(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, numeric: Iterable[int] = (),
          caption: Any = None, cls: str | None = None) -> Html:
    """A table; columns listed in ``numeric`` are right-aligned (tabular figures)."""
    numeric = set(numeric)
    head = el("tr", *(el("th", h, cls="num" if j in numeric else None) for j, h in enumerate(headers)))
    # Same markup as el("tr", *(el("td", ...))), built directly: a plan of thousands of creators
    # has tens of thousands of cells, and the generic builder took about a second for them.
    body = [Html("<tr>" + "".join(f'<td class="num">{esc(c)}</td>' if j in numeric else f"<td>{esc(c)}</td>"
                                  for j, c in enumerate(r)) + "</tr>") for r in rows]
    if not body:
        body = [el("tr", el("td", "none", colspan=str(len(headers)), cls="muted"))]
    parts = [el("caption", caption)] if caption is not None else []
    # Wide tables (long handles, many columns) scroll inside their box instead of the page.
    return el("div", el("table", *parts, el("thead", head), el("tbody", *body), cls=cls), cls="scroll")


def image(data: bytes | str, alt: str, caption: Any = None) -> Html:
    """A chart as a data-URI ``<img>``: SVG (text) or PNG (bytes).

    An SVG in an ``<img>`` can never run script or fetch anything, unlike inline ``<svg>``, so
    chart text drawn from user data cannot become markup.
    """
    mime = "image/svg+xml" if isinstance(data, str) else "image/png"
    raw = data.encode("utf-8") if isinstance(data, str) else data
    src = f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"
    parts = [el("img", src=src, alt=alt, cls="chart")]
    if caption is not None:
        parts.append(el("figcaption", caption))
    return el("figure", *parts)


def badge(probability: Any) -> Html:
    """A KPI probability with its verdict: likely (>= 80%), uncertain (>= 50%), unlikely."""
    if not _finite(probability):
        return el("span", "not simulated", cls="badge muted")
    kind = "good" if probability >= 0.8 else "warn" if probability >= 0.5 else "bad"
    word = {"good": "likely", "warn": "uncertain", "bad": "unlikely"}[kind]
    return el("span", f"{pct(probability)} {word}", cls=f"badge {kind}")


def section(anchor: str, title: Any, *content: Any) -> Html:
    return el("section", el("h2", title), *content, id=anchor)


CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --accent:#1f4e79; --bg:#f8fafc; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; background:#fff; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
p.sub, .muted { color: var(--muted); }
nav { font-size: 14px; margin: 8px 0 0; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
.cards { display:grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; margin: 16px 0; }
.card { border:1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: var(--bg); }
.card .label { color: var(--muted); font-size: 13px; }
.card .big { font-size: 22px; font-weight: 600; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 14px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
.scroll { overflow-x: auto; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 12px 0 20px; }
img.chart { width: 100%; max-width: 880px; height: auto; display: block; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.badge { display:inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; }
.badge.good { background:#dcfce7; color:#166534; } .badge.warn { background:#fef3c7; color:#92400e; }
.badge.bad { background:#fee2e2; color:#991b1b; } .badge.muted { background:#f3f4f6; }
.briefs { display:grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 14px; }
.brief { border:1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 6px; padding: 10px 14px; }
.brief h3 { margin: 0 0 4px; overflow-wrap: anywhere; }
.brief ul { margin: 6px 0; padding-left: 20px; }
.tags { color: var(--accent); font-weight: 600; overflow-wrap: anywhere; }
.note { background:#fff7ed; border-left: 4px solid #f59e0b; padding: 8px 12px; margin: 12px 0; }
.warnings { background:#fef2f2; border:1px solid #fecaca; border-left: 4px solid #dc2626; border-radius: 6px;
  padding: 8px 14px; margin: 16px 0; }
.warnings h2 { border: 0; margin: 0 0 4px; font-size: 17px; color:#991b1b; }
.warnings li { margin: 4px 0; overflow-wrap: anywhere; }
details > summary { cursor: pointer; color: var(--accent); font-weight: 600; margin: 8px 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media print { body { background:#fff; } main { padding: 0; } section { break-inside: avoid-page; } }
"""


def page(title: str, body: Html) -> str:
    """The whole document: no script, no external resource (the CSP enforces both)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="reachmix">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body><main>\n{body}\n</main></body>\n</html>\n"
    )
