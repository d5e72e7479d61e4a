"""Places that change over time (a stage's ``slots`` as a schedule)."""

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.model import engine, processes
from sim.scenario.edit import with_changes
from sim.scenario.files import dump_scenario, load_scenario
from tests.conftest import make_scenario

ENGINES = {"fast": engine.simulate, "processes": processes.simulate}
SCHEDULE = [{"from_month": 0, "places": 2}, {"from_month": 6, "places": 4}, {"from_month": 12, "places": 1}]


def six_at_once(schedule=SCHEDULE, duration=9):
    # Six people referred at month 0, each staying `duration` months.
    return make_scenario({"referrals": {"cohort_size": 6},
                          "stages": {"training": {"slots": schedule, "duration": duration}}})


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_more_places_from_a_month_let_those_waiting_start_that_month(simulate):
    start = simulate(six_at_once(), 7, 0).clients["start_time"]
    # Two places from month 0, four from month 6 (two more), one from 12:
    # the two who started at 0 leave at 9, when all four places are taken.
    assert start.tolist() == [0, 0, 6, 6, 9, 9]


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_nobody_is_sent_away_when_places_shrink(simulate):
    # Four in places at month 12 when places drop to one: they stay to the end
    # of their stays (15), and the last ones wait until fewer than one remain.
    schedule = [{"from_month": 0, "places": 4}, {"from_month": 12, "places": 1}]
    records = simulate(six_at_once(schedule), 7, 0)
    visits = records.visits
    assert visits["start"].tolist() == [0, 0, 0, 0, 9, 9]
    assert visits["end"].tolist() == [9, 9, 9, 9, 18, 18]
    schedule = [{"from_month": 0, "places": 4}, {"from_month": 3, "places": 1}]
    start = simulate(six_at_once(schedule), 7, 0).clients["start_time"]
    # From month 3 one place: the four in places keep them until 9, then one at a time.
    assert start.tolist() == [0, 0, 0, 0, 9, 18]


def test_a_schedule_is_checked_like_every_field(write_yaml):
    text = """
name: schedule_checks
horizon_months: 24
referrals: {process: poisson, rate_per_month: 2, until_month: 12}
stages:
  training:
    slots: SLOTS
    duration: 3
    outcomes: {job: 1.0}
"""
    def problems(slots: str) -> list[str]:
        path = write_yaml(text.replace("SLOTS", slots))
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path)
        return [f"{problem.field}: {problem.message}" for problem in caught.value.problems]

    assert problems("[{from_month: 2, places: 3}]") == [
        "stages.training.slots: a schedule of places starts at from_month 0, got 2"]
    assert problems("[{from_month: 0, places: 3}, {from_month: 0, places: 4}]") == [
        "stages.training.slots: from_month must increase from one period to the next, got 0, 0"]
    assert problems("[{from_month: 0, places: 0}]") == [
        "stages.training.slots: a schedule of places needs places above 0 in some period"]
    # One line for what is wrong, about the kind of value written.
    assert problems("[{from_month: 0, places: -1}]") == ["stages.training.slots.0.places: must be at least 0, got -1"]
    assert problems("many") == ["stages.training.slots: must be a whole number, got 'many'"]


def test_a_period_can_be_changed_by_its_number_and_a_missing_one_is_named(tmp_path):
    scenario = six_at_once()
    assert with_changes(scenario, {"stages.training.slots.1.places": 5}, "test").stages["training"].place_schedule \
        == ((0, 2), (6, 5), (12, 1))
    with pytest.raises(ScenarioError, match="has periods 0 to 2, not '3'"):
        load_scenario_with(scenario, "stages.training.slots.3.places", 5, tmp_path)
    changed = load_scenario_with(scenario, "stages.training.slots.2.places", 3, tmp_path)
    assert changed.stages["training"].place_schedule == ((0, 2), (6, 4), (12, 3))


def test_a_schedule_put_out_of_order_by_set_is_blamed_on_the_option(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario_with(six_at_once(), "stages.training.slots.1.from_month", 12, tmp_path)
    [problem] = caught.value.problems
    assert str(problem) == ("--set stages.training.slots.1.from_month=12: stages.training.slots: from_month must "
                            "increase from one period to the next, got 0, 12, 12")


def test_a_schedule_out_of_order_in_the_file_is_blamed_on_the_file_whatever_set_changes(write_yaml):
    path = write_yaml("""
name: schedule_checks
horizon_months: 24
referrals: {process: poisson, rate_per_month: 2, until_month: 12}
stages:
  training:
    slots: [{from_month: 0, places: 2}, {from_month: 0, places: 4}]
    duration: 3
    outcomes: {job: 1.0}
""")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, {"stages.training.slots.1.places": 3})
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 7)
    assert problem.message.endswith("got 0, 0")


def load_scenario_with(scenario, path, value, folder):
    file = folder / "scenario.yaml"
    file.write_text(dump_scenario(scenario))
    return load_scenario(file, {path: value})


def test_place_costs_follow_the_schedule():
    # 2 places for 6 months, 4 for 6, 1 after: at EUR 100 a place-month,
    # the places cost 2*6*100 + 4*6*100 + 1*months*100 until the programme ends.
    from sim.measure.money import account
    from sim.measure.outcomes import client_columns

    scenario = make_scenario({
        "referrals": {"cohort_size": 6}, "horizon_months": 24,
        "stages": {"training": {"slots": SCHEDULE, "duration": 9}},
        "budget": {"start": "2021-01", "benefit": {"norm_year": 2021}, "programme_until_month": 24,
                   "costs": {"per_place_per_month": 100}},
    })
    clients = client_columns(engine.simulate(scenario, 7, 0), 0)
    money, cashflow = account(scenario, clients)
    assert money["total_costs"] == pytest.approx(100 * (2 * 6 + 4 * 6 + 1 * 12))
    assert np.all(cashflow[:, 3] >= 0)


def test_sweep_and_size_vary_a_period_of_the_schedule_as_whole_places():
    from sim.analysis.sweep import parse_vary, whole_number_range

    scenario = six_at_once()
    varied = parse_vary("stages.training.slots.1.places=2:6:2", scenario)
    assert varied.whole_numbers and varied.values == (2, 4, 6)
    with pytest.raises(ScenarioError, match="whole numbers"):
        parse_vary("stages.training.slots.1.places=2.5", scenario)
    assert whole_number_range("stages.training.slots.1.places", 1, 9, scenario).whole_numbers


def test_varying_a_period_that_is_not_there_is_one_problem_not_a_crash():
    with pytest.raises(ScenarioError, match="stages.training.slots: has periods 0 to 2, not '5'"):
        with_changes(six_at_once(), {"stages.training.slots.5.places": 3}, "--vary")
    with pytest.raises(ScenarioError, match="stages.training.slots: is 2, which has no field '1'"):
        with_changes(six_at_once(schedule=2), {"stages.training.slots.1.places": 3}, "--vary")


@pytest.mark.parametrize("kind", ["sweep", "size"])
def test_sweeping_a_whole_schedule_is_refused_rather_than_dropping_it(kind):
    from sim.analysis.sweep import parse_vary, whole_number_range

    with pytest.raises(ScenarioError) as caught:
        if kind == "sweep":
            parse_vary("stages.training.slots=20:60:20", six_at_once())
        else:
            whole_number_range("stages.training.slots", 20, 60, six_at_once())
    [problem] = caught.value.problems
    assert problem.message == ("is a schedule of places (periods 0 to 2); vary one period's places, "
                               "e.g. stages.training.slots.0.places")


def test_an_engine_that_does_not_exist_is_refused():
    from sim.run.runner import run

    with pytest.raises(ValueError, match="engine must be one of fast, processes, got 'Processes'"):
        run(six_at_once(), 2, engine="Processes")


def test_setting_a_period_of_places_that_are_a_plain_number_says_so(tmp_path):
    with pytest.raises(ScenarioError, match="stages.training.slots: is 2, which has no field '1'"):
        load_scenario_with(six_at_once(schedule=2), "stages.training.slots.1.places", 5, tmp_path)


# Four places, one from month 3; six people at month 0, 9 months each. The
# four who start at 0 keep their places until 9 (nobody is sent away), so
# from 3 to 9 three places are kept open beyond the schedule; then one at a
# time: 9-18 and 18-24 (the horizon). Place-months used: 4*9 + 9 + 6 = 51;
# offered: 4*3 by the schedule to month 3, 1*21 after, and 3*6 kept open.
SHRINKING = [{"from_month": 0, "places": 4}, {"from_month": 3, "places": 1}]


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_places_kept_open_beyond_the_schedule_count_as_offered(simulate):
    from sim.measure.columns import outcome_names
    from sim.measure.outcomes import outcome_rows

    scenario = six_at_once(SHRINKING)
    chunk = (engine if simulate is engine.simulate else processes).simulate_chunk(scenario, 7, 0, 1)
    utilisation = outcome_rows(scenario, chunk)[0, outcome_names(scenario).index("slot_utilisation")]
    assert utilisation == pytest.approx(51 / (4 * 3 + 1 * 21 + 3 * 6))


def test_places_kept_open_beyond_the_schedule_are_paid_for_until_their_people_leave():
    from sim.run.runner import run

    scenario = make_scenario({
        "referrals": {"cohort_size": 6},
        "stages": {"training": {"slots": SHRINKING, "duration": 9}},
        "budget": {"start": "2021-01", "benefit": {"norm_year": 2021}, "programme_until_month": 24,
                   "costs": {"per_place_per_month": 100}},
    })
    result = run(scenario, 1, seed=7, workers=1)
    assert result.outcomes["total_costs"].iloc[0] == pytest.approx(100 * (4 * 3 + 1 * 21 + 3 * 6))


def with_place_costs(changes: dict):
    return make_scenario(changes | {
        "budget": {"start": "2021-01", "benefit": {"norm_year": 2021}, "programme_until_month": 24,
                   "costs": {"per_place_per_month": 100}}})


def test_money_worked_out_again_from_a_run_keeps_the_places_kept_open(tmp_path):
    from sim.output.run_folder import recompute_budget, write_results
    from sim.run.runner import run

    scenario = with_place_costs({"referrals": {"cohort_size": 6},
                                 "stages": {"training": {"slots": SHRINKING, "duration": 9}}})
    write_results(run(scenario, 3, seed=7, workers=1, keep_clients=True), tmp_path / "run")
    again = recompute_budget(tmp_path / "run", {"budget.costs.per_place_per_month": 200})
    assert again.outcomes["total_costs"].tolist() == [200 * (4 * 3 + 1 * 21 + 3 * 6)] * 3


@pytest.mark.parametrize("case", ["still in places at the horizon", "each run with its own schedule"])
def test_money_worked_out_again_is_the_money_of_the_run(tmp_path, case):
    # Place costs are the only costs: at twice the price, twice the money.
    from sim.output.run_folder import recompute_budget, write_results
    from sim.run.runner import run

    if case == "still in places at the horizon":
        # Four in places from month 0 to 30, one place from month 12: three
        # kept open from 12 to the horizon (24).
        schedule = [{"from_month": 0, "places": 4}, {"from_month": 12, "places": 1}]
        scenario = with_place_costs({"referrals": {"cohort_size": 4},
                                     "stages": {"training": {"slots": schedule, "duration": 30}}})
        uncertain = False
    else:
        schedule = [{"from_month": 0, "places": 4}, {"from_month": 6, "places": 4}]
        scenario = with_place_costs({
            "referrals": {"cohort_size": 4}, "stages": {"training": {"slots": schedule, "duration": 12}},
            "uncertain": {"stages.training.slots.1.places": {"dist": "uniform", "low": 1, "high": 4}}})
        uncertain = True
    result = run(scenario, 4, seed=7, workers=1, keep_clients=True, with_uncertainty=uncertain)
    costs = result.outcomes["total_costs"]
    if not uncertain:
        assert costs.tolist() == [100 * (4 * 12 + 1 * 12 + 3 * 12)] * 4
    else:
        assert costs.nunique() > 1  # the drawn schedules differ
    write_results(result, tmp_path / "run")
    again = recompute_budget(tmp_path / "run", {"budget.costs.per_place_per_month": 200})
    assert again.outcomes["total_costs"].tolist() == (2 * costs).tolist()
