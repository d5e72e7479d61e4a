"""A run drawn in the browser (Vega-Lite through Altair), with hover values:
the same four answers the report's pictures give, in the reader's language.

Each function returns an Altair chart built from ``sim.api`` alone; the
page shows it with ``st.altair_chart``.
"""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd

from sim import api
from sim.api import _

#: Okabe-Ito colours, as the report's pictures use them.
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#777777"


def for_the_page(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart as the page shows it: numbers on its axes and in its hover
    values written as the reader writes them (1.888,5 in Dutch; Vega's own
    are English), and a single chart as wide as the page with the height it
    asks for: fitted whole, its legend would take the height from the plot."""
    decimal, group = api.separators()
    if isinstance(chart, (alt.Chart, alt.LayerChart)):
        chart = chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return chart.configure(locale={"number": {"decimal": decimal, "thousands": group, "grouping": [3],
                                              "currency": ["€\u00a0", ""], "percent": "\u00a0%"}})


def promised_outcome(result: api.RunResult) -> str:
    """The outcome the run's scenario promises (its target), else placements."""
    return promised_outcome_name(result.scenario)


def promised_outcome_name(scenario: api.Scenario) -> str:
    return scenario.target.outcome or "placed"


def placements(result: api.RunResult) -> alt.HConcatChart:
    """The spread of the promised outcome over runs, and beside it the chance
    of at least each number, with the target marked."""
    outcome = promised_outcome(result)
    values = result.outcomes[outcome].to_numpy()
    runs = len(values)
    counts = pd.Series(values).value_counts().sort_index()
    words = api.column(outcome).words
    spread = pd.DataFrame({"people": counts.index.astype(int), "runs": counts.to_numpy(),
                           "share": counts.to_numpy() / runs})
    bars = alt.Chart(spread).mark_bar(color=BLUE).encode(
        x=alt.X("people:Q", title=words),
        y=alt.Y("share:Q", title=_("share of runs"), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("people:Q", title=words), alt.Tooltip("runs:Q", title=_("runs")),
                 alt.Tooltip("share:Q", title=_("share of runs"), format=".1%")])
    at_least = np.arange(int(values.min()), int(values.max()) + 1)
    curve = pd.DataFrame({"people": at_least, "chance": [(values >= n).mean() for n in at_least],
                          "runs": [int((values >= n).sum()) for n in at_least]})
    line = alt.Chart(curve).mark_line(color=BLUE, interpolate="step-after").encode(
        x=alt.X("people:Q", title=_("at least this many: {outcome}").format(outcome=words.lower())),
        y=alt.Y("chance:Q", title=_("chance of at least this many"), axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("people:Q", title=_("at least")), alt.Tooltip("runs:Q", title=_("runs")),
                 alt.Tooltip("chance:Q", title=_("chance"), format=".1%")])
    left, right = bars, line
    level = result.scenario.target.at_least
    if level is not None:
        target = alt.Chart(pd.DataFrame({"people": [level]})).mark_rule(color=ORANGE, strokeDash=[6, 4]).encode(
            x="people:Q", tooltip=[alt.Tooltip("people:Q", title=_("target"))])
        left, right = bars + target, line + target
    return alt.hconcat(left.properties(width=300, height=240), right.properties(width=300, height=240))


def where_people_are(result: api.RunResult) -> alt.Chart:
    """Where everyone referred is, month by month (mean over runs, stacked)."""
    table = api.timeseries_summary(result)
    table = table[table["state"].isin(api.stacked_states(result))]
    start = result.scenario.calendar_start
    shown = api.stacked_states(result)
    table = table.assign(where=table["state"].map(api.state_label), order=table["state"].map(shown.index),
                         when=[api.moment(start, month) for month in table["month"]])
    x = alt.X("month:Q", title=_("months since the start"), scale=alt.Scale(nice=False))
    if start is not None:  # calendar months in the reader's language, as the report shows them (Vega's own are English)
        ticks = list(range(0, int(result.months[-1]) + 1, 6))
        names = {str(month): api.calendar_month(start, month + 1) for month in ticks}
        x = alt.X("month:Q", title=None, scale=alt.Scale(nice=False),
                  axis=alt.Axis(values=ticks, labelExpr=f"{json.dumps(names)}[datum.value + '']"))
    return alt.Chart(table).mark_area().encode(
        x=x, y=alt.Y("mean:Q", stack=True, title=_("people (mean over runs)")),
        # The colours of the report's picture, state by state.
        color=alt.Color("where:N", title=None, sort=[api.state_label(state) for state in shown],
                        scale=alt.Scale(domain=[api.state_label(state) for state in shown],
                                        range=api.stacked_state_colours(result)),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=0)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("where:N", title=_("where")), alt.Tooltip("when:N", title=_("when")),
                 alt.Tooltip("mean:Q", title=_("people (mean over runs)"), format=".1f")],
    ).properties(width=640, height=300)


def money_per_year(result: api.RunResult) -> alt.Chart | None:
    """Costs and net savings on benefits per calendar year, means over runs in
    € thousands (None without a budget)."""
    if result.scenario.budget is None or result.cashflow is None:
        return None
    table = api.money_per_year(result).reset_index()
    rows = []
    for _index, row in table.iterrows():
        for key, words in (("costs", _("costs")), ("net_savings", _("net savings on benefits"))):
            rows.append({"year": str(int(row["year"])), "what": words, "thousands": row[f"{key}_mean"] / 1000,
                         "low": row[f"{key}_q05"] / 1000, "high": row[f"{key}_q95"] / 1000,
                         "months": row["months_counted"]})
    data = pd.DataFrame(rows)
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0)), xOffset="what:N",
        y=alt.Y("thousands:Q", title=_("€ thousand, mean over runs")),
        color=alt.Color("what:N", title=None, scale=alt.Scale(range=[ORANGE, GREEN]),
                        legend=alt.Legend(orient="bottom", labelLimit=0)),
        tooltip=[alt.Tooltip("year:N", title=_("year")), alt.Tooltip("what:N", title=" "),
                 alt.Tooltip("thousands:Q", title=_("€ thousand"), format=",.0f"),
                 alt.Tooltip("low:Q", title=_("5 % of runs below"), format=",.0f"),
                 alt.Tooltip("high:Q", title=_("95 % of runs below"), format=",.0f"),
                 alt.Tooltip("months:Q", title=_("months counted"))],
    ).properties(width=640, height=260)


def pays_for_itself(result: api.RunResult) -> alt.Chart | None:
    """The chance that the net present value is at least each amount (None
    where it is not estimated)."""
    if result.scenario.budget is None or "npv" not in result.outcomes:
        return None
    npv = result.outcomes["npv"].dropna().to_numpy() / 1000
    if len(npv) == 0:
        return None
    amounts = np.linspace(npv.min(), npv.max(), 120)
    data = pd.DataFrame({"amount": amounts, "chance": api.pays_for_itself(npv, -amounts)})  # at least each amount
    line = alt.Chart(data).mark_line(color=BLUE).encode(
        x=alt.X("amount:Q", title=_("net present value at least (€ thousand)"),
                axis=alt.Axis(format=",.0f", labelOverlap=True, labelFlush=True)),
        y=alt.Y("chance:Q", title=_("share of runs"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("amount:Q", title=_("€ thousand"), format=",.0f"),
                 alt.Tooltip("chance:Q", title=_("share of runs"), format=".1%")])
    zero = alt.Chart(pd.DataFrame({"amount": [0]})).mark_rule(color=ORANGE, strokeDash=[6, 4]).encode(x="amount:Q")
    return (line + zero).properties(width=640, height=240)


def forecast_outcome(forecast: api.Forecast) -> alt.LayerChart:
    """The promised outcome over runs from the records (bars) and as it
    looked at the start (a line), the target marked."""
    outcome = promised_outcome(forecast.result)
    words = api.column(outcome).words
    now, then = _("from the records"), _("at the start")
    rows = []
    for label, result in ((now, forecast.result), (then, forecast.at_start)):
        counts = result.outcomes[outcome].value_counts().sort_index()
        rows.append(pd.DataFrame({"people": counts.index.astype(int), "runs": counts.to_numpy(),
                                  "share": counts.to_numpy() / result.replications, "as": label}))
    table = pd.concat(rows)
    colours = alt.Scale(domain=[now, then], range=[BLUE, GREY])
    tooltip = [alt.Tooltip("as:N", title=""), alt.Tooltip("people:Q", title=words),
               alt.Tooltip("runs:Q", title=_("runs")), alt.Tooltip("share:Q", title=_("share of runs"), format=".1%")]
    x = alt.X("people:Q", title=words)
    y = alt.Y("share:Q", title=_("share of runs"), axis=alt.Axis(format="%"))
    colour = alt.Color("as:N", scale=colours, title="", legend=alt.Legend(orient="bottom"))
    bars = alt.Chart(table[table["as"] == now]).mark_bar(opacity=0.8).encode(x=x, y=y, color=colour,
                                                                             tooltip=tooltip)
    line = alt.Chart(table[table["as"] == then]).mark_line(interpolate="step", strokeWidth=2).encode(
        x=x, y=y, color=colour, tooltip=tooltip)
    chart = bars + line
    level = forecast.result.scenario.target.at_least
    if level is not None:
        chart += alt.Chart(pd.DataFrame({"people": [level]})).mark_rule(color=ORANGE, strokeDash=[6, 4]).encode(
            x="people:Q", tooltip=[alt.Tooltip("people:Q", title=_("target"))])
    return chart.properties(height=260)
