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
from sim import api as pilotsim

scenario = pilotsim.load("brunssum_logistics_2021")
for path, distribution in scenario.uncertain.items():
    print(f"{path}: {distribution.dist}, mean {distribution.mean:.3g}")

# %% [markdown]
# ## Which assumptions matter
#
# Morris screening: each trajectory moves one assumption at a time across its
# range; mu* is the mean absolute change it makes to the outcome. Every point
# runs on the same random numbers, so an assumption an outcome does not use
# scores zero.

# %%
screening = pilotsim.sensitivity(scenario, "morris", samples=trajectories, outcomes=("placed", "npv"),
                                 replications=replications)
placed = screening.indices[screening.indices["outcome"] == "placed"].sort_values("mu_star", ascending=False)
placed[["parameter", "mu_star", "mu_star_conf", "sigma"]].round(2)

# %%
top = placed.iloc[0]
print(f"Placements hang most on {top['parameter']}: moving it across its range changes them by "
      f"{top['mu_star']:.1f} people on average (± {top['mu_star_conf']:.1f}).")
npv = screening.indices[screening.indices["outcome"] == "npv"].sort_values("mu_star", ascending=False)
print(f"The net present value hangs most on {npv.iloc[0]['parameter']} "
      f"(EUR {npv.iloc[0]['mu_star']:,.0f}) and {npv.iloc[1]['parameter']} (EUR {npv.iloc[1]['mu_star']:,.0f}).")

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
    print(f"published: {observation.outcome} = {observation.value:g} at month {observation.month:g}")
fit = pilotsim.calibrate(earlier, observed, samples=calibration_samples, replications=replications * 3)
fit.ranges().round(3)

# %%
for row in fit.ranges().to_dict("records"):
    print(f"{row['parameter']}: {pilotsim.range_in_words(row)}; "
          f"the plausible range is {pilotsim.percent(row['narrowed_to'])} of the range searched")
