"""What a forecast adds to a run's results: how the chance of the target
stands now against how it stood at the start, what has already happened by
the month of the records and what is still to come, in people and in money
(``forecast.json``, ``forecast.csv``, ``plots/forecast.png``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import language
from sim.language import N_, _
from sim.measure.money import CASHFLOW, count_until_month, not_estimated
from sim.measure.statistics import TargetChance, target_chance
from sim.output.statements import TARGET_WORDS
from sim.output.style import (
    BAND_COLOUR,
    MUTED_COLOUR,
    NOTE_SIZE,
    TARGET_COLOUR,
    TITLE_SIZE,
    Chart,
    calendar_axis,
    count_axis,
    finish,
    legend_outside,
    percent_axis,
    thousands_axis,
)
from sim.state.forecast import Forecast

#: People counted already by the records and in all by the runs.
PEOPLE = ("referred", "started", "placed")
#: Money split at the month of the records: net savings on benefits, costs, and the two together.
MONEY = ("net_savings", "total_costs", "net_result")
_AT_START_COLOUR = MUTED_COLOUR


def so_far(forecast: Forecast) -> dict[str, int]:
    """People referred, started and placed by the month, as the records say
    (and the model counts them: started, whoever had a place, also someone
    who found work of their own in it)."""
    records = forecast.continuation
    return {"referred": records.people, "started": int(np.isfinite(records.started).sum()),
            "placed": int(np.isfinite(records.placed).sum())}


def money_parts(forecast: Forecast) -> pd.DataFrame | None:
    """Per run, money by the month of the records (``_already``), after it
    (``_to_come``) and in all (``_total``), undiscounted euros: net savings
    on benefits, costs, and savings less costs. None without a budget."""
    cashflow = forecast.result.cashflow
    if cashflow is None:
        return None
    month = math.floor(forecast.as_of)  # (month m of the cashflow covers m to m + 1)
    net, costs = cashflow[:, :, CASHFLOW.index("net_savings")], cashflow[:, :, CASHFLOW.index("costs")]
    columns = {}
    for name, flow in (("net_savings", net), ("total_costs", costs), ("net_result", net - costs)):
        columns[f"{name}_already"] = flow[:, :month].sum(axis=1)
        columns[f"{name}_to_come"] = flow[:, month:].sum(axis=1)
        columns[f"{name}_total"] = flow.sum(axis=1)
    return pd.DataFrame(columns)


def forecast_table(forecast: Forecast) -> pd.DataFrame:
    """forecast.csv: per run, the people and money counted in all, and what of them came after the month."""
    outcomes = forecast.result.outcomes
    table = pd.DataFrame({"replication": outcomes["replication"]})
    counted = so_far(forecast)
    for name in PEOPLE:
        table[f"{name}_total"] = outcomes[name].to_numpy()
        table[f"{name}_to_come"] = outcomes[name].to_numpy() - counted[name]
    money = money_parts(forecast)
    if money is not None:
        table = pd.concat([table, money], axis=1)
    return table


def _spread(values: np.ndarray) -> dict[str, float]:
    low, high = np.quantile(values, [0.05, 0.95])
    return {"mean": float(np.mean(values)), "p5": float(low), "p95": float(high)}


def forecast_document(forecast: Forecast) -> dict:
    """forecast.json: the records it started from, the chance of the target
    now and at the start, and what is already done and still to come."""
    scenario, result = forecast.result.scenario, forecast.result
    counted = so_far(forecast)
    document = {
        "as_of_month": forecast.as_of,
        "state_file": forecast.state.file,
        "stays_file": forecast.stays_file,
        "people_by_status": forecast.state.counts(),
        "people": {name: {"already": counted[name],
                          "to_come": _spread(result.outcomes[name].to_numpy() - counted[name]),
                          "total": _spread(result.outcomes[name].to_numpy())} for name in PEOPLE},
        "target": None,
        "money": None,
    }
    target = scenario.target.at_least
    if target is not None:
        outcome = scenario.target.outcome
        now = target_chance(result.outcomes[outcome].to_numpy(), outcome, target)
        then = target_chance(forecast.at_start.outcomes[outcome].to_numpy(), outcome, target)
        document["target"] = {"outcome": outcome, "at_least": target, "now": now.fields(), "at_start": then.fields()}
    money = money_parts(forecast)
    if money is not None:
        missing = not_estimated(scenario)
        document["money"] = {
            name: ({part: _spread(money[f"{name}_{part}"].to_numpy()) for part in ("already", "to_come", "total")}
                   if not _missing_for(name, missing) else _missing_for(name, missing))
            for name in MONEY}
    return document


def _missing_for(name: str, missing: dict[str, str]) -> str | None:
    """Why a part of the money is not estimated (a sentence kept in English, as in summary.json), if it is not."""
    needs = {"net_savings": ("net_savings",), "total_costs": ("total_costs",),
             "net_result": ("net_savings", "total_costs")}[name]
    return next((missing[field] for field in needs if field in missing), None)


def forecast_figure(forecast: Forecast) -> Figure:
    """The target outcome as it looks now beside how it looked at the start;
    with a budget, savings less costs month by month, the months before the
    records' month already spent."""
    result, at_start, scenario = forecast.result, forecast.at_start, forecast.result.scenario
    outcome = scenario.target.outcome or "placed"
    target = scenario.target.at_least
    with_money = result.cashflow is not None and not {"net_savings", "total_costs"} & not_estimated(scenario).keys()
    figure = Chart(figsize=(10, 4.6) if with_money else (6, 4.6))
    axes = figure.subplots(1, 2 if with_money else 1, squeeze=False)[0]
    spread = axes[0]
    now, then = result.outcomes[outcome].to_numpy(), at_start.outcomes[outcome].to_numpy()
    edges = np.arange(min(now.min(), then.min()), max(now.max(), then.max()) + 2) - 0.5
    when = language.during(scenario.calendar_start, forecast.as_of)
    spread.hist(then, bins=edges, weights=np.full(len(then), 100 / len(then)), histtype="step", linewidth=1.5,
                color=_AT_START_COLOUR, label=_("as it looked at the start"))
    spread.hist(now, bins=edges, weights=np.full(len(now), 100 / len(now)), color=BAND_COLOUR, alpha=0.85,
                label=_("from the records as of {when}").format(when=when))
    spread.set_ylabel(_("share of runs"))
    percent_axis(spread.yaxis, share=False)
    count_axis(spread.xaxis)
    spread.set_xlabel(_("people {outcome} by {when}").format(
        outcome=_(TARGET_WORDS.get(outcome, outcome)),
        when=language.moment(scenario.calendar_start, scenario.horizon_months)))
    spread.grid(alpha=0.3)
    if target is not None:
        spread.axvline(target - 0.5, color=TARGET_COLOUR, linewidth=2)
        spread.annotate(_("target: {target}").format(target=language.number(target)), (target - 0.5, 1),
                        xycoords=("data", "axes fraction"), xytext=(4, -4), textcoords="offset points",
                        color=TARGET_COLOUR, va="top", fontsize=NOTE_SIZE)
        title = _("{target} or more {outcome}: now {now}; at the start {then}").format(
            target=language.number(target), outcome=_(TARGET_WORDS.get(outcome, outcome)),
            now=_runs(now, target), then=_runs(then, target))
    else:
        title = _("{outcome}: from the records as of {when}").format(
            outcome=_(TARGET_WORDS.get(outcome, outcome)).capitalize(), when=when)
    legend_outside(spread, ncol=1)
    if with_money:
        _money_over_time(axes[1], forecast)
    figure.suptitle(title, fontsize=TITLE_SIZE)
    finish(figure, result.replications, result.seed, result.with_uncertainty,
           _("Both from the same scenario, seed and number of runs; the forecast continues the records of {file}.")
           .format(file=forecast.state.file))
    return figure


def _runs(values: np.ndarray, target: float) -> str:
    hits = int(np.count_nonzero(values >= target))
    return _("{hits} of {runs} runs").format(hits=language.number(hits), runs=language.number(len(values)))


def _money_over_time(axes, forecast: Forecast) -> None:
    """Savings on benefits less costs, added up month by month (undiscounted,
    € thousand): the median and the middle 90 % of runs, now and at the start."""
    scenario = forecast.result.scenario
    for run, colour, words, filled in (
            (forecast.at_start, _AT_START_COLOUR, _("at the start: median, dotted 90 % of runs"), False),
            (forecast.result, BAND_COLOUR, _("from the records: median, shaded 90 % of runs"), True)):
        flow = run.cashflow[:, :, CASHFLOW.index("net_savings")] - run.cashflow[:, :, CASHFLOW.index("costs")]
        cumulative = np.cumsum(flow, axis=1) / 1000
        months = np.arange(1, cumulative.shape[1] + 1)
        low, middle, high = np.quantile(cumulative, [0.05, 0.5, 0.95], axis=0)
        if filled:
            axes.fill_between(months, low, high, color=colour, alpha=0.25, linewidth=0)
        else:
            axes.plot(months, low, color=colour, linestyle=":", linewidth=1)
            axes.plot(months, high, color=colour, linestyle=":", linewidth=1)
        axes.plot(months, middle, color=colour, linewidth=2, label=words)
    axes.axhline(0, color="dimgrey", linewidth=0.8)
    axes.axvline(forecast.as_of, color="black", linewidth=1, linestyle="--")
    axes.annotate(_("records"), (forecast.as_of, 1), xycoords=("data", "axes fraction"), xytext=(-4, -4),
                  textcoords="offset points", ha="right", va="top", fontsize=NOTE_SIZE)
    axes.set_ylabel(_("savings minus costs so far, € thousand"))
    thousands_axis(axes.yaxis)
    calendar_axis(axes, scenario.calendar_start, forecast.result.cashflow.shape[1])
    axes.grid(alpha=0.3)
    legend_outside(axes, ncol=1)


def forecast_words(forecast: Forecast) -> dict:
    """The forecast as the command line and the web page say it: a title,
    the chance of the target now and at the start in a sentence, and two
    tables (people; money, with a budget), each a heading and rows of cells."""
    scenario, result = forecast.result.scenario, forecast.result
    document = forecast_document(forecast)
    when = language.during(scenario.calendar_start, forecast.as_of)
    end = language.moment(scenario.calendar_start, scenario.horizon_months)
    title = _("{title}: from the records of {people} people as of {when}; {runs} runs, seed {seed}").format(
        title=scenario.title or scenario.name, people=language.number(len(forecast.state.people)), when=when,
        runs=language.number(result.replications), seed=result.seed)
    if result.with_uncertainty:
        title += _(", uncertain assumptions drawn for each run")
    people = {
        "headings": ["", _("by {when} (the records)").format(when=when), _("still to come: mean (90 % of runs)"),
                     _("in all by {end}: mean (90 % of runs)").format(end=end)],
        "rows": [[_(words), language.number(document["people"][name]["already"]),
                  _spread_in_words(document["people"][name]["to_come"], language.number),
                  _spread_in_words(document["people"][name]["total"], language.number)]
                 for name, words in (("referred", N_("referred")), ("started", N_("started")),
                                     ("placed", N_("placed in work")))],
    }
    chance = None
    if document["target"] is not None:
        target = document["target"]
        now, then = (TargetChance.from_fields(target[key]).in_words() for key in ("now", "at_start"))
        chance = _("{target} or more {outcome} by {end}: now {now}; at the start {then}.").format(
            target=language.number(target["at_least"]), outcome=_(TARGET_WORDS[target["outcome"]]), end=end,
            now=now, then=then)
    money = None
    if document["money"] is not None:
        spent_by, counted_until = money_moments(forecast)
        money = {"title": _("Money, undiscounted, € thousand: by {when} and from then on").format(when=spent_by),
                 "headings": ["", _("by {when}").format(when=spent_by), _("still to come"),
                              _("in all by {end}").format(end=counted_until)],
                 "rows": [], "note": _(ALREADY_VARIES_WITH_COSTS if result.with_uncertainty else ALREADY_VARIES)}
        for name, words in (("net_savings", N_("net savings on benefits")), ("total_costs", N_("costs")),
                            ("net_result", N_("savings minus costs"))):
            parts = document["money"][name]
            money["rows"].append([_(words), *([_("not estimated")] * 3 if isinstance(parts, str) else
                                              (_spread_in_words(parts[part], language.thousands)
                                               for part in ("already", "to_come", "total")))])
    return {"title": title, "people": people, "chance": chance, "money": money}


#: What of the money by the month of the records varies from run to run, and why.
ALREADY_VARIES = N_("What was spent and saved by then is the same in every run but for what the programme is set "
                    "against: without it, those who had a place would have found work of their own when chance "
                    "had it.")
ALREADY_VARIES_WITH_COSTS = N_("What was spent and saved by then varies from run to run with the costs drawn for "
                               "each run (the uncertain assumptions), and with what the programme is set against.")


def money_moments(forecast: Forecast) -> tuple[str, str]:
    """The end of the last whole month before the records' month (the money
    by then), and the end of the months the money is counted in."""
    scenario = forecast.result.scenario
    return (language.moment(scenario.calendar_start, math.floor(forecast.as_of)),
            language.moment(scenario.calendar_start, count_until_month(scenario)))


def _spread_in_words(spread: dict, shown) -> str:
    """"59 (53 to 66)": the mean and the middle 90 % of runs; the mean alone where they are all one."""
    if shown(spread["p5"]) == shown(spread["p95"]):
        return shown(spread["mean"])
    return _("{mean} ({low} to {high})").format(mean=shown(spread["mean"]), low=shown(spread["p5"]),
                                                high=shown(spread["p95"]))
