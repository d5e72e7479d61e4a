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
# # How many places for Brunssum's 78?
#
# Brunssum's logistics pilot (2021) trains about 130 people on social
# assistance and expects about 78 of them to leave assistance for paid work.
# A planner has to decide how many training places to buy. This notebook runs
# the reference scenario with different numbers of places and asks two
# questions: how likely are 78 placements, and what waiting list does each
# choice bring? (The plan's 78 are off assistance altogether, the scenario's
# target; placements, part-time ones included, are the generous reading, and
# the first figure below shows how far the plan's own one is.)

# %% tags=["parameters"]
replications = 200  # per variant; 1000 or more for figures to quote
places_to_try = [30, 40, 50, 60, 70]

# %%
import matplotlib.pyplot as plt
import pandas as pd

from sim import api as pilotsim

scenario = pilotsim.load("brunssum_logistics_2021")
print(scenario.title)
print(f"{scenario.referrals.max_participants} participants at most, "
      f"{scenario.stages['training'].slots} training places in the file, "
      f"target {scenario.target.at_least} {scenario.target.outcome.replace('_', ' ')}")
placements_hoped_for = 78  # the plan read as placements, part-time ones included

# %% [markdown]
# ## The plan as written

# %%
result = pilotsim.run(scenario, replications)
chance = result.chance("placed", placements_hoped_for)
summary = result.summary()
print(f"Placed by month {scenario.horizon_months:g}: mean {summary.loc['placed', 'mean']:.1f}, "
      f"90 % of runs between {summary.loc['placed', 'q05']:.0f} and {summary.loc['placed', 'q95']:.0f}")
print(f"{placements_hoped_for} or more placed in {chance.in_words()}")
off = result.chance(scenario.target.outcome, scenario.target.at_least)
print(f"Off assistance at month {scenario.horizon_months:g}: mean {summary.loc['off_assistance', 'mean']:.1f}; "
      f"{scenario.target.at_least} or more in {off.in_words()}")
pilotsim.figures(result)["placements.png"]

# %% [markdown]
# ## Different numbers of places
#
# Every variant runs on the same random numbers (the same people with the
# same luck), so differences between them come from the places alone. Besides
# the placements by the end, the table shows the placements by month 24, when
# the council decides whether to continue, the mean wait for a place and the
# longest waiting list (the mean over runs of the number waiting, at its
# highest month).

# %%
def waiting_list_peak(run_result) -> float:
    column = run_result.states.index("waiting_list")
    return float(run_result.monthly[:, :, column].mean(axis=0).max())


reaching = f"runs with {placements_hoped_for}+ placed (of {replications})"
rows = []
for places in places_to_try:
    variant = pilotsim.change(scenario, {"stages.training.slots": places})
    at_end = pilotsim.run(variant, replications)
    by_decision = pilotsim.run(pilotsim.change(variant, {"horizon_months": 24}), replications)
    rows.append({
        "places": places,
        "placed by month 48": at_end.outcomes["placed"].mean(),
        reaching: at_end.chance("placed", placements_hoped_for).hits,
        "placed by month 24": by_decision.outcomes["placed"].mean(),
        "mean wait (months)": at_end.outcomes["mean_wait_months"].mean(),
        "longest waiting list": waiting_list_peak(at_end),
        "gave up waiting": at_end.outcomes["reneged"].mean(),
    })
table = pd.DataFrame(rows).set_index("places")
table.round(2)

# %%
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.plot(table.index, table["placed by month 48"], "o-", label="by month 48")
left.plot(table.index, table["placed by month 24"], "s-", label="by month 24 (continuation decision)")
left.axhline(placements_hoped_for, color="black", linestyle="--", label=f"{placements_hoped_for} placed")
left.set_xlabel("training places")
left.set_ylabel("people placed (mean over runs)")
left.legend(fontsize="small")
right.plot(table.index, table["longest waiting list"], "o-", color="#e76f51")
right.set_xlabel("training places")
right.set_ylabel("people waiting at the busiest month (mean)")
figure.suptitle("Brunssum logistics pilot: what the number of places changes")
figure.tight_layout()

# %% [markdown]
# ## What it says
#
# The numbers below are computed from the table above.

# %%
best = table[reaching].idxmax()
fewest_close = table.index[table[reaching] >= table[reaching].max() - 0.05 * replications].min()
print(f"{placements_hoped_for} placements are reached most often with {best} places "
      f"({table.loc[best, reaching]} of {replications} runs); {fewest_close} places come within "
      f"5 % of the runs of it.")
longest = table.loc[fewest_close, 'longest waiting list']
print(f"With {fewest_close} places the waiting list peaks at about {longest:.0f} "
      f"people and {table.loc[fewest_close, 'gave up waiting']:.1f} give up waiting on average; "
      f"with {table.index.max()} places about {table.loc[table.index.max(), 'longest waiting list']:.0f}.")
fewest, most = table.index.min(), table.index.max()
print(f"By month 24, when the council decides, {table.loc[fewest, 'placed by month 24']:.0f} are placed with "
      f"{fewest} places against {table.loc[most, 'placed by month 24']:.0f} with {most}; by month 48, "
      f"{table.loc[fewest, 'placed by month 48']:.0f} against {table.loc[most, 'placed by month 48']:.0f}. "
      f"The cap of {scenario.referrals.max_participants} participants and the placement chance set the total.")
