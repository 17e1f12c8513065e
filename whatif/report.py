"""The campaign report: one self-contained HTML file (``reachmix report``).

``render_report`` lays out the plan, its tier mix, the simulated KPI projections and target
probabilities, optional what-if results (budget-reach curve, strategy comparison), a content
brief per hired creator (a card each; above ``BRIEF_CARDS`` creators, cards for the largest buys and
one folded table of every brief) and every assumption behind the numbers. Charts are embedded as data
URIs; the page has no script and loads nothing (see ``report_html``). All text from the CSV, the
TOML or a plan JSON goes through ``esc`` (``report_html`` escapes by default).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scenarios import ReachModel, Scenario, plan_from_json
from scenarios.briefs import Brief, ContentAngles, briefs_for_plan, load_content_angles
from scenarios.calendar import plan_days, post_positions, schedule_rows
from scenarios.defaults import DEFAULT_ENGAGEMENT_BY_TIER, DEFAULT_INTERACTION_SPLIT

from . import charts
from .calendar_view import COST_NOTE, calendar_table, week_caps, weekly_spend
from .plausibility import plan_warnings, report_warnings
from .report_html import Html, badge, el, image, join, money, num, page, pct, section, table, value

#: Metrics always charted when simulated (KPI target metrics are added).
CHARTED = ("views", "target_reach")
#: Simulated metrics that are fractions (shown as percents).
RATE_METRICS = ("engagement_rate", "engagement_rate_followers")
#: Simulated money metrics and their labels (``cpm_views``: see whatif/cpm.py).
MONEY_LABELS = {"spend": "spend ({cur})", "cpm_views": "cpm_views: price per 1,000 views ({cur})",
                "cpm": "cpm_views: price per 1,000 views ({cur})",
                "cost_per_engagement": "cost per engagement ({cur})", "cost_per_follower": "cost per follower ({cur})"}
#: Order of the simulated totals table; other metrics follow in the simulation's order.
METRIC_ORDER = ("views", "target_reach", "likes", "comments", "shares", "engagements", "followers_gained", "spend")

MODEL_DOCS = {
    "repeat_decay": "rho: a creator's k-th post counts rho^(k-1) (repeat posts reach mostly the same followers)",
    "interest_floor": "interest fit of a creator whose tags miss every target interest",
    "view_rate": "views per post as a share of followers when avg_views is blank (one number or per tier; "
                 "blank = the follower curve)",
    "view_curve": "avg_views = scale x followers^exponent when avg_views is blank (blank = scale 68, exponent 0.74, "
                  "sourced in docs/assumptions.md)",
    "view_model": "which fills blank avg_views: curve or rate (blank = rate when view_rate is given, else curve)",
}
SIMULATION_DOCS = {
    "days": "days simulated",
    "runs": "Monte Carlo runs",
    "seed": "random seed (same seed, same projections)",
    "start_day": "day of each creator's first post",
    "post_spacing_days": "days between one creator's posts",
    "view_dispersion": "sigma of log-views per post (0 = every post gets exactly avg_views)",
    "view_dispersion_followers": "sigma of log-views per post of a creator known only by followers",
    "post_failure_rate": "chance a bought post never goes live",
    "views_per_share": "extra views each share brings (0 = no cascade)",
    "follow_rate": "share of newly reached target people who follow the brand",
    "churn_rate": "daily share of gained followers who leave",
    "accrual_day1_share": "share of a post's eventual views reached in its first day",
    "accrual_shape": "shape b of the accumulation curve p + (1-p)(ln a / ln T)^b",
    "accrual_days": "age (days) T by which a post has all its views",
    "cascade_cap": "largest share-cascade amplification ratio (keeps the cascade finite)",
    **{f"view_dispersion_{t}": f"sigma of log-views for {t} creators (blank = view_dispersion)"
       for t in ("nano", "micro", "mid", "macro", "mega")},
}
ENGAGEMENT_SOURCE = ("reachmix field test on a public scrape of ~10,000 TikTok videos by 6,900 creators plus "
                     "720 creators' timelines, 2025 (issue 9): flat 6-9% of views across tiers; per follower it "
                     "falls with size (HypeAuditor, Influencer Marketing Hub TikTok benchmarks, 2023-2024) because "
                     "views per follower do")
SPLIT_SOURCE = ("comments ~1% of interactions (same field test, issue 9); shares 7% a stated assumption")


def render_report(scenario: Scenario, plan: Mapping[str, Any], simulation: Mapping[str, Any] | None = None, *,
                  curve: Sequence[Mapping] | None = None, strategies: Sequence[Mapping] | None = None,
                  assumptions: Mapping[str, Any] | None = None, angles: ContentAngles | None = None,
                  warnings: Sequence[str] | None = None) -> str:
    """The report as one HTML document.

    ``plan`` is the optimize JSON (contract section 6), ``simulation`` the simulate JSON (or
    ``None``), ``curve`` budget-reach rows, ``strategies`` compare rows, ``assumptions`` the
    simulator's documented defaults (name -> value, or name -> {"value", "source"}), ``angles``
    a content-angles table (default: the bundled one), ``warnings`` the plausibility warnings to
    show in a box at the top (default: checked here, see ``whatif.plausibility``).
    """
    model = ReachModel.build(scenario)
    posts = plan_from_json(plan, scenario.pool).posts  # also checks every handle is in the pool
    briefs = briefs_for_plan(scenario, posts, angles if angles is not None else load_content_angles(), model)
    if warnings is None:
        warnings = report_warnings(scenario, {"warnings": plan_warnings(scenario, posts, model)}, simulation)
    parts = [
        _header(scenario, plan, simulation, bool(curve), bool(strategies), bool(warnings)),
        *([_warning_box(warnings)] if warnings else []),
        _summary(scenario, plan, model, posts),
        _plan_section(scenario, plan, model, posts),
        _calendar_section(scenario, plan),
        _tier_section(scenario, plan),
        _kpi_section(scenario, simulation),
    ]
    if curve or strategies:
        parts.append(_whatif_section(scenario, curve or (), strategies or ()))
    if assumptions is None and simulation:  # the simulate JSON carries the simulator's own defaults
        assumptions = simulation.get("assumptions")
    parts += [_brief_section(briefs, model.cost(posts)[posts > 0]),
              _assumption_section(scenario, model, simulation, assumptions, angles),
              el("footer", "Generated by reachmix. Projections are model estimates, not guarantees; "
                           "every assumption is listed above.")]
    return page(f"reachmix report: {scenario.name}", join(parts, "\n"))


# --------------------------------------------------------------------------------------------
# Header and summary


def _header(scenario: Scenario, plan: Mapping, simulation, curve: bool, strategies: bool,
            warned: bool = False) -> Html:
    links = [("warnings", "Warnings")] if warned else []
    links += [("summary", "Summary"), ("plan", "Plan"), ("calendar", "Calendar"), ("tiers", "Tier mix"),
              ("kpis", "KPI projections")]
    if curve or strategies:
        links.append(("whatif", "What-if"))
    links += [("briefs", "Content briefs"), ("assumptions", "Assumptions")]
    sub = (f"Strategy {plan.get('strategy', '?')} ({plan.get('status', '?')}); objective "
           f"{plan.get('objective', scenario.objective.name)}; target audience: {scenario.audience.describe()}")
    return el("header", el("h1", "Campaign report: ", scenario.name), el("p", sub, cls="sub"),
              el("nav", *(el("a", text, href=f"#{a}") for a, text in links)))


def _warning_box(warnings: Sequence[str]) -> Html:
    """The plausibility warnings (escaped like every other text) in a box above the summary."""
    n = len(warnings)
    return el("aside", el("h2", f"{n} warning{'s' if n != 1 else ''}: check the input before trusting these numbers"),
              el("ul", *(el("li", w) for w in warnings)), cls="warnings", id="warnings")


def _card(label: str, big: Any, small: Any = "") -> Html:
    return el("div", el("div", label, cls="label"), el("div", big, cls="big"), el("div", small, cls="muted"),
              cls="card")


def _summary(scenario: Scenario, plan: Mapping, model: ReachModel, posts: np.ndarray) -> Html:
    cur, budget = scenario.currency, float(plan.get("budget") or scenario.budget)
    ev = model.evaluate(posts)
    reach = plan.get("target_reach", ev.target_reach)
    spent = plan.get("spent", ev.cost)
    gap = plan.get("gap")
    cards = [
        _card("Target reach", num(reach), f"{pct(_ratio(reach, scenario.audience.size), 1)} of the target audience"),
        _card("Spent", money(spent, cur), f"{pct(_ratio(spent, budget))} of the {money(budget, cur)} budget"),
        _card("Target impressions", num(plan.get("target_impressions", ev.target_impressions)),
              f"cpm_target (cost per 1,000 target impressions): "
              f"{money(_ratio(1000 * spent, ev.target_impressions), cur)}"),
        _card("Expected engagements", num(plan.get("engagements", ev.engagements)),
              f"views: {num(ev.views)}; cpm_views (price per 1,000 views): {money(_ratio(1000 * spent, ev.views), cur)}"),
        _card("Creators hired", num(ev.creators), f"{num(ev.posts)} posts"),
        _card("Optimality", str(plan.get("status", "?")),
              "no proven bound" if gap is None else f"gap to proven bound: {pct(gap, 2)}"),
    ]
    body = [el("div", *cards, cls="cards")]
    if plan.get("violations"):
        body.append(el("div", "This plan breaks rules: ", join(plan["violations"], "; "), cls="note"))
    return section("summary", "Summary", *body)


def _ratio(a: Any, b: Any) -> float | None:
    try:
        return float(a) / float(b) if b else None
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Plan and tiers


#: The plan table is shown folded away (a click opens it) above this many hired creators.
PLAN_OPEN_ROWS = 100


def _plan_section(scenario: Scenario, plan: Mapping, model: ReachModel, posts: np.ndarray) -> Html:
    pool, cur = scenario.pool, scenario.currency
    index = pool.index_of()
    posting = _posting_days(scenario, plan)
    costs = model.cost(posts)  # one vectorised pass (one per row cost O(pool) each: 1-2 s on 100,000)
    rows = []
    for item in plan.get("selection") or []:
        i = index[item["handle"]]
        cost = item["cost"] if "cost" in item else float(costs[i])
        tier = item.get("tier") or scenario.tiers.names[model.tier[i]]
        rows.append([item["handle"], tier, num(item["posts"]), ", ".join(posting.get(i, [])), num(cost),
                     pct(_ratio(cost, scenario.budget)), num(item.get("target_impressions")), pct(model.match[i]),
                     num(pool.followers[i]), num(pool.avg_views[i])])
    head = ["Creator", "Tier", "Posts", "Posting days", f"Cost ({cur})", "Budget share", "Target impressions",
            "Target match", "Followers", "Avg views"]
    body = table(head, rows, numeric=(2, *range(4, 10)))
    if len(rows) > PLAN_OPEN_ROWS:  # thousands of rows: one line until the reader asks for them
        body = el("details", el("summary", f"All {len(rows):,} hired creators"), body)
    return section("plan", "Plan", body,
                   el("p", "Target match: the share of a creator's audience in the target (times the interest "
                           "fit). Budget share: cost / total budget. Posting days: campaign days (0 = the start), "
                           "or dates when [schedule] start_date is set.", cls="muted"))


#: The calendar section lists at most this many posts (the plan JSON's schedule has them all) ...
CALENDAR_ROWS = 200
#: ... and shows them folded away (a click opens them) above this many.
CALENDAR_OPEN_ROWS = 40


def _calendar_section(scenario: Scenario, plan: Mapping) -> Html:
    """Spend by week, then who posts on which day (whatif/calendar_view.py), long lists folded."""
    cur, start = scenario.currency, scenario.schedule.start_date
    result = dict(plan) if plan.get("schedule") else dict(plan, schedule=_default_schedule(scenario, plan))
    weeks, posts = weekly_spend(result, start, week_caps(scenario, result)), calendar_table(result, start)
    shown, more = posts.rows[:CALENDAR_ROWS], max(0, len(posts.rows) - CALENDAR_ROWS)
    money_at = posts.columns.index("cost")
    body = table([*posts.columns[:-1], f"cost ({cur})"],
                 [[num(c) if j == money_at else c for j, c in enumerate(r)] for r in shown],
                 numeric=(0, 1, money_at - 2, money_at - 1, money_at))
    label = f"{len(posts.rows):,} posts by day" + (f" (first {CALENDAR_ROWS:,} shown)" if more else "")
    folded = el("details", el("summary", label), body,
                *([el("p", f"... and {more:,} more posts: the plan JSON's schedule lists every one.", cls="muted")]
                  if more else []), open="" if len(shown) <= CALENDAR_OPEN_ROWS else None)
    first = f"; day 0 is {start.isoformat()}" if start else "; set [schedule] start_date to show dates"
    return section("calendar", "Calendar",
                   table([*weeks.columns[:-1], f"spend ({cur})"], [[*r[:-1], num(r[-1])] for r in weeks.rows],
                         numeric=[j for j, c in enumerate(weeks.columns) if c != "first date"], caption="Spend by week"),
                   folded,
                   el("p", f"Week k holds campaign days 7(k-1) to 7k-1{first}. {COST_NOTE}", cls="muted"))


def _default_schedule(scenario: Scenario, plan: Mapping) -> list[dict]:
    """A plan without a ``schedule`` list: its posts on the scenario's default (earliest) schedule."""
    parsed = plan_from_json(plan, scenario.pool)
    return schedule_rows(scenario.pool, parsed.posts, plan_days(scenario, parsed))


def _posting_days(scenario: Scenario, plan: Mapping) -> dict[int, list[str]]:
    """Pool row -> its posts' days as text, from the plan's schedule (else the default schedule)."""
    parsed = plan_from_json(plan, scenario.pool)
    days = plan_days(scenario, parsed)
    out: dict[int, list[str]] = {}
    for row, day in zip(post_positions(parsed.posts)[0], days):
        label = scenario.schedule.label(int(day))
        out.setdefault(int(row), []).append(label.removeprefix("day "))
    return out


def _tier_section(scenario: Scenario, plan: Mapping) -> Html:
    spend, counts = charts.tier_spend(plan)  # one definition of "spend by tier" for chart and table
    c, names = scenario.constraints, scenario.tiers.names
    rows = []
    for name, (low, high) in zip(names, scenario.tiers.bounds):
        rules = [f"{label} {fmt(rule[name])}" for label, rule, fmt in (
            ("min", c.min_count, num), ("max", c.max_count, num),
            ("min share", c.min_budget_share, pct), ("max share", c.max_budget_share, pct)) if name in rule]
        rows.append([name, f"{num(low)} to {'∞' if high == float('inf') else num(high)}", num(counts.get(name, 0)),
                     num(spend.get(name, 0.0)), pct(_ratio(spend.get(name, 0.0), scenario.budget)),
                     ", ".join(rules) or "–"])
    chart = image(charts.spend_by_tier(plan, currency=scenario.currency, budget=scenario.budget),
                  "Bar chart of spend by creator tier", "Spend by tier, with each tier's share of the budget.")
    head = ["Tier", "Followers", "Creators", f"Spend ({scenario.currency})", "Budget share", "Rules"]
    return section("tiers", "Tier mix", chart, table(head, rows, numeric=(2, 3, 4)))


# --------------------------------------------------------------------------------------------
# KPI projections


def _kpi_section(scenario: Scenario, simulation: Mapping | None) -> Html:
    if not simulation:
        rows = [[k.metric, num(k.target), num(k.by_day), num(k.priority), badge(None)] for k in scenario.kpis]
        return section("kpis", "KPI projections",
                       el("p", "No simulation was run, so there are no projections. Run reachmix simulate "
                               "(or report with simulation) to see KPI ranges and target probabilities.", cls="note"),
                       table(["Metric", "Target", "By day", "Priority", "Probability"], rows, numeric=(1, 2, 3)))
    series, totals = simulation.get("series") or {}, simulation.get("totals") or {}
    targets = [t for t in simulation.get("kpi_targets") or [] if isinstance(t, Mapping)]
    body = [el("p", f"{num(simulation.get('runs'))} Monte Carlo runs over {num(simulation.get('days'))} days "
                    f"(seed {simulation.get('seed', '–')}). Ranges are the 5th to 95th percentile of runs.",
               cls="muted")]
    noted = any(t.get("note") for t in targets)  # a Note column only when the simulator left one
    rows = [[t.get("metric"), num(t.get("target")), num(t.get("by_day")), num(t.get("priority")),
             badge(t.get("probability")), *([t.get("note") or ""] if noted else [])] for t in targets]
    body.append(table(["Metric", "Target", "By day", "Priority", "Probability of reaching it",
                       *(["Note"] if noted else [])], rows, numeric=(1, 2, 3), caption="KPI targets"))
    body += [el("p", note, cls="note") for note in simulation.get("notes") or []]
    ordered = [m for m in METRIC_ORDER if m in totals] + [m for m in totals if m not in METRIC_ORDER]
    cur = scenario.currency
    trow = []
    for m in ordered:
        t = totals[m] if isinstance(totals[m], Mapping) else {}
        fmt = (lambda x: pct(x, 2)) if m in RATE_METRICS else num
        label = MONEY_LABELS[m].format(cur=cur) if m in MONEY_LABELS else m.replace("_", " ")
        trow.append([label, *(fmt(t.get(k)) for k in ("mean", "p5", "p50", "p95"))])
    body.append(table(["Metric", "Mean", "p5", "Median", "p95"], trow, numeric=(1, 2, 3, 4),
                      caption="Campaign totals (end of the simulated period)"))
    wanted = [m for m in CHARTED if m in series]
    wanted += [t.get("metric") for t in targets if t.get("metric") in series and t.get("metric") not in wanted]
    for m in dict.fromkeys(wanted):
        try:
            svg = charts.kpi_bands(simulation, m, targets)
        except charts.ChartError as exc:  # a malformed series must not sink the whole report
            body.append(el("p", f"No chart for {m}: {exc}", cls="note"))
            continue
        body.append(image(svg, f"{m} over time with 5-95% band and KPI targets",
                          f"Cumulative {m.replace('_', ' ')}: median, mean and the 5-95% band; diamonds mark targets."))
    return section("kpis", "KPI projections", *body)


# --------------------------------------------------------------------------------------------
# What-if


def _whatif_section(scenario: Scenario, curve: Sequence[Mapping], strategies: Sequence[Mapping]) -> Html:
    cur, body = scenario.currency, []
    if curve:
        body += [el("h3", "Budget-reach curve"),
                 image(charts.budget_curve(curve, currency=cur, budget=scenario.budget),
                       "Line chart of target reach against budget", "Target reach at each budget."),
                 table([f"Budget ({cur})", f"Spent ({cur})", "Target reach"],
                       [[num(r.get("budget")), num(r.get("spent")), num(r.get("target_reach"))]
                        for r in curve], numeric=(0, 1, 2))]
    if strategies:
        body += [el("h3", "Strategy comparison"),
                 image(charts.strategy_comparison(strategies, currency=cur),
                       "Bar charts comparing strategies by target reach and engagements",
                       "Target reach and engagements by strategy; the best reach is dark."),
                 table(["Strategy", f"Spent ({cur})", "Target reach", "Engagements", "Creators by tier"],
                       [[r.get("strategy"), num(r.get("spent")), num(r.get("target_reach")),
                         num(r.get("engagements")), value(r.get("creators_by_tier"))] for r in strategies],
                       numeric=(1, 2, 3))]
    return section("whatif", "What-if", *body)


# --------------------------------------------------------------------------------------------
# Briefs


def _brief_card(b: Brief) -> Html:
    age = "unknown (no age columns)" if b.dominant_age is None else f"{b.dominant_age} ({pct(b.age_share)})"
    city = "unknown (no location columns)" if b.top_location is None else f"{b.top_location} ({pct(b.location_share)})"
    facts = f"{b.tier or '?'} tier, {b.posts} post{'s' if b.posts != 1 else ''}"
    return el("article",
              el("h3", b.handle), el("div", facts, cls="muted"),
              el("div", el("strong", "Audience: "), f"mostly {age}; top location {city}"),
              el("ul", *(el("li", a) for a in b.angles)),
              el("div", el("strong", "Hashtags: "),
                 el("span", " ".join(b.hashtags), cls="tags") if b.hashtags else
                 el("span", "none shared with the campaign's interests", cls="muted")),
              cls="brief")


#: Plans hiring more creators than this get this many full brief cards (the largest buys) and a
#: folded table of every hired creator's brief, not one card each (issue 12: 5,896 cards, 2.6 MB).
BRIEF_CARDS = 50


def _brief_section(briefs: Sequence[Brief], costs: Sequence[float] | np.ndarray = ()) -> Html:
    """A card per hired creator; above ``BRIEF_CARDS`` creators, cards for the largest buys and a
    folded table of all (``costs``: each brief's creator cost, same order, ranks the buys)."""
    intro = el("p", "Suggested content angles for each hired creator, from their audience's dominant age group "
                    "and top location (editable table: scenarios/data/content_angles.toml), and their tags "
                    "that match the campaign's interests.", cls="muted")
    if not briefs:
        return section("briefs", "Content briefs", intro, el("p", "No creator is hired.", cls="muted"))
    if len(briefs) <= BRIEF_CARDS:
        return section("briefs", "Content briefs", intro, el("div", *(_brief_card(b) for b in briefs), cls="briefs"))
    spend = np.asarray(costs, dtype=float) if len(costs) == len(briefs) else np.zeros(len(briefs))
    order = np.argsort(-spend, kind="stable")  # largest buys first; ties keep pool order
    ranked = [briefs[k] for k in order]
    n = len(ranked)
    lead = el("p", f"{n:,} creators are hired: full cards for the {BRIEF_CARDS} largest buys (by cost), then every "
                   "hired creator's brief in one table (click to open), in the same order. Creators whose audience "
                   "shares an age group and top location share a set of angles, listed once.", cls="note")
    return section("briefs", "Content briefs", intro, lead,
                   el("div", *(_brief_card(b) for b in ranked[:BRIEF_CARDS]), cls="briefs"),
                   _brief_table(ranked))


def _brief_table(briefs: Sequence[Brief]) -> Html:
    """Every brief as a table row; angles by set (one per age group and top location), listed first."""
    members: dict[tuple, list[Brief]] = {}  # (age group, top location, angles) -> its creators
    for b in briefs:
        members.setdefault((b.dominant_age, b.top_location, b.angles), []).append(b)
    members = dict(sorted(members.items(), key=lambda kv: -len(kv[1])))  # the commonest set is A1
    label = {key: f"A{k}" for k, key in enumerate(members, 1)}

    def audience(b: Brief) -> str:
        return "unknown" if b.dominant_age is None else f"{b.dominant_age} ({pct(b.age_share)})"

    def place(b: Brief) -> str:
        return "unknown" if b.top_location is None else f"{b.top_location} ({pct(b.location_share)})"

    set_rows = [[label[key], f"{key[0] or 'unknown age'}, {key[1] or 'unknown location'}", "; ".join(key[2]),
                 num(len(group))] for key, group in members.items()]
    rows = [[b.handle, b.tier or "?", num(b.posts), audience(b), place(b),
             label[(b.dominant_age, b.top_location, b.angles)], " ".join(b.hashtags) or "–"] for b in briefs]
    return el("details",
              el("summary", f"All {len(briefs):,} hired creators' briefs"),
              table(["Set", "Audience, top location", "Content angles", "Creators"], set_rows, numeric=(3,),
                    caption="Angle sets"),
              table(["Creator", "Tier", "Posts", "Audience", "Top location", "Angle set", "Hashtags"], rows,
                    numeric=(2,), caption="Briefs"))


# --------------------------------------------------------------------------------------------
# Assumptions


def _assumption_section(scenario: Scenario, model: ReachModel, simulation: Mapping | None,
                        extra: Mapping[str, Any] | None, angles: ContentAngles | None) -> Html:
    raw = scenario.raw if isinstance(scenario.raw, Mapping) else {}
    raw_model = raw.get("model") or {}
    given = lambda table, key: key in (raw.get(table) or {})  # noqa: E731 - tiny predicate
    src = lambda table, key: "scenario" if given(table, key) else "reachmix default"  # noqa: E731
    head = ["Assumption", "Value", "Meaning", "Source"]
    a = scenario.audience
    audience = [["audience size", num(a.size), "people in the target on the platform",
                 "scenario" if given("audience", "size") else "estimated: total followers of the pool"]]
    for dim in ("age", "gender", "locations"):
        vals = a.values(dim)
        split = model.splits.get(dim)
        how = ("everyone (not restricted)" if vals is None else
               ", ".join(f"{k} {pct(v)}" for k, v in (split or {}).items()))
        origin = "scenario" if dim in a.population else "views-weighted mean of the pool" if vals else ""
        audience.append([f"target {dim}", value(vals) if vals else "all", how, origin])
    audience.append(["interests", value(a.interests) if a.interests else "any", "tags that count as a fit", "scenario"])
    sections = [table(head, audience, caption="Target audience")]

    model_items = {f.name: getattr(scenario.model, f.name) for f in dataclasses.fields(scenario.model)}
    model_rows = [[k, value(v), MODEL_DOCS.get(k, ""), src("model", k)] for k, v in model_items.items()]
    model_rows.append(["engagement basis", (raw.get("pool") or {}).get("engagement_basis", "views"),
                       "engagement_rate in the CSV is per view or per follower", src("pool", "engagement_basis")])
    sections.append(table(head, model_rows, caption="Reach model (contract section 4)"))

    overrides = raw_model.get("engagement_by_tier") or {}
    eng = [[f"engagement rate, {t}", pct(overrides.get(t, r), 1), "engagements per view when a row has none",
            "scenario" if t in overrides else ENGAGEMENT_SOURCE] for t, r in DEFAULT_ENGAGEMENT_BY_TIER.items()]
    split = raw_model.get("interaction_split") or DEFAULT_INTERACTION_SPLIT
    eng += [[f"{k} share", pct(v), "split of engagements when per-kind rates are blank",
             "scenario" if raw_model.get("interaction_split") else SPLIT_SOURCE] for k, v in split.items()]
    sections.append(table(head, eng, caption="Engagement defaults (scenarios/defaults.py)"))

    tiers = [[n, f"{num(lo)} to {'∞' if hi == float('inf') else num(hi)} followers", "half-open range [low, high)",
              src("tiers", n)] for n, (lo, hi) in zip(scenario.tiers.names, scenario.tiers.bounds)]
    sections.append(table(head, tiers, caption="Tiers"))

    c = scenario.constraints
    cons = [[f.name.replace("_", " "), value(getattr(c, f.name)), "", src("constraints", f.name)]
            for f in dataclasses.fields(c)]
    cons.append(["budget", money(scenario.budget, scenario.currency), "total budget", "scenario"])
    cons.append(["objective", scenario.objective.name, "what the optimizer maximises", src("objective", "maximize")])
    sections.append(table(head, cons, caption="Rules and objective"))

    sim = {f.name: getattr(scenario.simulation, f.name) for f in dataclasses.fields(scenario.simulation)}
    docs = {**{f.name: f.metadata.get("doc", "") for f in dataclasses.fields(scenario.simulation)}, **SIMULATION_DOCS}
    sim_rows = [[k, value(v), docs.get(k, ""), src("simulation", k)] for k, v in sim.items()]
    if simulation:
        for key in ("runs", "days", "seed"):
            if key in simulation and simulation[key] != sim.get(key):
                sim_rows.append([f"{key} (this run)", value(simulation[key]), "overridden for this report",
                                 "command line"])
    sections.append(table(head, sim_rows, caption="Simulation settings"))

    # The simulator echoes settings already listed above; show only what it adds or changes.
    listed = {**sim, **model_items}
    extra = {k: v for k, v in (extra or {}).items() if not (k in listed and v == listed[k])}
    if extra:
        sections.append(table(head, _extra_rows(extra), caption="Simulator assumptions"))
    angles_src = angles.source if angles is not None else "scenarios/data/content_angles.toml (bundled)"
    sections.append(el("p", "Content angles: ", angles_src, cls="muted"))
    return section("assumptions", "Assumptions", *sections)


def _extra_rows(extra: Mapping[str, Any], prefix: str = "") -> list[list[Any]]:
    """Rows of the caller's assumptions: name -> value, or name -> {"value", "source", "doc"}, nested."""
    rows = []
    for k, v in extra.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping) and "value" in v:
            rows.append([name, value(v["value"]), v.get("doc") or v.get("description") or "", v.get("source") or ""])
        elif isinstance(v, Mapping) and v:  # a group of settings: flatten to dotted names
            rows += _extra_rows(v, f"{name}.")
        else:
            rows.append([name, value(v), "", ""])
    return rows
