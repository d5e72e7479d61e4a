import pytest
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.files import dump_scenario, load_scenario
from tests.conftest import REFERENCE

VALID = """\
name: small
horizon_months: 24
referrals:
  rate_per_month: 2
stages:
  training:
    slots: 5
    duration: {dist: triangular, low: 2, mode: 3, high: 4}
    dropout: {probability: 0.1}
    next: job_search
  job_search:
    duration: {dist: exponential, mean: 2}
    outcomes: {job: 0.7, benefit: 0.3}
"""


def problems_in(write_yaml, text: str) -> list[str]:
    path = write_yaml(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(problem).replace(str(path), "FILE") for problem in caught.value.problems]


def test_the_valid_example_loads(write_yaml):
    scenario = load_scenario(write_yaml(VALID))
    assert scenario.first_stage == "training"
    assert scenario.stages["job_search"].routes == {"job": 0.7, "benefit": 0.3}
    assert scenario.employment.sustained_months == 6  # documented default


# Each bad input, with the exact line reported: file:line:col: field: message.
BAD = [
    ("duplicate key", VALID.replace("    slots: 5\n", "    slots: 5\n    slots: 6\n"),
     "FILE:8:5: duplicate key 'slots': each key may be given only once in a mapping"),
    ("wrong type", VALID.replace("slots: 5", "slots: five"),
     "FILE:7:12: stages.training.slots: must be a whole number, got 'five'"),
    ("negative places", VALID.replace("slots: 5", "slots: -3"),
     "FILE:7:12: stages.training.slots: must be at least 1, got -3"),
    ("probability above one", VALID.replace("probability: 0.1", "probability: 1.5"),
     "FILE:9:28: stages.training.dropout.probability: must be at most 1, got 1.5"),
    ("low above high", VALID.replace("low: 2, mode: 3, high: 4", "low: 5, mode: 3, high: 4"),
     "FILE:8:15: stages.training.duration: must satisfy low <= mode <= high, got low=5.0, mode=3.0, high=4.0"),
    ("unknown distribution", VALID.replace("dist: exponential", "dist: weibull"),
     "FILE:12:15: stages.job_search.duration: unknown distribution 'weibull' (expected one of: 'fixed', "
     "'uniform', 'triangular', 'exponential', 'gamma', 'lognormal', 'beta', 'truncated_normal', 'empirical')"),
    ("routing to a stage that does not exist", VALID.replace("next: job_search", "next: jobsearch"),
     "FILE:10:11: stages.training.next: unknown destination 'jobsearch' (expected one of: job, benefit, "
     "exit, training, job_search)"),
    ("outcomes not summing to one", VALID.replace("job: 0.7", "job: 0.8"),
     "FILE:13:15: stages.job_search.outcomes: probabilities must sum to 1, got 1.1"),
    ("unknown key", VALID.replace("slots: 5", "slotz: 5"),
     "FILE:7:12: stages.training.slotz: unknown field (expected one of: slots, duration, dropout, lock_in, on_benefit, "
     "next, outcomes, description); did you mean 'slots'?"),
    ("missing field", VALID.replace("horizon_months: 24\n", ""),
     "FILE:1:1: horizon_months: required field is missing"),
    ("shares not summing to one", VALID + "segments:\n  a: {share: 0.5}\n  b: {share: 0.6}\n",
     "FILE:15:3: segments: shares must sum to 1, got 1.1"),
    ("endless routing cycle",
     VALID.replace("outcomes: {job: 0.7, benefit: 0.3}", "next: training").replace(
         "    dropout: {probability: 0.1}\n", ""),
     "FILE:6:3: stages: routing among training, job_search can never end: none of these stages has "
     "dropout or a route to job, benefit or exit"),
    ("process without its fields", VALID.replace("rate_per_month: 2", "process: cohorts"),
     "FILE:4:3: referrals: process 'cohorts' needs every_months and cohort_size, got none"),
    ("not a mapping", "- just\n- a list\n", "FILE:1:1: expected a mapping of fields, got a list"),
    ("YAML syntax", "name: [oops\n", "FILE:2:1: expected ',' or ']', but got '<stream end>'"),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_each_problem_is_one_line_pointing_at_the_value(write_yaml, text, expected):
    assert expected in problems_in(write_yaml, text)


def test_every_problem_in_a_file_is_reported_at_once(write_yaml):
    text = (VALID.replace("slots: 5", "slots: -3")
            .replace("dist: exponential", "dist: weibull")
            .replace("rate_per_month: 2", "rate_per_month: -2"))
    assert len(problems_in(write_yaml, text)) == 3


def test_extends_inherits_and_overrides(write_yaml):
    write_yaml(VALID, "base.yaml")
    child = write_yaml(
        "extends: base.yaml\nname: bigger\nstages:\n  training:\n    slots: 12\n"
        "    duration: {dist: fixed, value: 5}\n",
        "child.yaml",
    )
    scenario = load_scenario(child)
    assert scenario.name == "bigger"
    assert scenario.stages["training"].slots == 12
    assert scenario.stages["training"].duration.mean == 5        # replaced whole, not merged
    assert scenario.stages["training"].dropout.probability == 0.1  # inherited
    assert scenario.horizon_months == 24


def test_problems_in_a_child_point_into_the_child(write_yaml):
    write_yaml(VALID, "base.yaml")
    child = write_yaml("extends: base.yaml\nstages:\n  training:\n    slots: 0\n", "child.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert [str(p) for p in caught.value.problems] == [
        f"{child}:4:12: stages.training.slots: must be at least 1, got 0"
    ]


def test_extends_cycle_is_reported(write_yaml):
    write_yaml("extends: b.yaml\nname: a\n", "a.yaml")
    b = write_yaml("extends: a.yaml\nname: b\n", "b.yaml")
    with pytest.raises(ScenarioError, match="extend each other in a cycle: b.yaml -> a.yaml -> b.yaml"):
        load_scenario(b)


def test_extends_of_a_missing_file_is_reported(write_yaml):
    path = write_yaml("extends: nowhere.yaml\nname: a\n")
    with pytest.raises(ScenarioError, match=r":1:10: extends: file not found"):
        load_scenario(path)


def test_the_resolved_scenario_reads_back_the_same(write_yaml):
    scenario = load_scenario(REFERENCE)
    again = load_scenario(write_yaml(dump_scenario(scenario), "resolved.yaml"))
    assert again == scenario


def test_scenario_is_frozen():
    scenario = load_scenario(REFERENCE)
    with pytest.raises(ValidationError, match="frozen"):
        scenario.horizon_months = 12


def test_the_calendar_month_of_month_0_is_given_once_at_the_top(write_yaml):
    assert load_scenario(write_yaml(VALID)).calendar_start is None  # no money: months are counted from 0
    assert load_scenario(write_yaml("start: 2021-11\n" + VALID)).calendar_start == "2021-11"
    # Files from before start moved to the top keep working.
    assert load_scenario(write_yaml(VALID + "budget:\n  start: 2018-01\n")).calendar_start == "2018-01"
    assert problems_in(write_yaml, "start: 2021-11\n" + VALID + "budget:\n  start: 2018-01\n") == [
        "FILE:16:10: budget.start: 2018-01 differs from start 2021-11; give the calendar month of month 0 once, as "
        "start"]
    # Money per calendar year needs the calendar: never a silent default year.
    [problem] = problems_in(write_yaml, VALID + "budget:\n  discount_rate: 0.02\n")
    assert problem.endswith("start: a scenario with a budget needs the calendar month of month 0, e.g. start: "
                            "2021-11 (money is per calendar year, and the benefit rises each January)")


def test_what_a_file_says_of_each_figure_travels_with_it(write_yaml):
    from sim.scenario.edit import with_changes
    from sim.scenario.files import note_for, notes_in

    parent = write_yaml("# Intake as the 2021 article gives it.\n" + VALID.replace(
        "  rate_per_month: 2\n", "  # ASSUMPTION: two a month.\n  rate_per_month: 2\n"), "parent.yaml")
    scenario = load_scenario(parent)
    assert note_for(scenario.notes, "referrals.rate_per_month") == "ASSUMPTION: two a month."
    assert note_for(scenario.notes, "stages.training.slots") is None  # nothing said, nothing made up
    # The resolved file a run writes keeps the comments, where a reader finds them.
    assert notes_in(dump_scenario(scenario))["referrals.rate_per_month"] == "ASSUMPTION: two a month."
    # A value given anew (by a child file, an option, a derived scenario) loses the old comment.
    child = write_yaml("extends: parent.yaml\nreferrals:\n  rate_per_month: 3\n", "child.yaml")
    assert note_for(load_scenario(child).notes, "referrals.rate_per_month") is None
    # A value changed keeps what the file said of the one it replaced, for the reader who wants its source.
    assert note_for(load_scenario(parent, {"referrals.rate_per_month": 4}).notes, "referrals.rate_per_month") == \
        "Set on the command line: --set referrals.rate_per_month=4. The file had 2: ASSUMPTION: two a month."
    assert note_for(with_changes(scenario, {"referrals.rate_per_month": 5}, "a sweep").notes,
                    "referrals.rate_per_month") == "Set by a sweep: 5. The file had 2: ASSUMPTION: two a month."
    assert note_for(with_changes(scenario, {"stages.training.slots": 6}, "a sweep").notes,
                    "stages.training.slots") == "Set by a sweep: 6. The file had 5."
