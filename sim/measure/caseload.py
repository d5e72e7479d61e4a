"""The net change in the number of people on assistance, for a scenario with
a ``caseload`` section.

Municipalities report programmes by the caseload: "317 fewer recipients than
the year before, so EUR 3.6 million saved". That figure mixes the programme
with everything else: people coming onto assistance, people leaving it for
other reasons. Here it is built from both parts:

    fewer_recipients = left_assistance - caseload_inflow + caseload_other_outflow

- ``left_assistance``: referred people off assistance at the horizon: in a
  job that ends the benefit (placed or found on their own; the rule of
  ``off_assistance``, ``sim.measure.outcomes``), gone out of scope, or in a
  stage that pays a wage instead of the benefit. Part-time workers keep a
  top-up unless they earn at least the benefit, so they still count as
  recipients;
- ``caseload_inflow`` and ``caseload_other_outflow``: Poisson counts over the
  horizon at the section's monthly rates, each drawn by inverting its
  distribution function at one uniform of the replication's ``caseload``
  stream, so that raising a rate never lowers the count in any replication
  (common random numbers keep calibration's objective smooth).

With a budget, ``caseload_savings_per_year`` prices the net fewer recipients
at a year of benefit at the horizon's rate (indexed, without administration),
as municipalities do when they quote a saving for the year.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from sim.measure import columns
from sim.measure.outcomes import assistance_resumes, part_time_ends_benefit
from sim.model.records import ReplicationRecords
from sim.model.states import FINAL_STATES
from sim.model.streams import RandomStreams
from sim.scenario.schema import Scenario

#: Columns added to replications.csv for a scenario with a caseload section.
CASELOAD_OUTCOMES = columns.names(columns.CASELOAD)

#: Added after the money columns when the scenario also has a budget.
CASELOAD_MONEY_OUTCOMES = columns.names(columns.CASELOAD_MONEY)

_EXITED = FINAL_STATES.index("exited")


def caseload_outcomes(scenario: Scenario, records: ReplicationRecords, seed: int,
                      replication: int) -> dict[str, float]:
    caseload = scenario.caseload
    if caseload is None:
        raise ValueError(f"scenario {scenario.name} has no caseload section")
    months = records.horizon - scenario.referrals.from_month
    inflow_u, outflow_u = RandomStreams(seed, replication).uniforms("caseload", 2)
    inflow = poisson_quantile(inflow_u, caseload.inflow_per_month * months)
    other_outflow = poisson_quantile(outflow_u, caseload.other_outflow_per_month * months)
    left = left_assistance(scenario, records)
    fewer = left - inflow + other_outflow
    outcomes = {"left_assistance": left, "caseload_inflow": inflow, "caseload_other_outflow": other_outflow,
                "fewer_recipients": fewer}
    if scenario.budget is not None:
        outcomes["caseload_savings_per_year"] = caseload_savings_per_year(scenario, fewer)
    return outcomes


def caseload_savings_per_year(scenario: Scenario, fewer_recipients: float) -> float:
    """A year of benefit for each net fewer recipient, at the horizon's rate."""
    budget = scenario.budget
    years_on = (scenario.start_month_of_year - 1 + math.floor(scenario.horizon_months)) // 12
    benefit = budget.benefit.mean_per_month * (1 + budget.benefit.indexation_per_year) ** years_on
    return fewer_recipients * 12 * benefit


def left_assistance(scenario: Scenario, records: ReplicationRecords) -> int:
    """Referred people off assistance at the horizon."""
    c, visits, t = records.clients, records.visits, records.horizon
    insurance = scenario.employment.unemployment_insurance_months
    ends_benefit = part_time_ends_benefit(scenario)
    job = ((c["job_start"] <= t) & (assistance_resumes(c["job_start"], c["job_end"], insurance) > t)
           & (~c["part_time"].astype(bool) | ends_benefit))
    own_job = ((c["own_job_start"] <= t) & (assistance_resumes(c["own_job_start"], c["own_job_end"], insurance) > t)
               & (~c["own_part_time"].astype(bool) | ends_benefit))
    out_of_scope = (c["final_state"] == _EXITED) & (c["exit_time"] <= t)
    off = job | own_job | out_of_scope
    wage_stages = [index for index, stage in enumerate(scenario.stages.values()) if not stage.on_benefit]
    if wage_stages:
        in_wage_stage = np.isin(visits["stage"], wage_stages) & (visits["start"] <= t) & (visits["end"] > t)
        off[np.searchsorted(c["client"], visits["client"][in_wage_stage])] = True
    return int(np.count_nonzero(off))


def poisson_quantile(u: float, mean: float) -> int:
    """The smallest k with P(Poisson(mean) <= k) >= u (as scipy.stats.poisson.ppf,
    without importing scipy.stats into every worker)."""
    if mean <= 0:
        return 0
    k = math.ceil(special.pdtrik(u, mean))
    # pdtrik inverts the continuous extension; step back where k - 1 already reaches u.
    if k > 0 and special.pdtr(k - 1, mean) >= u:
        k -= 1
    return max(k, 0)
