"""Reading numbers the way influencer-platform exports write them.

Exports write ``13.9K``, ``1.4M``, ``2,500`` (thousands separator, quoted in CSV), ``12%`` or
``$1,200``. We accept those and nothing ambiguous: a value we cannot read is an error, never a guess.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

_SUFFIX = {"": Decimal(1), "k": Decimal(1000), "m": Decimal(10**6), "b": Decimal(10**9)}
_NUMBER = re.compile(
    r"""^\s*
    (?P<currency>[$€£₺]|TRY|USD|EUR)?\s*
    (?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)
    \s*(?P<suffix>[kKmMbB])?
    \s*(?P<pct>%)?\s*$""",
    re.VERBOSE,
)


def parse_number(text: str) -> float:
    """Parse ``text`` into a float; raise ``ValueError`` with a short reason when unreadable.

    >>> parse_number("13.9K"), parse_number("1.4M"), parse_number("2,500"), parse_number("7")
    (13900.0, 1400000.0, 2500.0, 7.0)
    """
    if not isinstance(text, str):
        value = float(text)
    else:
        match = _NUMBER.match(text)
        if not match:
            # Let Python read forms such as "1e6"; anything else is not a number.
            try:
                value = float(text.strip())
            except ValueError:
                raise ValueError(f'"{text.strip()[:40]}" is not a number') from None
        else:
            # Decimal, so that "4.1M" is exactly 4100000 (a whole follower count), not 4099999.9999999995.
            exact = Decimal(match["num"].replace(",", "")) * _SUFFIX[(match["suffix"] or "").lower()]
            if match["pct"]:
                exact /= 100
            value = float(exact)
    if not math.isfinite(value):
        raise ValueError(f'"{text}" is not a finite number')
    return value
