"""State files: a programme's clients as of a month. Written from a run, they
agree with the run's own monthly counts and pass the checks; records with
mistakes are refused, one line for each, at the row and column at fault."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest

from sim import api
from sim.state.generate import MISTAKES, state_of_run, with_mistakes
from sim.state.records import ENDED, check_state
from tests.conftest import PROJECT

REPLICATIONS = 4


@pytest.fixture(scope="module")
def scenario():
    return api.load(api.REFERENCE)


@pytest.fixture(scope="module")
def kept(scenario):
    result = api.run(scenario, REPLICATIONS, seed=scenario.seed, keep_clients=True)
    return result, result.clients.table(), result.visits.table()


def as_read(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as a CSV file gives them back: text."""
    return pd.read_csv(io.StringIO(rows.to_csv(index=False)), dtype=str, keep_default_na=False)


@pytest.mark.parametrize("month", [6, 12, 24, 36])
@pytest.mark.parametrize("replication", range(REPLICATIONS))
def test_a_state_from_a_run_agrees_with_the_runs_own_count_of_that_month(scenario, kept, month, replication):
    result, clients, visits = kept
    rows = state_of_run(clients, visits, month, list(scenario.stages), replication)
    state = check_state(as_read(rows), scenario, month, "state.csv")  # passes every check
    people = state.people
    referred = clients[(clients["replication"] == replication) & (clients["referral_time"] <= month)]
    assert len(people) == len(referred) and people["person"].is_unique  # each referred person once, one status
    counted = dict(zip(result.states, result.monthly[replication, list(result.months).index(month)].tolist()))
    status = people["status"]
    assert counted["waiting_list"] == (status == "waiting").sum()
    for stage in scenario.stages:
        assert counted[stage] == ((status == "in_stage") & (people["stage"] == stage)).sum()
    assert counted["between_stages"] == (status == "between_stages").sum()
    employed = people[status == "employed"]
    assert counted["employed_full_time"] == (~employed["part_time"].astype(bool)).sum()
    assert counted["employed_part_time"] == employed["part_time"].astype(bool).sum()
    assert counted["exited"] == (status == "exited").sum()
    # Back on assistance, or in work found on one's own since: the paths that ended otherwise.
    assert counted["did_not_start"] + counted["back_on_assistance"] + counted["in_work_found_on_own"] == \
        status.isin([name for name in ENDED if name != "exited"]).sum()


def test_each_mistake_in_the_records_is_one_line_at_its_row_and_column(scenario, kept):
    _result, clients, visits = kept
    messy, where = with_mistakes(state_of_run(clients, visits, 12, list(scenario.stages)))
    assert set(where) == set(MISTAKES)
    with pytest.raises(api.ScenarioError) as refused:
        check_state(as_read(messy), scenario, 12, "state.csv")
    lines = str(refused.value).splitlines()
    assert len(lines) == 3
    column = {name: number for number, name in enumerate(messy.columns, start=1)}
    line = {mistake: row + 2 for mistake, row in where.items()}  # the header is line 1
    assert f"state.csv:{line['month typed ten times too large']}:{column['referred_month']}: referred_month: " \
           "expected a month from 0 to 12 (the month of the state), got “" in str(refused.value)
    assert f"state.csv:{line['stage spelled otherwise']}:{column['stage']}: stage: expected one of training, " \
           "job_search (did you mean " in str(refused.value)
    assert f"state.csv:{line['missing end month']}:{column['ended_month']}: ended_month: needed for a person " \
           "who is " in str(refused.value)


BAD = """person,segment,refered_month,status
P1,general,1,waiting
"""

WRONG = """person,segment,referred_month,status,stage,since_month,visit,started_month,placed_month,part_time,ended_month
P1,general,1,waiting,,1,,,,,
P1,general,2,in_stage,Job Search,3,1,2,,,
P3,general,5,employed,,,,4,6,maybe,
P4,generall,2,drop_out,,,,,,,3
P5,general,3,dropped_out,,,,2,,,4
P6,general,3,waiting,training,3,,,,,
"""


def test_a_misspelt_column_is_named_with_the_one_meant(scenario):
    with pytest.raises(api.ScenarioError) as refused:
        check_state(pd.read_csv(io.StringIO(BAD), dtype=str), scenario, 12, "mine.csv")
    assert str(refused.value).splitlines() == [
        "mine.csv:1:3: refered_month: not a column of a state file (did you mean referred_month?); the columns are: "
        "person, segment, referred_month, status, stage, since_month, visit, started_month, placed_month, "
        "part_time, ended_month",
        "mine.csv: referred_month: a state file needs this column"]


def test_every_problem_of_every_row_is_one_line(scenario):
    with pytest.raises(api.ScenarioError) as refused:
        check_state(pd.read_csv(io.StringIO(WRONG), dtype=str, keep_default_na=False), scenario, 12, "mine.csv")
    assert str(refused.value).splitlines() == [
        "mine.csv:3:5: stage: expected one of training, job_search (did you mean job_search?), got “Job Search”",
        "mine.csv:3:1: person: the same person as on line 2",
        "mine.csv:4:10: part_time: expected yes or no, got “maybe”",
        "mine.csv:4:8: started_month: 4 is before referred_month (5)",
        "mine.csv:5:2: segment: expected one of general, over_50, newcomer, single_parent (did you mean general?), "
        "got “generall”",
        "mine.csv:5:4: status: expected one of waiting, in_stage, between_stages, employed, not_accepted, "
        "turned_away, reneged, dropped_out, completed_no_job, exited, job_lost, found_work_on_own (did you mean "
        "dropped_out?), got “drop_out”",
        "mine.csv:6:8: started_month: 2 is before referred_month (3)",
        "mine.csv:7:5: stage: expected empty for a person who is waiting",
    ]


def test_more_people_in_a_stage_than_its_places_is_refused(scenario):
    rows = "person,referred_month,status,stage,since_month,started_month,segment\n" + "".join(
        f"P{number},1,in_stage,training,1,1,general\n" for number in range(51))
    with pytest.raises(api.ScenarioError) as refused:
        check_state(pd.read_csv(io.StringIO(rows), dtype=str), scenario, 12, "mine.csv")
    assert str(refused.value) == "mine.csv: stage: 51 people in training at month 12, more than its 50 places"


def test_a_parquet_state_reads_as_its_csv(scenario, kept, tmp_path):
    _result, clients, visits = kept
    rows = state_of_run(clients, visits, 24, list(scenario.stages))
    rows.to_parquet(tmp_path / "state.parquet", index=False)
    rows.to_csv(tmp_path / "state.csv", index=False)
    from_parquet = api.read_state(tmp_path / "state.parquet", scenario, 24).people
    from_csv = api.read_state(tmp_path / "state.csv", scenario, 24).people
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_dtype=False)


def pilotsim(*arguments, cwd):
    return subprocess.run([sys.executable, "-m", "sim", *arguments], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT), "PILOTSIM_LANG": "en"})


def test_the_commands_write_a_state_check_it_and_refuse_a_messy_one(tmp_path):
    written = pilotsim("state", "--as-of", "12", "--out", "state.csv", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert written.stdout.startswith("Written state.csv: the clients of brunssum_logistics_2021 as of month 12 (")
    checked = pilotsim("validate-state", "state.csv", "--as-of", "12", cwd=tmp_path)
    assert checked.returncode == 0 and checked.stdout.startswith("state.csv: valid: ")
    again = pilotsim("state", "--as-of", "12", "--out", "state.csv", cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.strip() == ("state.csv: already exists; give another name or "
                                                              "--out FILE")
    pilotsim("state", "--as-of", "12", "--with-mistakes", "--out", "messy.csv", cwd=tmp_path)
    refused = pilotsim("validate-state", "messy.csv", "--as-of", "12", cwd=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 3 and refused.stdout == ""


STAYS = """person,stage,visit,start_month,end_month,ended
P1,training,1,1,5,completed
P1,training,1,2,,
P2,Job search,1,3,4,completed
P3,training,x,3,2,dropped
P4,training,1,3,4,
P9,training,1,3,,
"""


def test_every_problem_of_a_stays_file_is_one_line(scenario):
    from sim.state.stays import check_stays

    with pytest.raises(api.ScenarioError) as refused:
        check_stays(pd.read_csv(io.StringIO(STAYS), dtype=str, keep_default_na=False), scenario, 12, "stays.csv",
                    people={"P1", "P2", "P3", "P4"})
    assert str(refused.value).splitlines() == [
        "stays.csv:3:3: visit: the same stay as on line 2",
        "stays.csv:4:2: stage: expected one of training, job_search (did you mean job_search?), got “Job search”",
        "stays.csv:5:3: visit: expected a whole number from 1, got “x”",
        "stays.csv:5:6: ended: expected one of completed, dropped_out, found_work_on_own (did you mean "
        "dropped_out?), got “dropped”",
        "stays.csv:5:5: end_month: 2 is before start_month (3)",
        "stays.csv:6:6: ended: an ended stay has both its end month and how it ended; one still going has neither",
        "stays.csv:7:1: person: not a person of the state file",
    ]


SPREADSHEET = ("person;segment;referred_month;status;stage;since_month;visit;started_month;placed_month;part_time;"
               "ended_month\n") + """
P1;general;1,5;employed;;;;2;3,25;WAAR;
;;;;;;;;;;
P2;general;2;;;;;;;;
P3;general;2;dropped_out;;;;5;;;3
P4;general;1;in_stage;training;2;1;5;;;
"""


def test_a_dutch_spreadsheets_export_is_read_and_its_lines_counted_as_the_file_has_them(scenario, tmp_path):
    exported = tmp_path / "export.csv"
    exported.write_text(SPREADSHEET, encoding="utf-8-sig")  # as Excel writes "CSV UTF-8": with a byte order mark
    with pytest.raises(api.ScenarioError) as refused:
        api.read_state(exported, scenario, 12)
    # Semicolons and decimal commas read; the blank line and the empty row no person, but counted as lines.
    assert str(refused.value).splitlines() == [
        "export.csv:5:4: status: needed",
        "export.csv:6:11: ended_month: 3 is before started_month (5)",
        "export.csv:7:6: since_month: 2 is before started_month (5)",
    ]
    exported.write_text(SPREADSHEET.split("P2;")[0], encoding="utf-8-sig")
    employed = api.read_state(exported, scenario, 12).people.iloc[0]
    assert (employed["referred_month"], employed["placed_month"], employed["part_time"]) == (1.5, 3.25, True)


def test_a_file_that_is_not_utf8_says_how_to_save_it(scenario, tmp_path):
    exported = tmp_path / "export.csv"
    exported.write_bytes("person,referred_month,status\nRené,1,waiting\n".encode("cp1252"))
    with pytest.raises(api.ScenarioError) as refused:
        api.read_state(exported, scenario, 12)
    assert str(refused.value) == "export.csv: not UTF-8 text: save it from the spreadsheet as “CSV UTF-8”"


def test_dates_and_spreadsheet_headings_are_read_as_months_and_columns(scenario):
    rows = pd.read_csv(io.StringIO("Person,Segment,Referred month,Status,Since month\n"
                                   "P1,general,2022-03-16,Waiting,16-03-2022\n"
                                   "P2,general,2021-11-01,waiting,2021-11-01\n"), dtype=str, keep_default_na=False)
    people = check_state(rows, scenario, 12).people  # the programme starts in Nov 2021: month 0 is 1 Nov 2021
    assert people["referred_month"].tolist() == [4 + 15 / 31, 0.0]
    assert people["status"].tolist() == ["waiting", "waiting"]
    late = rows.assign(**{"Referred month": ["2023-01-01", "2022-02-30"]})
    with pytest.raises(api.ScenarioError) as refused:
        check_state(late, scenario, 12, "records.csv")
    assert str(refused.value).splitlines() == [
        "records.csv:2:3: referred_month: expected a month from 0 to 12 (the month of the state), got “2023-01-01” "
        "(month 14)",
        "records.csv:3:3: referred_month: not a date: “2022-02-30”"]
