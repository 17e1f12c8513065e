"""The one reader for real exports (issue 9 part A, issue 10 "messages that leave the user stuck").

``scenarios.table`` turns a CSV/JSON/JSON Lines file into string columns with line numbers;
``scenarios.pool_csv`` builds the pool from it. Messages are pinned exactly: one line, the file,
the row (the file's line number, header = 1; JSON: the record number) and the column, and a fix.
"""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import BASE_TOML, toml_with
from scenarios import PoolError, ScenarioError, load_scenario, parse_pool
from scenarios.errors import ReachmixError
from scenarios.table import ALIASES, MAX_CELL, ReadOptions, parse_table, raise_problems

HEADER = "handle,followers,price"
POOL = dict(required=("handle", "followers", "price"),
            known=("handle", "followers", "price", "avg_views", "tags", "engagement_rate"),
            aliases=ALIASES, error=PoolError, what="pool", row_name="creator", prefixes=("loc_",))


def table(data, **options):
    return parse_table(data, "f.csv", options=ReadOptions(**options), **POOL)


def cols(t) -> dict:
    return {k: v.to_pylist() for k, v in t.columns.items()}


def fails(data, expected: str, **options):
    with pytest.raises(PoolError) as info:
        table(data, **options)
    assert str(info.value) == expected
    assert len(str(info.value).splitlines()) == 1
    return info.value


def pool_fails(text, expected: str, **options):
    with pytest.raises(PoolError) as info:
        parse_pool(text, "p.csv", read_options=ReadOptions(**options) if options else None)
    assert str(info.value) == expected
    assert info.value.exit_code == 2 and len(str(info.value).splitlines()) == 1


# --- formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiter_is_sniffed_from_the_header(sep):
    # A semicolon in a quoted header cell does not count: only delimiters outside quotes do.
    text = f'handle{sep}followers{sep}price{sep}"notes; misc"\n@a{sep}10{sep}5{sep}"x;y"\n'
    t = table(text)
    assert cols(t)["followers"] == ["10"] and cols(t)["notes; misc"] == ["x;y"]


def test_semicolon_pool_with_decimal_commas_simply_loads():
    # Issue 10: a ;-separated export said only 'required column "handle" is missing'.
    pool = parse_pool("handle;followers;price;engagement_rate\n@a;13,9K;1.200;0,05\n@b;2,5K;950;0,04\n", "p.csv")
    np.testing.assert_array_equal(pool.followers, [13_900, 2_500])
    np.testing.assert_allclose(pool.engagement_rate, [0.05, 0.04])


def test_forced_delimiter_that_does_not_match_says_what_the_file_looks_like():
    fails("handle;followers;price\n@a;1;2\n",
          'f.csv, row 1: required column "handle" is missing; the file looks ;-separated, but '
          'ReadOptions(delimiter=",") was given; the header needs handle,followers,price', delimiter=",")


def test_bom_and_crlf():
    t = table(b"\xef\xbb\xbfHandle,Followers,Price\r\n@a,10,5\r\n\r\n@b,20,6\r\n")
    assert cols(t) == {"handle": ["@a", "@b"], "followers": ["10", "20"], "price": ["5", "6"]}
    assert t.lines.tolist() == [2, 4]


def test_cp1254_needs_encoding_and_reads_with_it():
    data = "handle,followers,price,loc_İstanbul\n@ayşe,10,5,0.5\n@çağrı,20,6,0.4\n".encode("cp1254")
    offset = data.index(b"\xdd")  # İ in cp1254, in the header
    fails(data, f"f.csv, row 1: byte {offset} is not UTF-8; save the file as UTF-8, or read it with "
                'ReadOptions(encoding="cp1254") (Turkish Windows) or ReadOptions(encoding="latin-1")')
    t = table(data, encoding="cp1254")
    assert cols(t)["handle"] == ["@ayşe", "@çağrı"]
    assert t.headers["loc_istanbul"] == "loc_İstanbul"


def test_unknown_encoding_is_an_error():
    with pytest.raises(ReachmixError, match='^encoding "klingon" is not known; use utf-8, cp1254 or latin-1$'):
        ReadOptions(encoding="klingon")


def test_json_list_jsonl_and_api_wrapper_read_alike():
    records = [{"username": "@a", "follower_count": 12000, "price": 50, "hashtag_names": ["Beauty", "skin"]},
               {"username": "@b", "follower_count": 800, "price": 9.5, "region_code": "TR"}]
    as_list = table(json.dumps(records))
    as_lines = table("\n".join(json.dumps(r) for r in records) + "\n")
    wrapped = table(json.dumps({"data": {"videos": records, "cursor": 2, "has_more": False}}))
    for t in (as_list, as_lines, wrapped):
        assert cols(t)["handle"] == ["@a", "@b"]
        assert cols(t)["followers"] == ["12000", "800"]
        assert cols(t)["price"] == ["50", "9.5"]
        assert cols(t)["tags"] == ["Beauty;skin", ""]
        assert t.lines.tolist() == [1, 2]
        assert t.warnings == ()  # region_code is a known Research API field, not a look-alike


def test_json_numbers_keep_their_digits():
    t = table('[{"handle": "@a", "followers": 12000, "price": 1e3, "id": 7250000000000000123, "x": {"a": 1}}]')
    assert cols(t)["price"] == ["1000.0"] and cols(t)["x"] == ['{"a": 1}']
    assert cols(t)["id"] == ["7250000000000000123"]  # exact: a float would end in ...000


def test_json_lines_errors_name_the_line():
    fails('{"handle": "@a", "followers": 1, "price": 2}\n\n{"handle": "@b", "followers": 1, price: 2}\n',
          "f.csv, row 3: not valid JSON (Expecting property name enclosed in double quotes, column 34); "
          "JSON Lines needs one object per line")
    fails('[{"handle": "@a"}, 5]', "f.csv, row 2: is int, not an object with named fields")


# --- column mapping and aliases -----------------------------------------------------------------


def test_research_api_names_load_without_map(write_scenario):
    csv = "id,username,follower_count,price,view_count,video_description,region_code\n" \
          "7300000000000000001,@a,12000,50,900,hi,TR\n7300000000000000002,@b,800,9,80,yo,TR\n"
    scenario = load_scenario(write_scenario(csv=csv))
    assert scenario.pool.handles == ("@a", "@b")
    np.testing.assert_array_equal(scenario.pool.followers, [12000, 800])
    # view_count of a single video is not avg_views: it is named in a warning, not used.
    assert scenario.pool.warnings == (
        f'{scenario.pool.source}: column "view_count" is not used; it looks like avg_views (the expected views of ONE '
        "post; not a total over all videos, which would overstate reach): to read it as avg_views, pass "
        'ReadOptions(mapping={"avg_views": "view_count"})',)


def test_platform_export_names_are_aliases():
    t = table("Username,Follower count,Price per post,Avg. views,Hashtags\n@a,10,5,7,x\n")
    assert set(cols(t)) == {"handle", "followers", "price", "avg_views", "tags"}
    assert t.headers["followers"] == "Follower count"


def test_foreign_headers_with_map():
    t = table("user_name,fans_n,cost,vid_nview\n@a,10,5,7\n",
              mapping={"handle": "user_name", "followers": "FANS_N", "price": "cost", "avg_views": "vid_nview"})
    assert cols(t) == {"handle": ["@a"], "followers": ["10"], "price": ["5"], "avg_views": ["7"]}
    assert t.warnings == ()
    assert t.where(0, "handle") == 'f.csv, row 2, column handle ("user_name")'


def test_look_alike_columns_get_a_warning_with_the_map():
    t = table("handle,followers,price,vid_nview\n@a,10,5,7\n")
    assert t.warnings == ('f.csv: column "vid_nview" is not used; it looks like avg_views (the expected views of ONE '
                          "post; not a total over all videos, which would overstate reach): to read it as avg_views, "
                          'pass ReadOptions(mapping={"avg_views": "vid_nview"})',)
    # An alias of a missing required column is suggested in the error itself.
    fails("user_name,followers,price\n@a,1,2\n",
          'f.csv, row 1: required column "handle" is missing; to read column user_name as handle, pass '
          'ReadOptions(mapping={"handle": "user_name"}); the header needs handle,followers,price')


def test_map_errors():
    fails("user_name,followers,price\n@a,1,2\n",
          'f.csv, row 1: no column "user_nam" to read as handle (ReadOptions(mapping={"handle": "user_nam"})) '
          '(did you mean "user_name"?); the columns are user_name, followers, price', mapping={"handle": "user_nam"})
    fails("handle,followers,price\n@a,1,2\n",
          'f.csv: ReadOptions(mapping={"handel": "handle"}): "handel" is not a column reachmix reads here (did you '
          'mean "handle"?); use one of handle, followers, price, avg_views, tags, engagement_rate',
          mapping={"handel": "handle"})


def test_two_columns_for_one_target_is_an_error_naming_both():
    fails("Creator,Username,followers,price\nAyşe,@a,1,2\n",
          'f.csv, row 1: columns "Creator" and "Username" would both be read as handle; keep one, or choose with '
          'ReadOptions(mapping={"handle": "Creator"})')
    # ... and an explicit mapping settles it.
    assert cols(table("Creator,Username,followers,price\nAyşe,@a,1,2\n", mapping={"handle": "Username"}))["handle"] \
        == ["@a"]


def test_duplicate_header_after_folding():
    fails("handle,followers,price,loc_İstanbul,LOC_ISTANBUL\n@a,1,2,0.1,0.2\n",
          'f.csv, row 1: column "LOC_ISTANBUL" appears twice; keep one')


# --- line numbers and structure -----------------------------------------------------------------


def test_line_numbers_count_blank_lines_and_quoted_line_breaks():
    text = 'handle,followers,price\n\n@a,10,5\n"@b\nsecond line",20,6\n   \n,,\n"",""\n@c,30,7\n'
    t = table(text)
    assert cols(t)["handle"] == ["@a", "@b\nsecond line", "@c"]
    assert t.lines.tolist() == [3, 4, 9]
    pool_fails(text.replace("@c,30,7", "@c,lots,7"),
               'p.csv, row 9, column followers: "lots" is not a number; write the follower count, e.g. 13.9K')


def test_old_mac_line_ends():
    assert table("handle,followers,price\r@a,1,2\r@b,3,4\r").lines.tolist() == [2, 3]


@pytest.mark.parametrize("text, expected", [
    ("handle,followers,price\n@a,1,2\n@b,2,500,5\n",
     "f.csv, row 3: has 4 cells but the header has 3; quote cells that contain commas"),
    # The short row's text also occurs inside row 2: the located row is still the short one.
    ("handle,followers,price\n@a,1,2\n1,2\n", "f.csv, row 3: has 2 cells but the header has 3; quote cells that "
                                                 "contain commas"),
    ("handle;followers;price\n@a;1;2\n@b;2;5;\n",
     "f.csv, row 3: has 4 cells but the header has 3; quote cells that contain semicolons"),
    ('handle,followers,price\n@a,"1,2\n@b,2,3\n',
     "f.csv, row 2: a quote opens a cell that is never closed; check the quotes (a quote inside a cell must be "
     "doubled)"),
    ('handle,followers,price\n@a,"1",2\n@b,2,"3\n@c,"4",5\n',
     "f.csv, row 3: a quoted cell runs on to row 4; a quote is probably not closed in row 3; check the quotes"),
    ('handle,followers,price\n@a,1"0,2\n',
     'f.csv, row 2: a quote inside an unquoted cell; quote the whole cell and double the quote ("a ""b"" c")'),
    ("handle,followers,price\n@a,1,2\n@b\x00,1,2\n",
     "f.csv, row 3: contains a NUL byte; this is not a text file (save it as CSV or JSON)"),
    ("", "f.csv: the file is empty; it needs a header row with handle,followers,price"),
    (" \n\n", "f.csv: the file is empty; it needs a header row with handle,followers,price"),
    ("handle,followers,price\n\n,,\n", "f.csv: the pool is empty; add one row per creator below the header"),
])
def test_structural_errors_are_located(text, expected):
    fails(text, expected)


def test_a_huge_cell_names_row_and_column_and_the_quote():
    # Issue 10: this said "field larger than field limit (131072)".
    text = 'handle,followers,price\n@a,1,2\n@b,"' + "x" * 300_000 + '",3\n'
    fails(text, f"f.csv, row 3, column followers: the cell is 300,002 characters long (the limit is {MAX_CELL:,}); "
                "a quote is probably not closed in this cell; check the quotes")


# --- every bad cell at once ---------------------------------------------------------------------


def test_three_bad_cells_in_one_message():
    pool_fails(f"{HEADER},avg_views\n@a,lots,5,1\n@b,10,0,2\n@c,10,5,-3\n@d,10,5,4\n",
               'p.csv: 3 bad cells: row 2, column followers: "lots" is not a number; write the follower count, e.g. '
               "13.9K; row 3, column price: 0 is not allowed; it must be > 0; row 4, column avg_views: -3 is not "
               "allowed; it must be >= 0")


def test_twenty_five_bad_cells_list_twenty_then_count():
    rows = "".join(f"@c{k},{k}.5,5\n" for k in range(25))
    listed = "; ".join(f"row {k + 2}, column followers: {k}.5 is not a whole number" for k in range(20))
    pool_fails(f"{HEADER}\n{rows}", f"p.csv: 25 bad cells: {listed}; and 5 more")


def test_raise_problems_with_nothing_is_silent():
    raise_problems(table("handle,followers,price\n@a,1,2\n"), {}, PoolError)


# --- names fold (case, Unicode form, Turkish i) -------------------------------------------------


def test_handles_that_fold_alike_are_an_error_naming_both_rows():
    pool_fails(f"{HEADER}\n@zeynep.cilt,10,5\n@b,1,1\n@Zeynep.Cilt,10,5\n",
               'p.csv, row 4, column handle: "@Zeynep.Cilt" already appears in row 2 as "@zeynep.cilt"; handles '
               "must be unique")
    nfc, nfd = "@ayşe", unicodedata.normalize("NFD", "@ayşe")
    assert nfc != nfd
    pool_fails(f"{HEADER}\n{nfc},10,5\n{nfd},10,5\n",
               f'p.csv, row 3, column handle: "{nfd}" already appears in row 2 as "{nfc}"; handles must be unique')
    pool_fails(f"{HEADER}\n@IŞIK,10,5\n@ışık,10,5\n",
               'p.csv, row 3, column handle: "@ışık" already appears in row 2 as "@IŞIK"; handles must be unique')


def test_locations_and_tags_fold(write_scenario):
    csv = f"{HEADER},tags,loc_İstanbul,loc_Ankara\n@a,10,5,#İstanbulLife;Beauty,0.6,0.2\n@b,20,6,beauty,0.3,0.5\n"
    toml = toml_with("[audience]", 'locations = ["ISTANBUL"]', 'interests = ["istanbullife"]')
    scenario = load_scenario(write_scenario(toml=toml, csv=csv))
    assert scenario.audience.locations == ("İstanbul",)
    assert scenario.pool.tags[0] == frozenset({"istanbullife", "beauty"})
    assert scenario.audience.interests == frozenset({"istanbullife"})


# --- rates: percent decided per column ----------------------------------------------------------


def test_a_rate_above_one_in_a_column_of_fractions_is_accepted_with_a_warning():
    pool = parse_pool(f"{HEADER},engagement_rate\n@a,10,5,0.06\n@b,10,5,1.16\n@c,10,5,0.04\n", "p.csv")
    np.testing.assert_allclose(pool.engagement_rate, [0.06, 1.16, 0.04])
    assert pool.warnings == ("p.csv: column engagement_rate is above 1 in 1 row(s) (e.g. row 3: 1.16); read as more "
                             "interactions than views, since the rest of the column is fractions; check those rows",)


def test_a_column_of_percents_is_an_error_for_every_cell():
    pool_fails(f"{HEADER},engagement_rate\n@a,10,5,6\n@b,10,5,0.5\n@c,10,5,4.5\n",
               "p.csv: 2 bad cells: row 2, column engagement_rate: 6 looks like a percent; write it as a fraction "
               "(0.06); row 4, column engagement_rate: 4.5 looks like a percent; write it as a fraction (0.045)")


def test_percent_signs_are_fractions():
    pool = parse_pool(f"{HEADER},engagement_rate\n@a,10,5,6%\n@b,10,5,4.5%\n", "p.csv")
    np.testing.assert_allclose(pool.engagement_rate, [0.06, 0.045])


# --- scenario and CLI options -------------------------------------------------------------------


FOREIGN = "user_name;fans;cost;vid_nview\n@a;13,9K;100;5000\n@b;2 500;50;700\n"


def test_pool_columns_table_and_pool_keys(write_scenario):
    toml = BASE_TOML.replace('file = "creators.csv"', 'file = "creators.csv"\ndelimiter = ";"\ndecimal = "comma"') + \
        '\n[pool.columns]\nhandle = "user_name"\nfollowers = "fans"\nprice = "cost"\navg_views = "vid_nview"\n'
    scenario = load_scenario(write_scenario(toml=toml, csv=FOREIGN))
    np.testing.assert_array_equal(scenario.pool.followers, [13_900, 2_500])
    np.testing.assert_array_equal(scenario.pool.avg_views, [5000, 700])
    assert scenario.pool.warnings == ()


@pytest.mark.parametrize("pool_keys, tables, expected", [
    ("", '[pool.columns]\nhandel = "user_name"',
     'pool.columns.handel is not a pool column reachmix reads (did you mean "handle"?); use one of handle, followers, '
     "price, avg_views, engagement_rate, likes_rate, comments_rate, shares_rate, max_posts, fee, tags, ..."),
    ("", "[pool.columns]\nhandle = 5", "pool.columns.handle must be a string, not int"),
    ('encoding = "klingon"', "", 'pool.encoding "klingon" is not known; use utf-8, cp1254 or latin-1'),
    ('delimiter = ";;"', "", 'pool.delimiter ";;" must be one character such as , ; or tab'),
    ('decimal = "x"', "", 'pool.decimal "x" is not one of dot, comma, ., ,'),
])
def test_pool_reading_keys_errors(write_scenario, pool_keys, tables, expected):
    text = BASE_TOML.replace('file = "creators.csv"', 'file = "creators.csv"\n' + pool_keys) + "\n" + tables + "\n"
    path = write_scenario(toml=text, csv=FOREIGN)
    with pytest.raises(ScenarioError, match="^" + re.escape(f"{path}: {expected}") + "$"):
        load_scenario(path)


def test_unknown_pool_key_still_suggests(write_scenario):
    path = write_scenario(toml=BASE_TOML.replace('file = "creators.csv"', 'file = "creators.csv"\ndelimeter = ";"'))
    with pytest.raises(ScenarioError, match="^" + re.escape(
            f'{path}: pool.delimeter is not a known key (did you mean "delimiter"?); remove or correct it') + "$"):
        load_scenario(path)


def test_cli_map_delimiter_and_encoding(write_scenario, tmp_path):
    from cli import main

    path = write_scenario(csv=FOREIGN.encode("cp1254"))
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(path), "--map", "handle=user_name", "--map", "followers=fans",
                                  "--map", "price=cost", "--map", "avg_views=vid_nview", "--delimiter", ";",
                                  "--encoding", "cp1254", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["creators"] == 2
    # Without --map: the located error with the fix, on one line, exit 2.
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f'Error: {tmp_path / "creators.csv"}, row 1: required column "handle" is missing; to read '
                             "column user_name as handle, pass --map handle=user_name; the header needs "
                             "handle,followers,price\n")


def test_cli_map_warning_and_bad_form(write_scenario):
    from cli import main

    path = write_scenario(csv="handle,followers,price,views\n@a,1000,5,700\n")
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 0
    assert "pass --map avg_views=views" in json.loads(result.stdout)["warnings"][0]
    assert "Warning: " in result.stderr and "--map avg_views=views" in result.stderr
    result = runner.invoke(main, ["validate", str(path), "--map", "avg_views=views", "--format", "json"])
    assert result.exit_code == 0
    assert not any('column "views"' in w for w in json.loads(result.stdout)["warnings"])
    assert load_scenario(path, read_options=ReadOptions(mapping={"avg_views": "views"})).pool.avg_views.tolist() \
        == [700]
    result = runner.invoke(main, ["validate", str(path), "--map", "views"])
    assert result.exit_code == 2
    assert result.stderr == ("Error: Invalid value for '--map': 'views': write TARGET=SOURCE, e.g. --map "
                             "avg_views=views or --map handle=user_name (see 'reachmix validate --help')\n")


def test_every_command_that_reads_a_pool_takes_the_reading_options():
    from cli import main

    for name in ("validate", "optimize", "evaluate", "simulate", "compare", "sweep", "report", "frontier"):
        options = {opt for p in main.commands[name].params for opt in p.opts}
        assert {"--map", "--delimiter", "--encoding", "--decimal"} <= options, name


def test_optimize_and_compare_read_a_foreign_pool_with_map(write_scenario):
    from cli import main

    path = write_scenario(csv=FOREIGN)
    maps = ["--map", "handle=user_name", "--map", "followers=fans", "--map", "price=cost", "--decimal", "comma"]
    result = CliRunner().invoke(main, ["optimize", str(path), "--strategy", "greedy", "--format", "json", *maps])
    assert result.exit_code == 0, result.output
    assert {s["handle"] for s in json.loads(result.stdout)["selection"]} <= {"@a", "@b"}
    result = CliRunner().invoke(main, ["compare", str(path), "--strategy", "greedy", "--format", "json", *maps])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    assert row["status"] != "infeasible"
    assert any('column "vid_nview" is not used' in w for w in row["warnings"])


def test_a_required_column_mapped_elsewhere_says_so():
    with pytest.raises(PoolError) as exc:
        parse_pool("handle,followers,price\n@a,100,5\n", "p.csv", read_options=ReadOptions(mapping={"avg_views": "followers"}))
    assert str(exc.value) == ('p.csv, row 1: column "followers" is mapped to avg_views, so it cannot also be read '
                              "as followers; a column feeds one target: map followers to another column")
