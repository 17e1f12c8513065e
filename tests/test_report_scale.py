"""The report on plans hiring many creators (issue 12): briefs collapse into cards for the largest
buys plus one folded table of every hired creator, the plan table folds, nothing is lost."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from scenarios import Plan, ReachModel, load_scenario
from scenarios.briefs import briefs_for_plan, load_content_angles
from scenarios.generate import write_example
from whatif.report import BRIEF_CARDS, PLAN_OPEN_ROWS, render_report
from whatif.results import plan_result


@pytest.fixture(scope="module")
def pool_scenario(tmp_path_factory):
    path, _ = write_example(tmp_path_factory.mktemp("scale") / "pool", 400, 3)
    return load_scenario(path)


def _plan(scenario, hired: int) -> dict:
    """A plan hiring the first ``hired`` creators, with 1-3 posts (costs differ, so ranks are clear)."""
    posts = np.zeros(scenario.pool.size, dtype=np.int64)
    posts[:hired] = 1 + np.arange(hired) % 3
    return plan_result(scenario, Plan(posts=posts, strategy="milp", status="optimal"), ReachModel.build(scenario))


def _between(doc: str, start: str, end: str) -> str:
    return doc.split(start, 1)[1].split(end, 1)[0]


def _cards(part: str) -> list[str]:
    return re.findall(r'<article class="brief"><h3>(.*?)</h3>', part)


def test_many_hires_get_cards_for_the_largest_buys_and_a_folded_table(pool_scenario):
    hired = 300
    plan = _plan(pool_scenario, hired)
    doc = render_report(pool_scenario, plan)
    briefs = _between(doc, 'id="briefs"', 'id="assumptions"')
    handles = [row["handle"] for row in plan["selection"]]
    # Full cards only for the BRIEF_CARDS largest buys, most expensive first.
    cards = [html.unescape(h) for h in _cards(briefs)]
    assert len(cards) == BRIEF_CARDS
    cost = {row["handle"]: row["cost"] for row in plan["selection"]}
    assert [cost[h] for h in cards] == sorted((cost[h] for h in cards), reverse=True)
    assert min(cost[h] for h in cards) >= max(cost[h] for h in handles if h not in cards)
    # Every hired creator has a row in the folded brief table, in the cards' order; nobody else does.
    table = _between(briefs, "<details>", "</details>")
    assert f"All {hired:,} hired creators" in table
    rows = [html.unescape(h) for h in re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td class=\"num\">", table)]
    assert sorted(rows) == sorted(handles) and rows[:BRIEF_CARDS] == cards
    hired_rows = set(np.flatnonzero(np.asarray([h in cost for h in pool_scenario.pool.handles])))
    for i in range(pool_scenario.pool.size):
        if i not in hired_rows:
            assert f"<td>{html.escape(pool_scenario.pool.handles[i])}</td>" not in briefs
    # Angle sets: each listed once with its creator count, which is how many rows name it.
    sets = _between(table, "<caption>Angle sets</caption>", "</table>")
    pairs = re.findall(r'<tr><td>(A\d+)</td>.*?<td class="num">([\d,]+)</td></tr>', sets)
    listed = {k: int(c.replace(",", "")) for k, c in pairs}
    named = re.findall(r"<td>(A\d+)</td><td>[^<]*</td></tr>", _between(table, "<caption>Briefs</caption>", "</table>"))
    assert len(named) == hired and sum(listed.values()) == hired
    assert {k: named.count(k) for k in listed} == listed

def test_each_brief_row_matches_its_brief(pool_scenario):
    plan = _plan(pool_scenario, 120)
    doc = render_report(pool_scenario, plan)
    table = _between(_between(doc, 'id="briefs"', 'id="assumptions"'), "<caption>Briefs</caption>", "</table>")
    posts = np.zeros(pool_scenario.pool.size, dtype=np.int64)
    posts[:120] = 1 + np.arange(120) % 3
    for b in briefs_for_plan(pool_scenario, posts, load_content_angles())[:20]:
        row = _between(table, f"<tr><td>{html.escape(b.handle)}</td>", "</tr>")
        assert f'<td class="num">{b.posts}</td>' in row
        assert (b.dominant_age or "unknown") in row and (b.top_location or "unknown") in row
        assert (html.escape(" ".join(b.hashtags)) or "–") in row


def test_the_plan_table_folds_above_its_limit_and_keeps_every_row(pool_scenario):
    big = render_report(pool_scenario, _plan(pool_scenario, PLAN_OPEN_ROWS + 1))
    plan_part = _between(big, 'id="plan"', 'id="calendar"')
    assert f"<details><summary>All {PLAN_OPEN_ROWS + 1:,} hired creators</summary>" in plan_part
    assert plan_part.count("<tr><td>") == PLAN_OPEN_ROWS + 1
    small = render_report(pool_scenario, _plan(pool_scenario, PLAN_OPEN_ROWS))
    assert "<details>" not in _between(small, 'id="plan"', 'id="calendar"')


def test_small_plans_keep_one_card_per_creator_in_pool_order(pool_scenario):
    plan = _plan(pool_scenario, BRIEF_CARDS)
    doc = render_report(pool_scenario, plan)
    briefs = _between(doc, 'id="briefs"', 'id="assumptions"')
    assert [html.unescape(h) for h in _cards(briefs)] == list(pool_scenario.pool.handles[:BRIEF_CARDS])
    assert "<details>" not in briefs and "largest buys" not in briefs


def test_size_grows_with_the_hires_not_with_cards(pool_scenario):
    """Bytes per extra hired creator stay near a table row (a card each was ~440 bytes more)."""
    sizes = {n: len(render_report(pool_scenario, _plan(pool_scenario, n)).encode()) for n in (100, 300)}
    per_creator = (sizes[300] - sizes[100]) / 200
    assert per_creator < 600, per_creator
