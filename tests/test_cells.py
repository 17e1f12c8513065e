"""scenarios/cells.py: the column parsers every real-export reader uses (issue 9, part A).

Expected values are computed independently (``datetime`` for times, ``Decimal`` for numbers), never
by the code under test; error texts are pinned because users read them.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from scenarios.cells import (CellProblem, ColumnError, fold_name, fold_names, parse_numbers, parse_times,
                             parse_video_ids, tiktok_id_time)
from scenarios.numbers import parse_number

UTC = timezone.utc


def utc(*args) -> float:
    """Unix seconds of a UTC wall time, computed with datetime (independent of the parser)."""
    return datetime(*args, tzinfo=UTC).timestamp()


def one_number(cell, **kw) -> float:
    values, problems = parse_numbers([cell], **kw)
    assert problems == []
    return float(values[0])


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, expected", [
    ("2500", 2500.0), ("-7", -7.0), ("0.25", 0.25), (".5", 0.5), ("1e6", 1e6), ("1.5E+3", 1500.0),
    ("13.9K", 13900.0), ("13,9K", 13900.0), ("1.4M", 1_400_000.0), ("4.1M", 4_100_000.0), ("2B", 2e9),
    ("2,500", 2500.0), ("2,500,000", 2_500_000.0), ("3,5", 3.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5),
    ("1 234", 1234.0), ("1\u00a0234", 1234.0), ("1\u202f234", 1234.0), ("1 234 567,25", 1234567.25),
    ("12%", 0.12), ("%12", 0.12), ("12,5%", 0.125), ("$1,200", 1200.0), ("-$1,200.50", -1200.5),
    ("€ 15", 15.0), ("1.200 TL", 1.2), ("\u22125", -5.0), ("0,500", 0.5), ("1.234.567", 1234567.0),
    ("  42  ", 42.0), ("1'234", 1234.0),
])
def test_each_export_number_format(cell, expected):
    assert one_number(cell) == expected


def test_blanks_are_nan_without_problems():
    values, problems = parse_numbers(["", None, "   ", "7"])
    assert np.isnan(values[:3]).all() and values[3] == 7.0 and problems == []


def test_pyarrow_arrays_and_chunked_arrays_read_like_lists():
    cells = ["1", "13,9K", None, "", "2,500"]
    expected, _ = parse_numbers(cells)
    np.testing.assert_array_equal(expected, [1, 13900, np.nan, np.nan, 2.5])
    for column in (pa.array(cells), pa.chunked_array([cells[:2], cells[2:]]), pa.array(cells, pa.large_string())):
        got, problems = parse_numbers(column)
        np.testing.assert_array_equal(got, expected)
        assert problems == []


def test_other_column_types_and_empty_columns():
    large = pa.array(["13,9K", "", None, "2,500"], pa.large_string())
    np.testing.assert_array_equal(parse_numbers(large)[0], [13900, np.nan, np.nan, 2.5])
    values, problems, naive = parse_times(pa.array(["21.05.2025", "6/13/2025", None], pa.large_string()))
    np.testing.assert_array_equal(values, [utc(2025, 5, 21), utc(2025, 6, 13), np.nan])
    assert parse_video_ids(pa.array(["7250000000000000001"], pa.large_string()))[0].tolist() == ["7250000000000000001"]
    assert fold_names(pa.array(["İzmir"], pa.large_string())).tolist() == ["izmir"]
    nulls = pa.array([None, None], pa.null())
    assert np.isnan(parse_numbers(nulls)[0]).all() and np.isnan(parse_times(nulls)[0]).all()
    empty = pa.chunked_array([], pa.string())
    assert parse_numbers(empty)[0].shape == (0,) and parse_times(empty)[0].shape == (0,)
    assert parse_video_ids([])[0].shape == (0,) and tiktok_id_time([]).shape == (0,)


def test_fast_path_and_slow_path_agree_on_plain_numbers():
    clean = ["1", "2.5", "-3", "1e3", "1.234"]
    fast, _ = parse_numbers(clean)
    slow, _ = parse_numbers(clean + ["$4"])          # "$4" forces the general path
    np.testing.assert_array_equal(fast, slow[:-1])
    np.testing.assert_array_equal(fast, [1, 2.5, -3, 1000, 1.234])


@pytest.mark.parametrize("column, expected", [
    (["2,500"], [2500]),                                  # nothing decisive: comma = thousands (as today)
    (["2,500", "2,500,000"], [2500, 2_500_000]),          # 2,500,000 says comma = thousands
    (["2,500", "1,234.5"], [2500, 1234.5]),
    (["2,500", "3,5"], [2.5, 3.5]),                       # 3,5 says comma = decimal
    (["2,500", "13,9K"], [2.5, 13900]),
    (["1.234", "1.234,5"], [1234, 1234.5]),               # the dot groups thousands in that column
    (["1.234"], [1.234]),
    (["₺1.200", "₺3,5"], [1200, 3.5]),
    (["₺1.200"], [1.2]),                                  # alone, "1.200" keeps the dot reading
    (["2,500", "12.5"], [2500, 12.5]),
])
def test_decimal_mark_is_decided_per_column(column, expected):
    values, problems = parse_numbers(column)
    assert problems == []
    np.testing.assert_array_equal(values, expected)


def test_a_column_mixing_both_conventions_is_an_error():
    with pytest.raises(ColumnError) as exc:
        parse_numbers(["1", "3,5", "2,500,000"])
    assert str(exc.value) == ('mixes decimal commas (e.g. "3,5") and decimal points (e.g. "2,500,000"); '
                              "set the decimal mark (comma or dot)")
    with pytest.raises(ColumnError, match=r'decimal commas \(e.g. "13,9K"\) and decimal points \(e.g. "12.5"\)'):
        parse_numbers(["12.5", "13,9K"])


def test_a_forced_decimal_mark_resolves_the_column_and_names_cells_that_disagree():
    values, problems = parse_numbers(["2,500", "1.234", "12.5", "3"], decimal="comma")
    np.testing.assert_array_equal(values, [2.5, 1234, np.nan, 3])
    assert problems == [CellProblem(2, '"12.5" is not a number with a decimal comma (the mark of this column); '
                                       "write 2500, 13,9K or 1,4M")]
    values, problems = parse_numbers(["2,500", "3,5"], decimal="dot")
    np.testing.assert_array_equal(values, [2500, np.nan])
    assert problems == [CellProblem(1, '"3,5" is not a number with a decimal point (the mark of this column); '
                                       "write 2500, 13.9K or 1.4M")]
    assert parse_numbers(["1.234"], decimal=",")[0][0] == 1234
    with pytest.raises(ValueError, match='decimal must be "comma" or "dot", not "semicolon"'):
        parse_numbers(["1"], decimal="semicolon")


def test_every_bad_cell_is_a_problem_with_its_row():
    values, problems = parse_numbers(["1", "abc", "inf", "12,5,3", "", "1e999", "2", "NaN", "5K%x"])
    assert problems == [
        CellProblem(1, '"abc" is not a number; write a number such as 2500, 13.9K or 1.4M'),
        CellProblem(2, '"inf" is not a finite number'),
        CellProblem(3, '"12,5,3" is not a number; write a number such as 2500, 13.9K or 1.4M'),
        CellProblem(5, '"1e999" is not a finite number'),
        CellProblem(7, '"NaN" is not a finite number'),
        CellProblem(8, '"5K%x" is not a number; write a number such as 2500, 13.9K or 1.4M'),
    ]
    np.testing.assert_array_equal(values[[0, 6]], [1, 2])
    assert np.isnan(values[[1, 2, 3, 4, 5, 7, 8]]).all()


def test_numeric_arrays_are_read_directly():
    values, problems = parse_numbers(pa.array([1, None, 3], pa.int64()))
    np.testing.assert_array_equal(values, [1, np.nan, 3])
    assert problems == []
    values, problems = parse_numbers(np.array([1.5, np.inf]))
    np.testing.assert_array_equal(values, [1.5, np.nan])
    assert problems == [CellProblem(1, '"inf" is not a finite number')]
    values, problems = parse_numbers([2500, 13.5, None, "13,9K"])     # JSON records: mixed types
    np.testing.assert_array_equal(values, [2500, 13.5, np.nan, 13900])
    assert problems == []


def test_non_finite_cells_on_the_fast_path_are_problems_too():
    values, problems = parse_numbers(["1", "inf", "2"])
    assert problems == [CellProblem(1, '"inf" is not a finite number')]
    np.testing.assert_array_equal(values, [1, np.nan, 2])


def test_long_cells_are_quoted_short():
    _, problems = parse_numbers(["x" * 100])
    assert problems[0].why == '"' + "x" * 40 + '" is not a number; write a number such as 2500, 13.9K or 1.4M'


def test_agrees_with_parse_number_where_that_one_reads():
    for cell in ["13.9K", "1.4M", "2,500", "12%", "$1,200", "7", "4.1M", "1e6", "2,500,000.5"]:
        assert one_number(cell) == parse_number(cell)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=999_999), st.sampled_from(["K", "M", "B", ""]),
       st.sampled_from([",", "."]))
def test_round_trip_suffix_and_decimal_mark(tenths, suffix, mark):
    whole, frac = divmod(tenths, 10)
    cell = f"{whole}{mark}{frac}{suffix}"          # one digit after the mark: decisive either way
    scale = {"K": 10**3, "M": 10**6, "B": 10**9, "": 1}[suffix]
    assert one_number(cell) == float(Decimal(f"{whole}.{frac}") * scale)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1000, max_value=10**12), st.sampled_from([",", ".", " ", "\u00a0", "\u202f"]),
       st.integers(min_value=0, max_value=99))
def test_round_trip_thousands_groups_with_a_decisive_cell(number, group, cents):
    grouped = f"{number:,}".replace(",", group)
    decimal = "." if group == "," else ","       # what the grouping implies; the cents cell decides it
    values, problems = parse_numbers([grouped, f"{grouped}{decimal}{cents:02d}"])
    assert problems == []
    assert values[0] == number
    assert values[1] == float(Decimal(number) + Decimal(cents) / 100)


# ---------------------------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, expected, naive", [
    ("2025-06-10T22:44:00Z", utc(2025, 6, 10, 22, 44), False),
    ("2025-06-10T22:44:00+03:00", utc(2025, 6, 10, 19, 44), False),
    ("2025-06-10 22:44:00-0700", utc(2025, 6, 11, 5, 44), False),
    ("2025-06-10 22:44", utc(2025, 6, 10, 22, 44), True),
    ("2025-06-10T22:44:05.250", utc(2025, 6, 10, 22, 44, 5, 250000), True),
    ("2025-06-10", utc(2025, 6, 10), True),
    ("2025/06/10", utc(2025, 6, 10), True),
    ("2025/6/9 8:05", utc(2025, 6, 9, 8, 5), True),
    ("1749595440", utc(2025, 6, 10, 22, 44), False),
    ("1749595440123", utc(2025, 6, 10, 22, 44, 0, 123000), False),
    ("6/13/2025 22:44", utc(2025, 6, 13, 22, 44), True),
    ("6/13/2025 10:44 PM", utc(2025, 6, 13, 22, 44), True),
    ("6/13/2025 12:05 AM", utc(2025, 6, 13, 0, 5), True),
    ("6/13/2025 12:30:15 pm", utc(2025, 6, 13, 12, 30, 15), True),
    ("21.05.2025", utc(2025, 5, 21), True),
    ("21.05.2025 22:44:10", utc(2025, 5, 21, 22, 44, 10), True),
    ("1.5.2025 9:00", utc(2025, 5, 1, 9), True),
    ("21/05/2025", utc(2025, 5, 21), True),
    ("21-05-2025", utc(2025, 5, 21), True),
    ("Jun 10, 2025", utc(2025, 6, 10), True),
    ("Tue, 10 Jun 2025 22:44:00 GMT", utc(2025, 6, 10, 22, 44), False),
])
def test_each_export_time_format(cell, expected, naive):
    values, problems, any_naive = parse_times([cell])
    assert problems == []
    assert values[0] == pytest.approx(expected, abs=1e-6)
    assert any_naive is naive


def test_blanks_are_nan_and_inputs_can_be_arrow():
    cells = ["2025-06-10", None, "", " 2025-06-11 "]
    for column in (cells, pa.array(cells), pa.chunked_array([cells[:1], cells[1:]])):
        values, problems, naive = parse_times(column)
        np.testing.assert_array_equal(values, [utc(2025, 6, 10), np.nan, np.nan, utc(2025, 6, 11)])
        assert problems == [] and naive is True
    values, problems, naive = parse_times([None, ""])
    assert np.isnan(values).all() and problems == [] and naive is False


def test_mixed_styles_in_one_column():
    cells = ["2025-06-10T22:44:00Z", "2025-06-10 22:44", "21.05.2025", "6/13/2025 10:44 PM", "1749595440", ""]
    values, problems, naive = parse_times(cells)
    assert problems == [] and naive is True
    np.testing.assert_allclose(values[:5], [utc(2025, 6, 10, 22, 44), utc(2025, 6, 10, 22, 44), utc(2025, 5, 21),
                                            utc(2025, 6, 13, 22, 44), utc(2025, 6, 10, 22, 44)])


@pytest.mark.parametrize("column, expected", [
    (["6/10/2025", "13/6/2025"], [utc(2025, 10, 6), utc(2025, 6, 13)]),      # 13/6 says day first
    (["6/10/2025", "6/13/2025"], [utc(2025, 6, 10), utc(2025, 6, 13)]),      # 6/13 says month first
    (["5/5/2025"], [utc(2025, 5, 5)]),                                        # either order: same day
    (["06-10-2025 08:00", "25-12-2025"], [utc(2025, 10, 6, 8), utc(2025, 12, 25)]),
    (["21.05.2025", "6/10/2025", "6/13/2025"], [utc(2025, 5, 21), utc(2025, 6, 10), utc(2025, 6, 13)]),
])
def test_day_month_order_is_decided_per_column(column, expected):
    values, problems, _ = parse_times(column)
    assert problems == []
    np.testing.assert_array_equal(values, expected)


def test_an_open_day_month_order_is_an_error_unless_given():
    with pytest.raises(ColumnError) as exc:
        parse_times(["6/10/2025 22:44", "7/11/2025"])
    assert str(exc.value) == ('the dates could be day/month or month/day (e.g. "6/10/2025 22:44"); '
                              'pass ReadOptions(date_order="dmy") or ReadOptions(date_order="mdy")')
    assert parse_times(["6/10/2025"], date_order="mdy")[0][0] == utc(2025, 6, 10)
    assert parse_times(["6/10/2025"], date_order="DMY")[0][0] == utc(2025, 10, 6)
    with pytest.raises(ValueError, match='date_order must be "dmy" or "mdy", not "ymd"'):
        parse_times(["6/10/2025"], date_order="ymd")


def test_a_column_contradicting_its_own_order_is_an_error():
    with pytest.raises(ColumnError) as exc:
        parse_times(["6/10/2025", "13/6/2025", "6/13/2025"])
    assert str(exc.value) == ('the dates mix day/month (e.g. "13/6/2025") and month/day (e.g. "6/13/2025") '
                              'order; fix the column or pass ReadOptions(date_order="dmy") or '
                              'ReadOptions(date_order="mdy")')
    values, problems, _ = parse_times(["6/10/2025", "13/6/2025", "6/13/2025"], date_order="mdy")
    np.testing.assert_array_equal(values, [utc(2025, 6, 10), np.nan, utc(2025, 6, 13)])
    assert problems == [CellProblem(1, '"13/6/2025" is not a date in month/day order (the order of this '
                                       "column); write it as 2024-03-01 or 2024-03-01 14:30")]


def test_bad_time_cells_are_problems_with_rows():
    cells = ["2025-06-10", "2025-02-30", "xyz", "13/13/2025", "2025-06-10 25:00", "45812.5", "6/13/2025 13:00 PM"]
    values, problems, _ = parse_times(cells)
    hint = "write it as 2024-03-01 or 2024-03-01 14:30"
    assert problems == [
        CellProblem(1, f'"2025-02-30" is not a date; {hint}'),
        CellProblem(2, f'"xyz" is not a date; {hint}'),
        CellProblem(3, f'"13/13/2025" is not a date; {hint}'),
        CellProblem(4, f'"2025-06-10 25:00" is not a date; {hint}'),
        CellProblem(5, '"45812.5" is not a date (as Unix seconds or milliseconds it is not between 1973 and 2286); '
                       "write it as 2024-03-01 14:30 or Unix seconds"),
        CellProblem(6, f'"6/13/2025 13:00 PM" is not a date; {hint}'),
    ]
    assert values[0] == utc(2025, 6, 10) and np.isnan(values[1:]).all()
    _, problems, _ = parse_times(["21.05/2025", "31.06.2025 10:00", "21.05.2025 24:00", "1.1.2025"])
    assert [p.row for p in problems] == [0, 1, 2]
    _, problems, _ = parse_times(["6/13/25 22:44", "Tue, 10 Jun 25 22:44:00 GMT", "10 Jun 2025"])
    assert [p.row for p in problems] == [0, 1]     # two-digit years: the century would be a guess


def test_json_numbers_and_compact_dates():
    values, problems, naive = parse_times([1749595440, None, "20250610"])
    assert problems == [] and naive is True
    np.testing.assert_array_equal(values, [utc(2025, 6, 10, 22, 44), np.nan, utc(2025, 6, 10)])
    values, _, naive = parse_times(pa.array([1749595440123, None], pa.int64()))
    assert values[0] == utc(2025, 6, 10, 22, 44, 0, 123000) and naive is False


def test_unix_seconds_or_milliseconds_per_column():
    seconds, _, naive = parse_times(["1718000000", "1718000001.5"])
    np.testing.assert_array_equal(seconds, [1718000000, 1718000001.5])
    assert naive is False
    millis, _, _ = parse_times(["1718000000000", "1718000001500", "999999999999"])
    np.testing.assert_array_equal(millis, [1718000000, 1718000001.5, 999999999.999])
    assert parse_times(["946684800000"])[0][0] == utc(2000, 1, 1)          # ms before 2001: 12 digits
    _, problems, _ = parse_times(["1718000000000", "1718000000", "45812", "17180000000"][2:])
    assert [p.row for p in problems] == [0, 1]          # neither seconds nor milliseconds of 1973..2286
    with pytest.raises(ColumnError) as exc:
        parse_times(["1718000000", "1718000000000"])
    assert str(exc.value) == ('mixes Unix seconds (e.g. "1718000000") and milliseconds (e.g. "1718000000000"); '
                              "write one unit")


@pytest.mark.parametrize("zone_name, cell, wall", [
    ("Europe/Istanbul", "2025-03-30 12:00", (2025, 3, 30, 12)),         # +03:00 all year since 2016
    ("Europe/Istanbul", "2015-07-01 12:00", (2015, 7, 1, 12)),          # then summer time, +03:00
    ("Europe/Istanbul", "2015-01-01 12:00", (2015, 1, 1, 12)),          # and winter time, +02:00
    ("America/Los_Angeles", "2025-03-09 01:30", (2025, 3, 9, 1, 30)),   # PST, -08:00
    ("America/Los_Angeles", "2025-03-09 03:30", (2025, 3, 9, 3, 30)),   # PDT, -07:00
    ("America/Los_Angeles", "2025-03-09 02:30", (2025, 3, 9, 2, 30)),   # skipped hour: offset before
    ("America/Los_Angeles", "2025-11-02 01:30", (2025, 11, 2, 1, 30)),  # repeated hour: first time
    ("America/Los_Angeles", "3/13/2025 3:30 AM", (2025, 3, 13, 3, 30)),
])
def test_naive_times_are_read_in_the_given_zone_dst_correct(zone_name, cell, wall):
    zone = ZoneInfo(zone_name)
    values, problems, naive = parse_times([cell], timezone=zone)
    assert problems == [] and naive is True
    assert values[0] == datetime(*wall, tzinfo=zone).timestamp()    # datetime uses fold=0 as well


def test_the_zone_matters_and_aware_times_ignore_it():
    cells = ["2025-07-01 12:00", "2025-07-01T12:00:00Z", "1751371200"]
    istanbul, _, _ = parse_times(cells, timezone=ZoneInfo("Europe/Istanbul"))
    los_angeles, _, _ = parse_times(cells, timezone=ZoneInfo("America/Los_Angeles"))
    assert istanbul[0] == utc(2025, 7, 1, 9) and los_angeles[0] == utc(2025, 7, 1, 19)
    assert istanbul[1] == los_angeles[1] == istanbul[2] == los_angeles[2] == utc(2025, 7, 1, 12)
    fixed, _, _ = parse_times(cells[:1], timezone=timezone(timedelta(hours=3)))
    assert fixed[0] == utc(2025, 7, 1, 9)
    by_name, _, _ = parse_times(cells[:1], timezone="Europe/Istanbul")
    assert by_name[0] == utc(2025, 7, 1, 9)


def test_a_long_column_in_a_zone_matches_zoneinfo_cell_by_cell():
    rng = np.random.default_rng(7)
    zone = ZoneInfo("America/Los_Angeles")
    start = datetime(2019, 1, 1)
    walls = [start + timedelta(seconds=int(s)) for s in rng.integers(0, 6 * 365 * 86400, 3000)]
    values, problems, _ = parse_times([w.isoformat(sep=" ") for w in walls], timezone=zone)
    assert problems == []
    np.testing.assert_array_equal(values, [w.replace(tzinfo=zone).timestamp() for w in walls])


STYLES = {
    "iso": lambda d: d.strftime("%Y-%m-%dT%H:%M:%S"),
    "iso_z": lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "iso_offset": lambda d: (d + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S+03:00"),
    "ymd_slash": lambda d: d.strftime("%Y/%m/%d %H:%M:%S"),
    "unix": lambda d: str(int((d - datetime(1970, 1, 1)).total_seconds())),
    "unix_ms": lambda d: str(int((d - datetime(1970, 1, 1)).total_seconds()) * 1000),
    "mdy": lambda d: f"{d.month}/{d.day}/{d.year} {d.hour}:{d.minute:02d}:{d.second:02d}",
    "mdy_ampm": lambda d: f"{d.month}/{d.day}/{d.year} {(d.hour - 1) % 12 + 1}:{d.minute:02d}:{d.second:02d} "
                          + ("PM" if d.hour >= 12 else "AM"),
    "dmy_dot": lambda d: f"{d.day}.{d.month}.{d.year} {d.hour}:{d.minute:02d}:{d.second:02d}",
    "dmy_slash": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year} {d.hour:02d}:{d.minute:02d}:{d.second:02d}",
    "dmy_dash": lambda d: f"{d.day}-{d.month}-{d.year} {d.hour}:{d.minute:02d}:{d.second:02d}",
}
ORDER = {"mdy": "mdy", "mdy_ampm": "mdy", "dmy_slash": "dmy", "dmy_dash": "dmy"}


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1974, 1, 1), max_value=datetime(2090, 12, 31)),
       st.sampled_from(sorted(STYLES)))
def test_round_trip_every_style(moment, style):
    moment = moment.replace(microsecond=0)
    values, problems, naive = parse_times([STYLES[style](moment)], date_order=ORDER.get(style))
    assert problems == []
    assert values[0] == (moment - datetime(1970, 1, 1)).total_seconds()
    assert naive is (style not in ("iso_z", "iso_offset", "unix", "unix_ms"))


# ---------------------------------------------------------------------------------------------
# Video ids
# ---------------------------------------------------------------------------------------------

def test_video_ids_canonical_and_damaged():
    cells = ["7250000000000000123", " 7250000000000000124 ", "", None, "'7250000000000000125",
             "https://www.tiktok.com/@zeynep.cilt/video/7250000000000000126?lang=tr", "7.50E+18",
             "7,25E+18", "7250000000000000000.0", "dQw4w9WgXcQ", "not an id"]
    ids, problems = parse_video_ids(cells)
    assert ids.dtype == object
    assert ids.tolist() == ["7250000000000000123", "7250000000000000124", "", "", "7250000000000000125",
                            "7250000000000000126", "", "", "", "dQw4w9WgXcQ", ""]
    damaged = "was changed by a spreadsheet; re-export the id column as text"
    assert problems == [
        CellProblem(6, f'"7.50E+18" {damaged}'),
        CellProblem(7, f'"7,25E+18" {damaged}'),
        CellProblem(8, f'"7250000000000000000.0" {damaged}'),
        CellProblem(10, '"not an id" is not a video id; write the id as digits, e.g. 7250000000000000000'),
    ]


def test_missing_id_placeholders_are_not_ids_and_numbers_are():
    ids, problems = parse_video_ids(["nan", "-", "null", "abc1", 7250000000000000001])
    assert ids.tolist() == ["", "", "", "abc1", "7250000000000000001"]
    assert [p.why for p in problems] == [
        f'"{cell}" is not a video id; write the id as digits, e.g. 7250000000000000000' for cell in ("nan", "-", "null")]
    assert parse_video_ids(pa.array([7250000000000000001], pa.uint64()))[0].tolist() == ["7250000000000000001"]
    ids, problems = parse_video_ids([7.25e18])           # a float in a JSON export has lost digits
    assert ids.tolist() == [""] and problems[0].why.endswith("was changed by a spreadsheet; re-export the id "
                                                              "column as text")


def test_a_column_of_ids_rounded_to_15_digits_is_damaged():
    rounded = [str(7250123456789010000 + k * 10**4) for k in range(5)]
    ids, problems = parse_video_ids(rounded + ["", "42"])
    assert [p.row for p in problems] == [0, 1, 2, 3, 4]
    assert problems[0].why == ('"7250123456789010000" was changed by a spreadsheet; re-export the id column as '
                               "text (it kept 15 digits)")
    assert ids.tolist() == ["", "", "", "", "", "", "42"]
    # Four such ids, or one real id among them, are not evidence enough.
    assert parse_video_ids(rounded[:4])[1] == []
    assert parse_video_ids(rounded + ["7250123456789012345"])[1] == []


def test_tiktok_id_time_is_the_top_32_bits():
    created = datetime(2023, 6, 29, 7, 2, 48, tzinfo=UTC)
    seconds = int(created.timestamp())
    made = (seconds << 32) | 0x1234ABCD
    times = tiktok_id_time(np.array([str(made), "7250000000000000000", "123", "", None, "abc",
                                     "99999999999999999999"], dtype=object))
    assert times[0] == seconds
    assert times[1] == 7250000000000000000 >> 32
    assert datetime.fromtimestamp(times[1], UTC).year == 2023
    assert np.isnan(times[2:]).all()
    assert tiktok_id_time(parse_video_ids([str(made)])[0])[0] == seconds
    assert tiktok_id_time([made])[0] == seconds
    assert tiktok_id_time(np.array([made], dtype=np.uint64))[0] == seconds
    in_2050 = int(datetime(2050, 1, 1, tzinfo=UTC).timestamp()) << 32     # 20 digits, still < 2**64
    assert len(str(in_2050)) == 20 and tiktok_id_time([str(in_2050)])[0] == in_2050 >> 32


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

def test_turkish_aware_folding():
    variants = ["İstanbul", "Istanbul", "ISTANBUL", "istanbul", "ıstanbul", "İSTANBUL"]
    assert {fold_name(v) for v in variants} == {"istanbul"}
    assert fold_name("KIRIKKALE") == fold_name("Kırıkkale") == fold_name("kirikkale") == "kirikkale"
    assert fold_name("Şanlıurfa") == fold_name("ŞANLIURFA") == "şanliurfa"
    assert fold_name("Straße") == fold_name("STRASSE") == "strasse"
    assert fold_name("İstanbul".lower()) == "istanbul"        # Python's lower() leaves i + U+0307


def test_nfd_folds_like_nfc_and_handles_compare_casefree():
    for word in ["İstanbul", "Çağla Güneş", "Zoë", "İzmir"]:
        assert fold_name(unicodedata.normalize("NFD", word)) == fold_name(word)
    assert fold_name("@Zeynep.Cilt") == fold_name("@zeynep.cilt") == "@zeynep.cilt"
    assert fold_name("  New   York ") == "new york"
    assert fold_name("@Deniz_Vlogs") != fold_name("@deniz.vlogs")


def test_fold_names_over_a_column():
    cells = ["İstanbul", None, "", "ISTANBUL", "@Zeynep.Cilt", unicodedata.normalize("NFD", "İzmir")]
    expected = ["istanbul", "", "", "istanbul", "@zeynep.cilt", "izmir"]
    for column in (cells, pa.array(cells), pa.chunked_array([cells[:2], cells[2:]])):
        folded = fold_names(column)
        assert folded.dtype == object and folded.tolist() == expected
    assert fold_names([]).tolist() == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_fold_name_is_idempotent_and_normalisation_blind(text):
    once = fold_name(text)
    assert fold_name(once) == once
    assert fold_name(unicodedata.normalize("NFD", text)) == once


# ---------------------------------------------------------------------------------------------
# Robustness: any text in, values or located problems out (never a crash)
# ---------------------------------------------------------------------------------------------

NUMBERISH = st.text(alphabet="0123456789.,%$₺KkMB e+-\u00a0'", max_size=12)
TIMEISH = st.text(alphabet="0123456789/-.:TZ+ APM", max_size=24)


def check_result(values, problems, n):
    assert values.shape == (n,) and values.dtype == np.float64
    assert not np.isinf(values).any()
    rows = [p.row for p in problems]
    assert rows == sorted(set(rows)) and all(0 <= r < n for r in rows)
    assert np.isnan(values[rows]).all()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(NUMBERISH, st.text(max_size=8), st.none()), max_size=8))
def test_any_number_column_gives_values_or_located_problems(cells):
    try:
        values, problems = parse_numbers(cells)
    except ColumnError as exc:
        assert str(exc).endswith("set the decimal mark (comma or dot)")
        return
    check_result(values, problems, len(cells))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(TIMEISH, st.text(max_size=8), st.none()), max_size=8))
def test_any_time_column_gives_values_or_located_problems(cells):
    try:
        values, problems, _ = parse_times(cells, timezone=ZoneInfo("Europe/Istanbul"))
    except ColumnError as exc:
        assert str(exc).endswith('pass ReadOptions(date_order="dmy") or ReadOptions(date_order="mdy")') \
            or str(exc).endswith("write one unit")
        return
    check_result(values, problems, len(cells))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=25), st.none()), max_size=8))
def test_any_id_column_gives_ids_or_located_problems(cells):
    ids, problems = parse_video_ids(cells)
    assert ids.shape == (len(cells),) and all(isinstance(i, str) for i in ids)
    assert all(ids[p.row] == "" for p in problems)
    times = tiktok_id_time(ids)
    assert times.shape == (len(cells),)


@settings(max_examples=400, deadline=None)
@given(NUMBERISH)
def test_vectorised_shapes_agree_with_the_cell_by_cell_reader(cell):
    """The vectorised families (plain, 13.9K, 2,500, 3,5) are shortcuts of one rule: _readings."""
    from scenarios.cells import _readings
    expected = _readings(cell.strip()) if cell.strip() else (math.nan, math.nan)
    values, problems = parse_numbers([cell])
    if isinstance(expected, str):
        assert [p.why for p in problems] == [expected]
        return
    as_dot, as_comma = (math.nan if v is None else v for v in expected)
    wanted = as_dot if not math.isnan(as_dot) else as_comma      # one cell: the point unless it cannot be
    assert problems == []
    assert values[0] == wanted or (math.isnan(values[0]) and math.isnan(wanted))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(max_codepoint=0x7f)), st.text(max_size=12)),
                max_size=12))
def test_fold_names_agrees_with_fold_name_on_any_text(values):
    """The Arrow path for ASCII (whitespace runs, trim, lower case) is fold_name exactly."""
    assert fold_names(values).tolist() == [fold_name(v) if v is not None else "" for v in values]
