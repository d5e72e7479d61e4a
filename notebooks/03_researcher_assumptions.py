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
# # Which assumptions matter, and what do the 2017-2018 figures say?
#
# Many inputs of the Brunssum logistics pilot have no published value. This
# notebook asks which of them the placements and the money hang on (a global
# sensitivity analysis over the scenario's `uncertain:` section), and then
# fits the earlier Brunssum approach (2017-2018, about 50 people into work)
# to its published figures.

# %% tags=["parameters"]
replications = 10        # per design point; 20 or more for figures to quote
trajectories = 6         # Morris trajectories; `pilotsim sensitivity --method sobol` for variance shares
calibration_samples = 12  # candidates a round; 30 or more for a real fit

# %%
import numpy as np
import pandas as pd

from sim import api as pilotsim

scenario = pilotsim.load("brunssum_logistics_2021")
start = scenario.calendar_start


def in_words(path, value, start=start):
    """A value of a scenario field in its unit: 82.7 %, 6 months, € 5,500."""
    return pilotsim.field_value(path, float(value), start)


rows = []
for path, distribution in scenario.uncertain.items():
    low, high = distribution.ppf(np.array([0.05, 0.95]))
    rows.append({"assumption": pilotsim.field_label(path), "mean": in_words(path, distribution.mean),
                 "90 % likely between": f"{in_words(path, low)} and {in_words(path, high)}",
                 "shape": distribution.dist})
pd.DataFrame(rows).set_index("assumption")

# %% [markdown]
# ## Which assumptions matter
#
# Morris screening: each trajectory moves one assumption at a time across its
# range; the mean effect (mu*) is the mean absolute change it makes to the
# outcome, and how much that effect varies (sigma) shows how far it depends on
# the other assumptions. Every point runs on the same random numbers, so an
# assumption an outcome does not use scores zero.

# %%
screening = pilotsim.sensitivity(scenario, "morris", samples=trajectories, outcomes=("placed", "npv"),
                                 replications=replications)
charts = pilotsim.sensitivity_figures(screening)


def ranked(outcome):
    """The assumptions by how much they move ``outcome``, largest first."""
    table = screening.indices[screening.indices["outcome"] == outcome].sort_values("mu_star", ascending=False)
    return table.assign(assumption=[pilotsim.field_label(path) for path in table["parameter"]])


def in_its_unit(table, outcome):
    """The ranking as a reader reads it: assumptions by name, figures in the outcome's unit."""
    shown = pilotsim.column(outcome)
    return pd.DataFrame({
        "mean effect (mu*)": [shown.formatted(value) for value in table["mu_star"]],
        "± (95 %)": [shown.formatted(value) for value in table["mu_star_conf"]],
        "how much it varies (sigma)": [shown.formatted(value) for value in table["sigma"]],
    }, index=pd.Index(table["assumption"], name=shown.table_label))


placed, npv = ranked("placed"), ranked("npv")
in_its_unit(placed, "placed")

# %%
top = placed.iloc[0]
print(f'Placements hang most on "{top["assumption"]}": moving it across its range changes them by '
      f"{pilotsim.number(top['mu_star'], 1)} people on average (± {pilotsim.number(top['mu_star_conf'], 1)}).")
first, second, last = npv.iloc[0], npv.iloc[1], npv.iloc[-1]
print(f'The net present value hangs most on "{first["assumption"]}" ({pilotsim.thousand_euros(first["mu_star"])}) '
      f'and "{second["assumption"]}" ({pilotsim.thousand_euros(second["mu_star"])}); it hardly moves with '
      f'"{last["assumption"]}" ({pilotsim.thousand_euros(last["mu_star"])}).')
charts["indices_npv.png"]

# %% [markdown]
# Better figures for the assumptions at the top of the chart narrow the
# answer most; those at the bottom can stay rough. The bars are wide with a
# small design: raise `trajectories` and `replications` before ranking
# assumptions that lie close together.

# %% [markdown]
# ## Calibration against Brunssum 2017-2018
#
# The earlier approach's scenario leaves two figures free (the referral rate
# and the part-time share). Calibration asks how likely one run with given
# values is to give the published figures, and turns that into a plausible
# range for each (docs/calibration.md); it also says when the figures do not
# bound a parameter at all.

# %%
earlier = pilotsim.load("brunssum_innovation_2017")
observed = pilotsim.load_observed(pilotsim.observed_folder() / "brunssum_innovation_2017.yaml")
for observation in observed.observations:
    print(f"Published: {pilotsim.column(observation.outcome).words.lower()}, "
          f"{pilotsim.number(observation.value)} at {pilotsim.moment(earlier.calendar_start, observation.month)}")
fit = pilotsim.calibrate(earlier, observed, samples=calibration_samples, replications=replications * 3)

# %%
for row in fit.ranges().itertuples():
    def shown(value, path=row.parameter):
        return in_words(path, value, earlier.calendar_start)

    plausible = {
        "yes": f"plausible {shown(row.plausible_low)} to {shown(row.plausible_high)}, median {shown(row.estimate)}",
        "not above": f"at least about {shown(row.plausible_low)}; the published figures set no upper limit",
        "not below": f"at most about {shown(row.plausible_high)}; the published figures set no lower limit",
        "no": "the published figures do not narrow it",
    }[row.bounded]
    print(f"{pilotsim.field_label(row.parameter)}: {plausible} (searched {shown(row.searched_low)} to "
          f"{shown(row.searched_high)}; the plausible range is {pilotsim.percent(row.narrowed_to)} of it).")

# %% [markdown]
# A value the published figures bound can go into the scenario with its
# plausible range as its uncertainty (`pilotsim calibrate` writes that file);
# one they do not bound needs another source before a result that hangs on it
# is quoted.
