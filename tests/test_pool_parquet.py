"""Parquet pools (issue 12): ``[pool] file = "creators.parquet"`` reads like the same pool as CSV.

The fixtures are written with pyarrow here (``reachmix generate`` writes CSV). Messages are pinned:
one line naming the file, "row N" as in the equivalent CSV (the column names are row 1, the first
data row is row 2) and the column.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from scenarios import PoolError, load_scenario, parse_pool, read_pool
from scenarios.cells import parse_numbers
from scenarios.pool_csv import PoolOptions
from scenarios.table import ReadOptions
from scenarios.table_parquet import is_parquet

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "istanbul-beauty"
TEXT = ("handle", "tags")


def write(path: Path, **columns) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def fails(path: Path, expected: str, **kwargs) -> None:
    with pytest.raises(PoolError) as info:
        read_pool(path, **kwargs)
    assert str(info.value) == expected.format(path=path)


def assert_same_pool(a, b) -> None:
    """Every field of two pools equal (arrays exactly, NaN = NaN), except where they were read from."""
    assert len(a) == len(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "source":
            continue
        if f.name == "warnings":
            assert [w.replace(a.source, "<file>") for w in x] == [w.replace(b.source, "<file>") for w in y]
        elif isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray) and x.dtype == y.dtype and x.shape == y.shape, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name, strict=True)
        else:
            assert x == y, f.name


def example_as_text() -> pa.Table:
    """The bundled example pool's CSV as pyarrow string columns (cells exactly as written)."""
    names = (EXAMPLE / "creators.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    return pacsv.read_csv(EXAMPLE / "creators.csv", convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in names}, strings_can_be_null=False))


# --------------------------------------------------------------------------------------------
# Round trips: the same pool from CSV and from Parquet

def test_example_pool_as_string_parquet_is_the_same_pool(tmp_path):
    path = tmp_path / "creators.parquet"
    pq.write_table(example_as_text(), path)
    assert_same_pool(read_pool(EXAMPLE / "creators.csv"), read_pool(path))


def test_example_pool_as_typed_parquet_is_the_same_pool(tmp_path):
    """What an export job writes: numbers as int64/float64 (blanks as NaN or null), tags as a list."""
    text = example_as_text()
    columns = {}
    for name in text.column_names:
        if name == "tags":
            columns[name] = pa.array([[t for t in cell.split(";")] for cell in text[name].to_pylist()])
        elif name in TEXT:
            columns[name] = text[name]
        else:
            values, problems = parse_numbers(text[name])
            assert not problems
            if name == "max_posts":  # whole numbers with blanks: int64 with nulls
                columns[name] = pa.array([None if np.isnan(v) else int(v) for v in values], pa.int64())
            else:  # blanks as NaN, the way a data frame writes them
                columns[name] = pa.array(values, pa.float64(), from_pandas=False)
    typed = pa.table(columns)
    assert typed["max_posts"].null_count and typed["tags"].type == pa.list_(pa.string())
    path = tmp_path / "creators.parquet"
    pq.write_table(typed, path, row_group_size=7)  # several row groups: chunked columns
    assert pq.ParquetFile(path).metadata.num_row_groups > 1
    assert_same_pool(read_pool(EXAMPLE / "creators.csv"), read_pool(path))


def test_scenario_reads_a_parquet_pool_and_the_cli_optimizes_it(tmp_path):
    import cli

    for name in ("scenario.toml", "creators.csv"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    pq.write_table(example_as_text(), tmp_path / "creators.parquet")
    toml = tmp_path / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'file = "creators.csv"' in text
    (tmp_path / "parquet.toml").write_text(text.replace('file = "creators.csv"', 'file = "creators.parquet"'),
                                           encoding="utf-8")
    from_csv, from_parquet = load_scenario(toml), load_scenario(tmp_path / "parquet.toml")
    assert_same_pool(from_csv.pool, from_parquet.pool)
    assert from_parquet.pool.source.endswith("creators.parquet")
    result = CliRunner().invoke(cli.main, ["optimize", str(tmp_path / "parquet.toml"), "--format", "json"])
    assert result.exit_code == 0, result.output


def test_parse_pool_takes_parquet_bytes(tmp_path):
    path = write(tmp_path / "p.parquet", handle=["@a", "@b"], followers=[1000, 2000], price=[10, 20])
    pool = parse_pool(path.read_bytes(), "export")
    assert pool.handles == ("@a", "@b") and pool.source == "export"
    np.testing.assert_array_equal(pool.followers, [1000.0, 2000.0])


def test_chosen_by_suffix_or_magic(tmp_path):
    path = write(tmp_path / "pool.export", handle=["@a"], followers=[1000], price=[10])
    assert is_parquet(path) and is_parquet(tmp_path / "missing.PARQUET")
    assert not is_parquet(tmp_path / "missing.csv") and not is_parquet(tmp_path)
    assert read_pool(path).handles == ("@a",)


# --------------------------------------------------------------------------------------------
# Header mapping: as for CSV

def test_headers_fold_case_aliases_and_mapping(tmp_path):
    path = write(tmp_path / "p.parquet", USERNAME=["@a", "@b"], **{"Follower Count": [1000, 2000], "Cost": [10, 20],
                                                                   "Avg. Views": [300, 400], "LOC_Izmir": [0.5, 0.2],
                                                                   "notes": [[1], [2]]})
    pool = read_pool(path, read_options=ReadOptions(mapping={"price": "cost"}))
    assert pool.handles == ("@a", "@b") and pool.location_names == ("Izmir",)
    np.testing.assert_array_equal(pool.price, [10.0, 20.0])
    np.testing.assert_array_equal(pool.avg_views, [300.0, 400.0])
    fails(path, '{path}, row 1: required column "price" is missing; to read column Cost as price, pass '
                'ReadOptions(mapping={{"price": "Cost"}}); the header needs handle,followers,price')


def test_unused_look_alike_column_warns(tmp_path):
    path = write(tmp_path / "p.parquet", handle=["@a"], followers=[1000], price=[10], total_plays=[5])
    assert any("total_plays" in w and "avg_views" in w for w in read_pool(path).warnings)


# --------------------------------------------------------------------------------------------
# Located bad cells: "row N" = the N-th data row + 1

def test_bad_number_is_located(tmp_path):
    path = write(tmp_path / "p.parquet", handle=["@a", "@b", "@c"], followers=[10, 20, -5], price=[1.0, 2.0, 3.0])
    fails(path, "{path}, row 4, column followers: -5 is not allowed; it must be >= 0")


def test_bad_text_cell_is_located_with_the_header_as_written(tmp_path):
    path = write(tmp_path / "p.parquet", handle=["@a", "@b"], follower_count=["10", "abc"], price=[1.0, 2.0])
    fails(path, '{path}, row 3, column followers ("follower_count"): "abc" is not a number; write the follower count, '
                "e.g. 13.9K")


def test_every_bad_cell_at_once(tmp_path):
    path = write(tmp_path / "p.parquet", handle=["@a", "@B", "@b"], followers=[10, 20, 5.5],
                 price=[1.0, float("nan"), float("inf")])
    fails(path, '{path}: 4 bad cells: row 3, column price: is blank; write the price of one post; row 4, column '
                'handle: "@b" already appears in row 3 as "@B"; handles must be unique; row 4, column followers: '
                '5.5 is not a whole number; row 4, column price: "inf" is not a finite number')


def test_values_read_like_the_csv_cells(tmp_path):
    """Blanks (null, NaN, ''), spaces around text, decimals, dictionary strings, dates."""
    path = write(tmp_path / "p.parquet", handle=pa.array([" @a ", "@b", "@c"]).dictionary_encode(),
                 followers=pa.array([1000, 2000, 3000], pa.int32()),
                 price=pa.array([decimal.Decimal("1.50"), decimal.Decimal("2"), decimal.Decimal("3")],
                                pa.decimal128(10, 2)),
                 avg_views=[100.0, float("nan"), None], max_posts=pa.array([2, None, 4], pa.int8()),
                 tags=[None, " Beauty;#SkinCare ", ""],
                 available_from=[datetime.date(2025, 3, 4), None, datetime.date(2025, 3, 1)],
                 available_to=pa.array([datetime.datetime(2025, 3, 9, 12)] * 3, pa.timestamp("us")))
    pool = read_pool(path, options=PoolOptions(start_date=datetime.date(2025, 3, 1)))
    assert pool.handles == ("@a", "@b", "@c")
    np.testing.assert_array_equal(pool.price, [1.5, 2.0, 3.0])
    assert pool.avg_views[0] == 100.0 and not pool.views_from_followers[0]
    assert pool.views_from_followers[1:].all()
    np.testing.assert_array_equal(pool.max_posts, [2, 3, 4])
    assert pool.tags == (frozenset(), frozenset({"beauty", "skincare"}), frozenset())
    np.testing.assert_array_equal(pool.available_from, [3, 0, 0])
    np.testing.assert_array_equal(pool.available_to, [8, 8, 8])


def test_date_without_start_date_and_boolean_numbers_are_bad_cells(tmp_path):
    path = write(tmp_path / "p.parquet", handle=["@a", "@b"], followers=[True, False], price=[1, 2])
    fails(path, '{path}: 2 bad cells: row 2, column followers: "true" is not a number; write the follower count, '
                'e.g. 13.9K; row 3, column followers: "false" is not a number; write the follower count, e.g. 13.9K')
    path = write(tmp_path / "d.parquet", handle=["@a", "@b"], followers=[1, 2], price=[1, 2],
                 available_from=[datetime.date(2025, 3, 4), None])
    fails(path, '{path}, row 2, column available_from: "2025-03-04" is a date but [schedule] start_date is not set; '
                "set start_date in the scenario or write a campaign day number (0 = the first day)")


def test_bytes_that_are_not_utf8_are_located(tmp_path):
    path = write(tmp_path / "p.parquet", handle=[b"@a", b"\xff"], followers=[1, 2], price=[1, 2])
    fails(path, "{path}, row 3, column handle: holds bytes that are not UTF-8 text; write the column as UTF-8 strings")


# --------------------------------------------------------------------------------------------
# Nested columns

def test_list_column_is_refused_unless_tags_of_strings(tmp_path):
    path = write(tmp_path / "p.parquet", handle=["@a", "@b"], followers=[[1], [2]], price=[1, 2])
    fails(path, "{path}, column followers: holds lists (list<element: int64>); reachmix reads one value per cell: "
                "flatten the column in the export")
    path = write(tmp_path / "t.parquet", handle=["@a", "@b"], followers=[1, 2], price=[1, 2], Hashtags=[[1], [2]])
    fails(path, '{path}, column tags ("Hashtags"): holds lists (list<element: int64>); reachmix reads a list of strings '
                "or one text cell with the tags separated by ;: flatten the column in the export")
    path = write(tmp_path / "s.parquet", handle=["@a", "@b"], followers=[1, 2], price=[1, 2],
                 avg_views=[{"a": 1}, {"a": 2}])
    fails(path, "{path}, column avg_views: holds nested records (struct<a: int64>); reachmix reads one value per "
                "cell: flatten the column in the export")


def test_unknown_nested_columns_are_not_read(tmp_path, monkeypatch):
    path = write(tmp_path / "p.parquet", handle=["@a"], followers=[1000], price=[10], raw=[{"x": [1, 2]}])
    read = pq.ParquetFile.read
    asked = []

    def spy(self, columns=None, **kwargs):
        asked.append(columns)
        return read(self, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read", spy)
    assert read_pool(path).handles == ("@a",)
    assert asked == [["handle", "followers", "price"]]


# --------------------------------------------------------------------------------------------
# Files that are not (good) Parquet

def test_text_named_parquet(tmp_path):
    path = tmp_path / "creators.parquet"
    path.write_text("handle,followers,price\n@a,1,2\n", encoding="utf-8")
    fails(path, "{path}: is not a Parquet file (it does not start with PAR1); it looks like text (a CSV?): "
                "rename it to .csv")
    path.write_text('[{"handle": "@a"}]', encoding="utf-8")
    fails(path, "{path}: is not a Parquet file (it does not start with PAR1); it looks like JSON: rename it to .json")
    path.write_bytes(b"\x00\x01\x02\x03\x04")
    fails(path, "{path}: is not a Parquet file (it does not start with PAR1); export it again as Parquet")
    path.write_bytes(b"")
    fails(path, "{path}: the file is empty; export the pool again as Parquet")


@pytest.mark.parametrize("damage", ["truncate", "scramble"])
def test_corrupt_parquet(tmp_path, damage):
    path = write(tmp_path / "p.parquet", handle=[f"@c{i}" for i in range(1000)], followers=list(range(1000, 2000)),
                 price=list(range(1000)))
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[:len(data) // 2])
    else:  # the footer is intact; the pages are not
        footer = int.from_bytes(data[-8:-4], "little") + 8
        path.write_bytes(data[:4] + bytes(b ^ 0x5A for b in data[4:len(data) - footer]) + data[len(data) - footer:])
    with pytest.raises(PoolError) as info:
        read_pool(path)
    message = str(info.value)
    assert message.startswith(f"{path}: is not a readable Parquet file (")
    assert message.endswith("); export it again, or check that it was copied whole")
    assert "\n" not in message


def test_empty_parquet(tmp_path):
    path = write(tmp_path / "p.parquet", handle=pa.array([], pa.string()), followers=pa.array([], pa.int64()),
                 price=pa.array([], pa.int64()))
    fails(path, "{path}: the pool is empty; add one row per creator")


def test_missing_file_and_folder(tmp_path):
    fails(tmp_path / "none.parquet", "{path}: pool file not found; check [pool] file in the scenario")
    folder = tmp_path / "dir.parquet"
    folder.mkdir()
    fails(folder, "{path}: is a directory; point [pool] file at the CSV")


def test_decompressed_size_is_checked_against_the_memory_limit(tmp_path, monkeypatch):
    n = 1_000_000
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"handle": pa.array(["@a"] * n), "followers": np.ones(n), "price": np.ones(n)}),
                   path, compression="zstd", use_dictionary=False)
    assert path.stat().st_size * 4 < 2**20
    monkeypatch.setenv("REACHMIX_MEMORY_LIMIT", "1M")
    with pytest.raises(PoolError) as info:
        read_pool(path)
    assert str(info.value).startswith(f"{path}: the pool file's columns hold ")
    assert str(info.value).endswith("once decompressed; reading them needs about 4x that, more than the memory "
                                    "limit of 1.0 MiB (REACHMIX_MEMORY_LIMIT=1M)")


def test_cli_prints_one_line_for_a_corrupt_pool(tmp_path):
    import cli

    (tmp_path / "creators.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "scenario.toml").write_text('[pool]\nfile = "creators.parquet"\n\n[budget]\ntotal = 1000\n',
                                            encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["optimize", str(tmp_path / "scenario.toml")])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "is not a readable Parquet file" in result.output
