"""Every input error path of contract sections 2-3 (issue item 8), pinned by message and exit code.

Messages are one line that names the file and the row/column or dotted key and says how to fix
it; every error is a ``ReachmixError`` whose ``exit_code`` is 2. The CLI-level tests at the end
check that ``reachmix validate`` prints ``Error: <message>`` on one stderr line and exits 2.
"""

from __future__ import annotations

import os
import re
import tomllib

import pytest

from conftest import BASE_CSV, BASE_TOML, toml_with
from scenarios import PoolError, ReachmixError, ScenarioError, load_scenario

HEADER = "handle,followers,price"
AGES = "age_13_17,age_18_24,age_25_34,age_35_44,age_45_54,age_55_plus"


def raises_exactly(path, cls, expected: str):
    """Load ``path``; assert it raises ``cls`` with exactly ``expected`` and exit code 2."""
    with pytest.raises(cls, match="^" + re.escape(expected) + "$") as info:
        load_scenario(path)
    err = info.value
    assert isinstance(err, ReachmixError)
    assert err.exit_code == 2
    assert len(str(err).splitlines()) == 1
    return err


# --- files -----------------------------------------------------------------------------------


def test_missing_scenario_file(tmp_path):
    path = tmp_path / "nope.toml"
    raises_exactly(path, ScenarioError, f"{path}: scenario file not found; check the path")


def test_missing_pool_file(write_scenario, tmp_path):
    path = write_scenario(toml=BASE_TOML.replace("creators.csv", "missing.csv"))
    raises_exactly(path, PoolError,
                   f"{tmp_path / 'missing.csv'}: pool file not found; check [pool] file in the scenario")


def test_pool_file_is_a_directory(write_scenario, tmp_path):
    (tmp_path / "pooldir").mkdir()
    path = write_scenario(toml=BASE_TOML.replace("creators.csv", "pooldir"))
    raises_exactly(path, PoolError,
                   f"{tmp_path / 'pooldir'}: is a directory; point [pool] file at the CSV")


def test_pool_file_not_utf8(write_scenario, tmp_path):
    path = write_scenario(csv=(HEADER + "\n@a,10,5\n@\xe7,10,5\n").encode("latin-1"))
    offset = len(HEADER + "\n@a,10,5\n@")
    # Issue 9: the message names the row and suggests the encodings real exports use.
    raises_exactly(path, PoolError, f"{tmp_path / 'creators.csv'}, row 3: byte {offset} is not UTF-8; save the file "
                   'as UTF-8, or read it with ReadOptions(encoding="cp1254") (Turkish Windows) or '
                   'ReadOptions(encoding="latin-1")')


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_pool_file_unreadable(write_scenario, tmp_path):
    path = write_scenario()
    (tmp_path / "creators.csv").chmod(0)
    raises_exactly(path, PoolError,
                   f"{tmp_path / 'creators.csv'}: cannot read the pool file (Permission denied)")


def test_pool_path_with_nul_byte_is_a_clean_error(write_scenario, tmp_path):
    # Bug found: a NUL in [pool] file made pathlib raise a bare ValueError.
    path = write_scenario(toml=BASE_TOML.replace("creators.csv", "crea\\u0000tors.csv"))
    with pytest.raises(PoolError) as info:
        load_scenario(path)
    assert "is not a valid file path" in str(info.value)


# --- TOML -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    'name = "unterminated\n',
    "[budget\ntotal = 5\n",
    "[budget]\ntotal = = 5\n",
    "[budget]\ntotal = 5\ntotal = 6\n",
])
def test_malformed_toml(write_scenario, text):
    path = write_scenario(toml=text)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
    else:  # pragma: no cover - the cases above are all malformed
        pytest.fail("test case is valid TOML")
    raises_exactly(path, ScenarioError, f"{path}: malformed TOML: {reason}")


def test_scenario_not_utf8(write_scenario):
    path = write_scenario(toml=b'name = "caf\xe9"\n')
    raises_exactly(path, ScenarioError, f"{path}: byte 11 is not UTF-8; save the scenario as UTF-8")


def test_deeply_nested_toml_is_a_clean_error(write_scenario):
    # Bug found: tomllib's RecursionError escaped the loader.
    path = write_scenario(toml=BASE_TOML + "x = " + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(ScenarioError, match="nested too deeply"):
        load_scenario(path)


@pytest.mark.parametrize("extra, expected", [
    ("[budget]\ntotl = 5", 'budget.totl is not a known key (did you mean "total"?); remove or correct it'),
    ("[constraint]\nmax_posts = 2", 'constraint is not a known key (did you mean "constraints"?); remove or correct it'),
    ("[model]\nrepeat_decy = 0.5", 'model.repeat_decy is not a known key (did you mean "repeat_decay"?); '
                                   "remove or correct it"),
    ("[simulation]\ndayz = 30", 'simulation.dayz is not a known key (did you mean "days"?); remove or correct it'),
    ("[audience]\nintrests = [\"beauty\"]", 'audience.intrests is not a known key (did you mean "interests"?); '
                                            "remove or correct it"),
    ("[constraints]\nmust_includ = []", 'constraints.must_includ is not a known key (did you mean "must_include"?); '
                                        "remove or correct it"),
    ("[objective]\nmaximise = \"engagements\"", 'objective.maximise is not a known key (did you mean "maximize"?); '
                                                "remove or correct it"),
    ("[[kpi]]\nmetric = \"views\"\ntarget = 5\nby_day = 3\npriorty = 1",
     'kpi[0].priorty is not a known key (did you mean "priority"?); remove or correct it'),
    ("[pool.extra]\nx = 1", "pool.extra is not a known key; remove or correct it"),
])
def test_unknown_keys_suggest_the_closest(write_scenario, extra, expected):
    text = BASE_TOML + "\n" + extra + "\n"
    if extra.startswith("[budget]"):
        text = BASE_TOML.replace("[budget]\ntotal = 100000\n", extra + "\n")
    path = write_scenario(toml=text)
    raises_exactly(path, ScenarioError, f"{path}: {expected}")


@pytest.mark.parametrize("toml, expected", [
    ('[pool]\nfile = "creators.csv"\n', "budget.total is required"),
    ("[budget]\ntotal = 5\n", "pool.file is required"),
])
def test_required_keys(write_scenario, toml, expected):
    path = write_scenario(toml=toml)
    raises_exactly(path, ScenarioError, f"{path}: {expected}")


@pytest.mark.parametrize("extra, expected", [
    # zero or negative where not allowed
    (("[budget]", "total = 0"), "budget.total = 0 is too small; it must be > 0"),
    (("[budget]", "total = -5"), "budget.total = -5 is too small; it must be > 0"),
    (("[budget]", 'total = "lots"'), 'budget.total "lots" is not a number; write a number'),
    (("[budget]", "total = true"), "budget.total must be a number, not true"),
    (("[budget]", "total = nan"), "budget.total must be a finite number"),
    (("[audience]", "size = 0"), "audience.size = 0 is too small; it must be > 0"),
    (("[model]", "repeat_decay = 0"), "model.repeat_decay = 0 is too small; it must be > 0"),
    (("[model]", "repeat_decay = 1.5"), "model.repeat_decay = 1.5 is too large; it must be <= 1"),
    (("[model]", "view_rate = 0"), "model.view_rate = 0 is too small; it must be > 0"),
    (("[constraints]", "max_posts = -1"), "constraints.max_posts = -1 is too small; it must be >= 0"),
    (("[constraints]", "max_posts = 2.5"), "constraints.max_posts must be a whole number, not 2.5"),
    (("[constraints]", "max_creator_share = 0"), "constraints.max_creator_share = 0 is too small; it must be > 0"),
    (("[simulation]", "runs = 0"), "simulation.runs = 0 is too small; it must be >= 1"),
])
def test_bad_numbers_in_toml(write_scenario, extra, expected):
    table, line = extra
    if table == "[budget]":
        text = BASE_TOML.replace("total = 100000", line)
    else:
        text = toml_with(table, line)
    path = write_scenario(toml=text)
    raises_exactly(path, ScenarioError, f"{path}: {expected}")


def test_huge_toml_integer_is_a_clean_error(write_scenario):
    # Bug found: a 400-digit integer raised OverflowError from float().
    path = write_scenario(toml=BASE_TOML.replace("total = 100000", "total = " + "9" * 400))
    raises_exactly(path, ScenarioError, f"{path}: budget.total is too large; write a smaller number")


# --- CSV: columns, numbers, shares ----------------------------------------------------------


def csv_error(write_scenario, tmp_path, csv: str, expected: str, toml: str = BASE_TOML):
    path = write_scenario(toml=toml, csv=csv)
    return raises_exactly(path, PoolError, f"{tmp_path / 'creators.csv'}{expected}")


@pytest.mark.parametrize("header, missing, hint", [
    ("handle,followers,prices", "price", ' (did you mean "prices"?)'),
    ("Handel,followers,price", "handle", ' (did you mean "handel"?)'),
    ("handle,price", "followers", ""),
])
def test_missing_required_column(write_scenario, tmp_path, header, missing, hint):
    csv_error(write_scenario, tmp_path, header + "\n" + ",".join(["x"] * (header.count(",") + 1)) + "\n",
              f', row 1: required column "{missing}" is missing{hint}; the header needs handle,followers,price')


@pytest.mark.parametrize("row, column, why", [
    ("@a,lots,100", "followers", '"lots" is not a number; write the follower count, e.g. 13.9K'),
    ("@a,-5,100", "followers", "-5 is not allowed; it must be >= 0"),
    ("@a,12.5,100", "followers", "12.5 is not a whole number"),
    ("@a,,100", "followers", "is blank; write the follower count, e.g. 13.9K"),
    ("@a,1000,0", "price", "0 is not allowed; it must be > 0"),
    ("@a,1000,-3", "price", "-3 is not allowed; it must be > 0"),
    ("@a,1000,", "price", "is blank; write the price of one post"),
    ("@a,1000,free", "price", '"free" is not a number; write the price of one post'),
    ("@a,1000,nan", "price", '"nan" is not a finite number'),
    ("@a,1000,inf", "price", '"inf" is not a finite number'),
])
def test_bad_required_cells(write_scenario, tmp_path, row, column, why):
    csv = f"{HEADER}\n@ok,10,5\n{row}\n"
    csv_error(write_scenario, tmp_path, csv, f", row 3, column {column}: {why}")


@pytest.mark.parametrize("column, value, why", [
    ("avg_views", "-1", "-1 is not allowed; it must be >= 0"),
    ("avg_views", "many", '"many" is not a number; write a number such as 2500, 13.9K or 1.4M'),
    ("fee", "-10", "-10 is not allowed; it must be >= 0"),
    ("max_posts", "1.5", "1.5 is not a whole number"),
    ("max_posts", "-2", "-2 is not allowed; it must be >= 0"),
    ("max_posts", "1e30", "1e30 is too large; it must be <= 10000"),  # bug found: int64 overflow
    ("engagement_rate", "-0.1", "-0.1 is not allowed; it must be >= 0"),
    ("engagement_rate", "4.5", "4.5 looks like a percent; write it as a fraction (0.045)"),
    ("likes_rate", "12", "12 looks like a percent; write it as a fraction (0.12)"),
])
def test_bad_optional_cells(write_scenario, tmp_path, column, value, why):
    csv = f"{HEADER},{column}\n@ok,10,5,\n@a,10,5,{value}\n"
    csv_error(write_scenario, tmp_path, csv, f", row 3, column {column}: {why}")


def test_age_shares_that_look_like_percents(write_scenario, tmp_path):
    csv = f"{HEADER},{AGES}\n@a,10,5,10,30,30,20,5,5\n"
    csv_error(write_scenario, tmp_path, csv,
              ", row 2, columns age_13_17..age_55_plus: the age shares sum to 100, which looks like percents; "
              "write fractions (divide by 100)")


def test_gender_shares_that_look_like_percents(write_scenario, tmp_path):
    csv = f"{HEADER},female,male\n@a,10,5,0.5,0.5\n@b,10,5,55,40\n"
    csv_error(write_scenario, tmp_path, csv,
              ", row 3, columns female..male: the gender shares sum to 95, which looks like percents; "
              "write fractions (divide by 100)")


def test_location_shares_that_look_like_percents(write_scenario, tmp_path):
    csv = f"{HEADER},loc_Istanbul,loc_Ankara\n@a,10,5,60,20\n"
    csv_error(write_scenario, tmp_path, csv,
              ", row 2, columns loc_istanbul..loc_ankara: the location shares sum to 80, which looks like "
              "percents; write fractions (divide by 100)")


def test_age_shares_must_sum_to_one(write_scenario, tmp_path):
    csv = f"{HEADER},{AGES}\n@a,10,5,0.1,0.4,0.3,0.1,0.05,0.05\n@b,10,5,0.1,0.3,0.3,0.1,0.05,0.05\n"
    csv_error(write_scenario, tmp_path, csv,
              ", row 3, columns age_13_17..age_55_plus: the age shares sum to 0.9; they must sum to 1 (+-0.02)")


def test_age_shares_within_tolerance_are_accepted(write_scenario):
    csv = f"{HEADER},{AGES}\n@a,10,5,0.1,0.4,0.3,0.1,0.05,0.065\n"
    scenario = load_scenario(write_scenario(csv=csv))
    assert scenario.pool.age[0].sum() == pytest.approx(1.0)


def test_gender_shares_may_not_exceed_one(write_scenario, tmp_path):
    csv = f"{HEADER},female,male\n@a,10,5,0.7,0.5\n"
    csv_error(write_scenario, tmp_path, csv,
              ", row 2, columns female..male: the gender shares sum to 1.2; they may not exceed 1 (the rest is other)")


def test_partial_age_columns(write_scenario, tmp_path):
    csv = f"{HEADER},age_18_24,age_25_34\n@a,10,5,0.5,0.5\n"
    csv_error(write_scenario, tmp_path, csv,
              ", row 1: has age_18_24 but not age_13_17, age_35_44, age_45_54, age_55_plus; "
              "give all six age columns or none")


def test_duplicate_handles(write_scenario, tmp_path):
    csv = f"{HEADER}\n@a,10,5\n@b,10,5\n@a,20,5\n"
    csv_error(write_scenario, tmp_path, csv,
              ', row 4, column handle: "@a" already appears in row 2; handles must be unique')


def test_blank_handle(write_scenario, tmp_path):
    csv = f"{HEADER}\n@a,10,5\n ,10,5\n"
    csv_error(write_scenario, tmp_path, csv, ", row 3, column handle: is blank; every creator needs a unique handle")


def test_duplicate_column(write_scenario, tmp_path):
    csv_error(write_scenario, tmp_path, f"{HEADER},PRICE\n@a,10,5,6\n", ', row 1: column "PRICE" appears twice; keep one')


def test_unquoted_thousands_separator_is_a_ragged_row(write_scenario, tmp_path):
    csv_error(write_scenario, tmp_path, f"{HEADER}\n@a,2,500,5\n",
              ", row 2: has 4 cells but the header has 3; quote cells that contain commas")


def test_empty_pool(write_scenario, tmp_path):
    csv_error(write_scenario, tmp_path, HEADER + "\n\n",
              ": the pool is empty; add one row per creator below the header")


def test_empty_file(write_scenario, tmp_path):
    csv_error(write_scenario, tmp_path, "",
              ": the file is empty; it needs a header row with handle,followers,price")


def test_messages_quoting_line_breaks_stay_one_line(write_scenario, tmp_path):
    # Bug found: a quoted handle with a line break made a two-line message.
    csv = f'{HEADER}\n"@a\nb",10,5\n"@a\nb",10,5\n'
    path = write_scenario(csv=csv)
    with pytest.raises(PoolError) as info:
        load_scenario(path)
    assert len(str(info.value).splitlines()) == 1
    assert "already appears" in str(info.value)


# --- audience values, tiers, metrics, objectives ---------------------------------------------


@pytest.mark.parametrize("extra, expected", [
    (('[audience]', 'age = ["18-25"]'),
     'audience.age "18-25" is not a known age value; use 13-17, 18-24, 25-34, 35-44, 45-54, 55+ '
     '(did you mean "18-24"?)'),
    (('[audience]', 'gender = ["femal"]'),
     'audience.gender "femal" is not a known gender value; use female, male (did you mean "female"?)'),
    (('[audience]', 'locations = ["Istanbull"]'),
     'audience.locations "Istanbull" is not a location of the pool (columns loc_*: Istanbul, Ankara) '
     '(did you mean "Istanbul"?)'),
    (('[audience]', 'age = []'), "audience.age is an empty list; omit it to mean everyone"),
    (('[constraints]', 'min_count = { micr = 5 }'),
     'constraints.min_count.micr is not a known tier (did you mean "micro"?); use one of nano, micro, mid, macro, mega'),
    (('[constraints]', 'max_budget_share = { megaa = 0.5 }'),
     'constraints.max_budget_share.megaa is not a known tier (did you mean "mega"?); '
     'use one of nano, micro, mid, macro, mega'),
    (('[tiers]', 'micr = [10000, 100000]'),
     'tiers.micr is not a known key (did you mean "micro"?); remove or correct it'),
    (('[[kpi]]', 'metric = "view"\ntarget = 5\nby_day = 3'),
     'kpi[0].metric "view" is not one of views, target_reach, likes, comments, shares, engagements, '
     'engagement_rate, followers_gained (did you mean "views"?)'),
    (('[objective]', 'maximize = "target_rech"'),
     'objective.maximize "target_rech" is not one of target_reach, target_impressions, engagements, kpi '
     '(did you mean "target_reach"?)'),
    (('[objective]', 'weights = { engagement = 1.0 }'),
     'objective.weights.engagement is not a known objective (did you mean "engagements"?); '
     'use one of target_reach, target_impressions, engagements'),
])
def test_unknown_values(write_scenario, extra, expected):
    path = write_scenario(toml=toml_with(*extra))
    raises_exactly(path, ScenarioError, f"{path}: {expected}")


def test_unknown_engagement_basis(write_scenario):
    text = BASE_TOML.replace('file = "creators.csv"', 'file = "creators.csv"\nengagement_basis = "follower"')
    path = write_scenario(toml=text)
    raises_exactly(path, ScenarioError,
                   f'{path}: pool.engagement_basis "follower" is not one of views, followers (did you mean "followers"?)')


@pytest.mark.parametrize("key", ["must_include", "exclude"])
def test_handle_not_in_pool(write_scenario, tmp_path, key):
    path = write_scenario(toml=toml_with("[constraints]", f'{key} = ["@ayse.makup"]'))
    raises_exactly(path, ScenarioError,
                   f'{path}: constraints.{key} names "@ayse.makup", which is not in the pool '
                   f'{tmp_path / "creators.csv"} (did you mean "@ayse.makeup"?); correct or remove it')


def test_handle_in_both_lists(write_scenario):
    path = write_scenario(toml=toml_with("[constraints]", 'must_include = ["@mert.tech"]',
                                         'exclude = ["@mert.tech"]'))
    raises_exactly(path, ScenarioError,
                   f'{path}: constraints.exclude names "@mert.tech", which must_include also names; '
                   "keep it in one list")


@pytest.mark.parametrize("dim, value, columns", [
    ("age", '["18-24"]', "age_18_24, ..."),
    ("gender", '["female"]', "female, male"),
    ("locations", '["Istanbul"]', "loc_<Name>"),
])
def test_restricted_dimension_without_pool_columns(write_scenario, tmp_path, dim, value, columns):
    path = write_scenario(toml=toml_with("[audience]", f"{dim} = {value}"), csv=f"{HEADER}\n@a,10,5\n")
    raises_exactly(path, ScenarioError,
                   f"{path}: audience.{dim} restricts the target but the pool {tmp_path / 'creators.csv'} has no "
                   f"{columns} columns; add them or remove audience.{dim}")


def test_population_for_an_open_dimension(write_scenario):
    path = write_scenario(toml=toml_with("[audience.population]", "gender = { female = 1 }"))
    raises_exactly(path, ScenarioError,
                   f"{path}: audience.population.gender is given but audience.gender is open; "
                   "restrict audience.gender or remove this")


def test_population_missing_a_target_value(write_scenario):
    path = write_scenario(toml=toml_with("[audience]", 'locations = ["Istanbul", "Ankara"]',
                                         "[audience.population]", "locations = { Istanbul = 0.7 }"))
    raises_exactly(path, ScenarioError,
                   f"{path}: audience.population.locations has no share for Ankara; give one for every target value")


def test_tiers_with_a_gap(write_scenario):
    path = write_scenario(toml=toml_with("[tiers]", "micro = [20000, 100000]"))
    raises_exactly(path, ScenarioError,
                   f"{path}: tiers.micro starts at 20000 but the tier below ends at 10000; tiers must cover every "
                   "follower count without gaps or overlaps, so adjust the neighbouring tier")


# --- the CLI: Error: <message> on one stderr line, exit 2, no traceback ------------------------


CLI_CASES = {
    "missing pool file": (BASE_TOML.replace("creators.csv", "missing.csv"), BASE_CSV),
    "malformed toml": ("[budget\ntotal = 5\n", BASE_CSV),
    "unknown key": (BASE_TOML + "\n[model]\nrepeat_decy = 0.5\n", BASE_CSV),
    "non-numeric cell": (BASE_TOML, f"{HEADER}\n@a,lots,5\n"),
    "percent shares": (BASE_TOML, f"{HEADER},{AGES}\n@a,10,5,10,30,30,20,5,5\n"),
    "duplicate handle": (BASE_TOML, f"{HEADER}\n@a,10,5\n@a,10,5\n"),
    "empty pool": (BASE_TOML, HEADER + "\n"),
    "line break in a handle": (BASE_TOML, f'{HEADER}\n"@a\nb",10,5\n"@a\nb",10,5\n'),
    "must_include not in pool": (toml_with("[constraints]", 'must_include = ["@nobody"]'), BASE_CSV),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_validate_reports_one_error_line(write_scenario, case):
    cli = pytest.importorskip("cli")
    from click.testing import CliRunner

    toml, csv = CLI_CASES[case]
    path = write_scenario(toml=toml, csv=csv)
    with pytest.raises(ReachmixError) as info:
        load_scenario(path)
    result = CliRunner().invoke(cli.main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    stderr = result.stderr
    assert stderr.startswith("Error: ")
    assert len(stderr.strip("\n").splitlines()) == 1, stderr
    assert stderr.strip("\n") == f"Error: {info.value}"
    assert "Traceback" not in stderr and "Traceback" not in result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_validate_accepts_a_valid_scenario(write_scenario):
    cli = pytest.importorskip("cli")
    from click.testing import CliRunner

    result = CliRunner().invoke(cli.main, ["validate", str(write_scenario())])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    assert not result.stderr.startswith("Error:")


# --- plan JSON (PLAN_JSON: any JSON with a selection list of {"handle", "posts"}) ------------


@pytest.fixture
def pool(write_scenario):
    return load_scenario(write_scenario()).pool


@pytest.mark.parametrize("text, expected", [
    ('{"selection": [{"handle": "@ayse.makup", "posts": 1}]}',
     'selection[0]: handle "@ayse.makup" is not in the pool {pool} (did you mean "@ayse.makeup"?)'),
    ('{"selection": [{"handle": "@ayse.makeup", "posts": 1.5}]}', "selection[0]: posts must be a whole number >= 0, not 1.5"),
    ('{"selection": [{"handle": "@ayse.makeup", "posts": -1}]}', "selection[0]: posts must be a whole number >= 0, not -1"),
    ('{"selection": [{"handle": "@ayse.makeup", "posts": "2"}]}', 'selection[0]: posts must be a whole number >= 0, not "2"'),
    # Bugs found: these three raised OverflowError / ValueError / TypeError.
    ('{"selection": [{"handle": "@ayse.makeup", "posts": Infinity}]}',
     "selection[0]: posts must be a whole number >= 0, not Infinity"),
    ('{"selection": [{"handle": "@ayse.makeup", "posts": 1e30}]}',
     "selection[0]: posts = 1e+30 is too large; it must be <= 10000"),
    ('{"selection": [{"handle": ["@ayse.makeup"], "posts": 1}]}',
     'selection[0]: handle must be a string such as "@a", not ["@ayse.makeup"]'),
    ('{"selection": [{"handle": "@mert.tech", "posts": 1}, {"handle": "@mert.tech", "posts": 2}]}',
     'selection[1]: handle "@mert.tech" appears twice; list each creator once'),
    ('{"selection": [{"handle": "@mert.tech"}]}', 'selection[0] needs "handle" and "posts"'),
    ('{"plan": []}', 'needs a "selection" list of {"handle", "posts"} objects'),
])
def test_plan_errors(tmp_path, pool, text, expected):
    from scenarios import PlanError, plan_from_json

    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        plan_from_json(path, pool)
    assert str(info.value) == f"{path}: " + expected.replace("{pool}", pool.source)
    assert info.value.exit_code == 2


def test_plan_reads_a_valid_selection(tmp_path, pool):
    from scenarios import plan_from_json

    path = tmp_path / "plan.json"
    path.write_text('{"strategy": "mine", "selection": [{"handle": "@deniz.vlogs", "posts": 2}, '
                    '{"handle": "@ayse.makeup", "posts": 1.0}], "extra": true}', encoding="utf-8")
    plan = plan_from_json(path, pool)
    assert plan.posts.tolist() == [1, 0, 2]
    assert plan.strategy == "mine"


def test_plan_file_not_json(tmp_path, pool):
    from scenarios import PlanError, plan_from_json

    path = tmp_path / "plan.json"
    path.write_text("{oops", encoding="utf-8")
    with pytest.raises(PlanError, match=r"^" + re.escape(f"{path}: not valid JSON (") + r".*\); give a JSON object "
                                        r"with a selection list$"):
        plan_from_json(path, pool)
    with pytest.raises(PlanError, match=r"^" + re.escape(f"{tmp_path / 'no.json'}: plan file not found; check the path")):
        plan_from_json(tmp_path / "no.json", pool)


def test_unquoted_non_ascii_toml_key_says_to_quote_it(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text('[budget]\ntotal = 5\n[audience.population]\nlocations = { İstanbul = 0.73 }\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert str(exc.value) == (
        f"{path}: malformed TOML: Invalid initial character for a key part (at line 4, column 15); "
        'a key with letters outside A-Z must be quoted: write "İstanbul" = ...'
    )


def test_ascii_toml_key_error_is_left_as_tomllib_says(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text('[budget]\ntotal = = 5\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert "must be quoted" not in str(exc.value)
