"""Support after placement (``employment.support``): coaching in the first
months of a job, with a limited number of coaches; only the process engine
simulates it, and a scenario using it runs there whatever is asked."""

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.analysis.compare import compare
from sim.cli import app
from sim.model import engines, processes
from sim.model.engines import engine_for
from sim.scenario.edit import with_changes
from sim.scenario.files import load_scenario
from tests.conftest import REFERENCE, make_scenario

HAZARD = 0.1  # a month: 45 % of jobs lost within 6 months without support


def placed_at_once(support: dict, people: int = 400):
    # Everyone placed at month 1 (one month of training, all routed to a job).
    return make_scenario({"horizon_months": 36, "referrals": {"cohort_size": people},
                          "stages": {"training": {"duration": 1}},
                          "employment": {"job_loss_hazard_per_month": HAZARD, "support": support}})


def jobs(scenario, replication=0):
    clients = processes.simulate(scenario, 5, replication).clients
    placed = np.isfinite(clients["job_start"])
    return clients["job_start"][placed], clients["job_end"][placed], clients["coached_until"][placed]


def test_coaching_that_removes_the_risk_keeps_everyone_in_work_while_coached():
    start, end, coached = jobs(placed_at_once({"months": 6, "job_loss_factor": 0.0}))
    assert np.all(end - start >= 6)
    assert np.all(coached == start + 6)


def test_the_share_losing_their_job_while_coached_follows_the_lowered_hazard():
    # Factor 0.5 for 6 months: lost within them with chance 1 - exp(-0.1 * 0.5 * 6) = 0.259.
    start, end, _ = jobs(placed_at_once({"months": 6, "job_loss_factor": 0.5}, people=4000))
    chance = 1 - math.exp(-HAZARD * 0.5 * 6)
    lost = np.mean(end - start < 6)
    # Binomial standard error over 4,000 jobs: about 0.007; four of them.
    assert abs(lost - chance) < 4 * math.sqrt(chance * (1 - chance) / 4000)
    # Without coaching the same draws lose 45 %.
    start, end, _ = jobs(placed_at_once({"months": 6, "job_loss_factor": 1.0}, people=4000))
    assert abs(np.mean(end - start < 6) - (1 - math.exp(-HAZARD * 6))) < 0.03


def test_with_every_coach_busy_the_others_go_without():
    start, end, coached = jobs(placed_at_once({"months": 6, "job_loss_factor": 0.0, "slots": 3}, people=10))
    assert np.isfinite(coached).sum() == 3
    # Those without a coach keep their draw at the plain hazard: some lose the job early.
    assert np.any((end - start < 6) & np.isnan(coached))


def test_a_coach_freed_at_a_month_is_free_for_whoever_is_placed_then():
    # One coach for 3 months (factor 0: nobody loses the job meanwhile);
    # one person placed every 3 months: each gets the coach as the last
    # one's coaching ends.
    scenario = make_scenario({"horizon_months": 24, "referrals": {"every_months": 3, "cohort_size": 1},
                              "stages": {"training": {"duration": 1}},
                              "employment": {"job_loss_hazard_per_month": HAZARD,
                                             "support": {"months": 3, "job_loss_factor": 0.0, "slots": 1}}})
    start, _, coached = jobs(scenario)
    assert start.tolist() == [1, 4, 7, 10, 13, 16, 19, 22]
    assert (coached == start + 3).all()


def test_coaching_costs_its_price_for_each_month_coached():
    from sim.measure.money import account
    from sim.measure.outcomes import client_columns

    # Three coaches: most of the 50 placed go without, and cost nothing.
    scenario = with_changes(placed_at_once({"months": 6, "job_loss_factor": 0.5, "cost_per_month": 300,
                                            "slots": 3}, 50), {
        "budget": {"start": "2021-01", "benefit": {"norm_year": 2021}, "costs": {}, "count_until_month": 60}},
        "test")
    records = processes.simulate(scenario, 5, 0)
    clients = client_columns(records, 0)
    money, _ = account(scenario, clients)
    coached_months = np.nansum(clients["coached_until"] - clients["job_start"])
    assert money["total_costs"] == pytest.approx(300 * coached_months)
    assert coached_months > 0


def test_the_fast_engine_hands_a_scenario_with_support_to_the_process_engine(tmp_path):
    scenario = placed_at_once({"months": 6, "job_loss_factor": 0.5}, people=20)
    assert engine_for(scenario, "fast") == "processes"
    assert engines.fallback_notice(scenario).startswith("test_programme uses employment.support, which only the "
                                                        "process engine simulates")
    path = tmp_path / "coached.yaml"
    from sim.scenario.files import dump_scenario

    path.write_text(dump_scenario(scenario))
    result = CliRunner().invoke(app, ["run", str(path), "-n", "20", "--workers", "1", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert result.output.count("only the process engine simulates") == 1
    assert '"engine": "processes"' in (tmp_path / "r" / "manifest.json").read_text()
    # Asked for the process engine, it gets it: nothing to say.
    result = CliRunner().invoke(app, ["run", str(path), "-n", "20", "--workers", "1", "--engine", "processes",
                                      "--out", str(tmp_path / "asked")])
    assert result.exit_code == 0, result.output
    assert "only the process engine" not in result.output


def test_the_price_of_coaching_changes_without_simulating_again(tmp_path):
    from sim.output.run_folder import recompute_budget, write_results
    from sim.run.runner import run

    scenario = with_changes(placed_at_once({"months": 6, "job_loss_factor": 0.5, "slots": 10, "cost_per_month": 300},
                                           people=40),
                            {"budget": {"start": "2021-01", "benefit": {"norm_year": 2021},
                                        "costs": {"per_participant": 1000}}}, "test")
    result = run(scenario, 3, seed=5, workers=1, keep_clients=True)
    write_results(result, tmp_path / "run")
    clients = result.clients.table()
    coached_months = (clients["coached_until"] - clients["job_start"]).groupby(clients["replication"]).sum()
    again = recompute_budget(tmp_path / "run", {"employment.support.cost_per_month": 500})
    extra = again.outcomes["total_costs"] - result.outcomes["total_costs"]
    # Money is kept in whole cents a month, each total rounded apart: within a cent a month.
    from sim.measure.money import cashflow_months

    np.testing.assert_allclose(extra, 200 * coached_months.to_numpy(), rtol=0, atol=0.01 * cashflow_months(scenario))
    assert (coached_months > 0).all()


def test_compare_says_whether_coaching_pays_for_itself():
    # The reference with six months of coaching for everyone placed, at EUR 300 a month: paired runs.
    reference = load_scenario(REFERENCE)
    coached = with_changes(reference, {"name": "with_coaching", "employment.support": {
        "months": 6, "job_loss_factor": 0.5, "cost_per_month": 300}}, "test")
    comparison = compare([reference, coached], 40, seed=3, workers=1)
    difference = comparison.differences()
    # Same people placed (the same draws up to placement), fewer jobs lost, more spent.
    assert (difference["placed"] == 0).all()
    assert (difference["back_on_benefit"] <= 0).all() and (difference["back_on_benefit"] < 0).any()
    assert (difference["total_costs"] > 0).all()
    assert np.isfinite(difference["npv"]).all()
