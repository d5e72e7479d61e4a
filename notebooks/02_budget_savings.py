# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # What does Brunssum's pilot cost, and what does it save?
#
# A budget officer wants to know whether the logistics pilot pays for itself:
# what it costs, how much benefit it saves, and how much of that saving would
# have happened anyway, because some participants would have found work on
# their own or left assistance for other reasons. The reference scenario's
# `budget` section holds the 2021 benefit norms, the administration cost per
# recipient (and the share of it that stops when someone leaves), the
# programme's costs and the month until which money is counted; every figure
# there names its source or is marked as an assumption (`docs/budget.md`).

# %% tags=["parameters"]
replications = 500  # 2000 or more for figures to quote

# %%
import numpy as np
import pandas as pd

from sim import api as pilotsim

scenario = pilotsim.load("brunssum_logistics_2021")
start = scenario.calendar_start
result = pilotsim.run(scenario, replications)
summary = result.summary()
amount = pilotsim.thousand_euros  # "€ 255 thousand": every amount below as the council report says it


def in_thousands(table):
    """Euros as whole thousands, with the reader's separators: 1,547."""
    return table.map(lambda value: pilotsim.number(value / 1000))


money = ["gross_savings", "net_savings", "total_costs", "npv_at_pilot_end", "npv"]
overview = summary.loc[money, ["mean", "q05", "q50", "q95"]]
overview.index = [pilotsim.column(name).words for name in money]
overview.columns = ["mean", "5 % of runs below", "median", "95 % of runs below"]
overview.index.name = f"€ thousand, {pilotsim.prices_in_words(scenario)}"
print(f"Money counted until {pilotsim.months_counted_in_words(scenario, False)}; "
      f"the pilot ends at {pilotsim.moment(start, pilotsim.pilot_end_month(scenario))}. {replications} runs.")
in_thousands(overview)

# %% [markdown]
# ## Gross and net savings
#
# The **gross** saving counts benefit not paid while participants work in jobs
# found through the programme: the single-number spreadsheet's figure. The
# **net** saving subtracts what would have been saved anyway: the same people,
# with the same luck, finding work on their own without the programme, and
# leaving assistance for other reasons, at the same moment in both worlds.
# The net present value is the net saving minus the costs, both discounted.

# %%
gross, net = summary.loc["gross_savings", "mean"], summary.loc["net_savings", "mean"]
costs, npv = summary.loc["total_costs", "mean"], summary.loc["npv", "mean"]
ratio = summary.loc["benefit_cost_ratio", "mean"]
print(f"Gross benefit savings: {amount(gross)}.")
print(f"Net of what would have happened anyway: {amount(net)} ({pilotsim.percent(net / gross)} of gross).")
print(f"Programme costs: {amount(costs)}.")
print(f"Net present value: {amount(npv)} on average; 90 % of runs between {amount(summary.loc['npv', 'q05'])} "
      f"and {amount(summary.loc['npv', 'q95'])}.")
print(f"Each euro spent brings back {pilotsim.column('benefit_cost_ratio').formatted(ratio)} euros in net benefit "
      f"savings (both discounted).")
print(f"At {pilotsim.moment(start, pilotsim.pilot_end_month(scenario))}, when the pilot ends and the decision to "
      f"continue falls, the net present value is {amount(summary.loc['npv_at_pilot_end', 'mean'])}: the savings "
      f"come after the costs.")
pilotsim.figures(result)["waterfall.png"]

# %% [markdown]
# ## Per calendar year
#
# The municipal budget runs by calendar year; the pilot's first and last
# years are not whole. Means over runs, not discounted (the last column
# is discounted, as the net present value is).

# %%
years = pilotsim.money_per_year(result)
pd.DataFrame({
    "months covered": [f"{pilotsim.calendar_month(row.first_month, 1)} to {pilotsim.calendar_month(row.last_month, 1)}"
                       f" ({pilotsim.significant(row.months_counted)})" for row in years.itertuples()],
    "costs": in_thousands(years["costs_mean"]),
    "net benefit savings": in_thousands(years["net_savings_mean"]),
    "savings minus costs, discounted": in_thousands(years["discounted_net_mean"]),
    "the same, 90 % of runs between": [f"{pilotsim.number(low / 1000)} and {pilotsim.number(high / 1000)}"
                                       for low, high in zip(years["discounted_net_q05"], years["discounted_net_q95"])],
}, index=years.index.rename(f"€ thousand, {pilotsim.prices_in_words(scenario)}"))

# %% [markdown]
# ## When does it break even?
#
# Chances are counts of runs, with their interval; runs that have not broken
# even by the last month counted are "later", not left out.

# %%
sentences, warnings = pilotsim.headline(result)
print("\n".join(sentences + warnings))
pilotsim.figures(result)["cumulative_net_saving.png"]

# %% [markdown]
# ## With what is not known
#
# Several inputs are assumptions (dropout, the placement chance, the chance of
# finding work without the programme, the costs, the share of administration
# saved, lock-in, other outflow). Drawing them anew for each replication
# shows how much wider the range becomes, and the chance that the programme
# stays within what the municipality is willing to put in.

# %%
uncertain = pilotsim.run(scenario, replications, with_uncertainty=True)
# The plots of a run with the assumptions drawn, beside the plain run's: the
# chance the net present value is at least each amount.
figures = pilotsim.chance_and_ignorance_plots(result.outcomes, uncertain.outcomes, scenario)
low, high = np.quantile(uncertain.outcomes["npv"], [0.05, 0.95])
print(f"With the assumptions uncertain, 90 % of runs give a net present value between {amount(low)} and "
      f"{amount(high)}.")
print("\n".join(pilotsim.headline(uncertain)[0]))
figures["pays_for_itself.png"]

# %% [markdown]
# ## In Dutch, for the council
#
# Every sentence, table and plot of pilotsim is also in Dutch, with amounts
# in the words of the council report.

# %%
with pilotsim.speaking("nl"):
    print("\n".join(pilotsim.headline(uncertain)[0]))
    for name in ("npv", "npv_at_pilot_end"):  # the mean over the same runs
        print(f"{pilotsim.column(name).words}: gemiddeld {pilotsim.thousand_euros(uncertain.outcomes[name].mean())}.")
    dutch = pilotsim.figures(uncertain)
dutch["waterfall.png"]
