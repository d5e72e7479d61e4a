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

from sim import api as pilotsim

scenario = pilotsim.load("brunssum_logistics_2021")
result = pilotsim.run(scenario, replications)
summary = result.summary()
money = ["gross_savings", "net_savings", "total_costs", "npv_at_pilot_end", "npv", "benefit_cost_ratio"]
summary.loc[money, ["mean", "q05", "q50", "q95", "ci95_low", "ci95_high"]].round(2)

# %% [markdown]
# ## Gross and net savings
#
# The **gross** saving counts benefit not paid while participants work in jobs
# found through the programme: the single-number spreadsheet's figure. The
# **net** saving subtracts what would have been saved anyway: the same people,
# with the same luck, finding work on their own without the programme
# (the `counterfactual` section), and leaving assistance for other reasons,
# at the same moment in both worlds. Amounts are 2021 euros, counted until
# month 60 (`budget.count_until_month`).

# %%
gross, net = summary.loc["gross_savings", "mean"], summary.loc["net_savings", "mean"]
costs, npv = summary.loc["total_costs", "mean"], summary.loc["npv", "mean"]
money = pilotsim.money  # € 1.9M: amounts as a council reads them, in the language chosen
print(f"Gross benefit savings: {money(gross)}")
print(f"Net of what would have happened anyway: {money(net)} ({net / gross:.0%} of gross)")
print(f"Programme costs: {money(costs)}")
print(f"Net present value (discounted net savings minus discounted costs): {money(npv)}, "
      f"90 % of runs between {money(summary.loc['npv', 'q05'])} and {money(summary.loc['npv', 'q95'])}")
print(f"At the end of the pilot (month 24), where the decision to continue falls: "
      f"{money(summary.loc['npv_at_pilot_end', 'mean'])}")
pilotsim.figures(result)["waterfall.png"]

# %% [markdown]
# ## When does it break even?

# %%
# Chances are counts of runs with their interval; runs that have not broken
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
print(f"With the assumptions uncertain, 90 % of runs give a net present value between {money(low)} and "
      f"{money(high)}.")
print("\n".join(pilotsim.headline(uncertain)[0]))
figures["pays_for_itself.png"]

# %% [markdown]
# ## In Dutch, for the council
#
# Every sentence, table and plot of pilotsim is also in Dutch.

# %%
with pilotsim.speaking("nl"):
    print("\n".join(pilotsim.headline(uncertain)[0]))
    print(f"Netto contante waarde: {money(npv)}")
