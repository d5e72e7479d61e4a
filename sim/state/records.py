"""The state file: a programme's clients as of a month, one row per person
referred by then, as a municipality's client records give them.

Months are counted from the programme's month 0, as in the scenario (the
scenario's ``start`` dates them). Each person has a status as of the month:

- waiting: on the waiting list since ``since_month``;
- in_stage: in ``stage`` since ``since_month``, on its ``visit``-th stay there;
- between_stages: done with a stage, waiting since ``since_month`` for a
  place in ``stage``;
  (for the statuses below, ``stage`` may say where the path ended or the
  job came from, where the records have it)
- employed: placed in a job at ``placed_month`` and still in it;
- ended, in one of the ways a path ends: not_accepted, turned_away, reneged
  (gave up waiting), dropped_out, completed_no_job, exited, job_lost,
  found_work_on_own; ``ended_month`` says when.

``read_state`` reads a CSV or Parquet file and checks every row against the
scenario; each problem is one line with the file, the row (the line of a
CSV file), the column and what was expected. docs/running-pilot.md has the
format with an example.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.language import N_, _
from sim.scenario.schema import Scenario

#: Statuses of people the programme still has to do with.
ACTIVE = ("waiting", "in_stage", "between_stages", "employed")
#: Statuses of people whose path through the programme has ended.
ENDED = ("not_accepted", "turned_away", "reneged", "dropped_out", "completed_no_job", "exited", "job_lost",
         "found_work_on_own")
STATUSES = ACTIVE + ENDED
#: Statuses of people who have had a place in a stage.
STARTED = ("in_stage", "between_stages", "employed", "dropped_out", "completed_no_job", "exited", "job_lost")
PLACED = ("employed", "job_lost")
#: Each status as a report says it.
STATUS_WORDS = {"waiting": N_("waiting"), "in_stage": N_("in a stage"), "between_stages": N_("between stages"),
                "employed": N_("in work"), "not_accepted": N_("not accepted"), "turned_away": N_("turned away"),
                "reneged": N_("gave up waiting"), "dropped_out": N_("dropped out"),
                "completed_no_job": N_("completed without a job"), "exited": N_("left the scope"),
                "job_lost": N_("lost their job"), "found_work_on_own": N_("found work on their own")}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str                       # text, status, stage, segment, month, count or yes_no
    needed_for: tuple[str, ...]     # the statuses whose rows must fill it
    allowed_for: tuple[str, ...]    # the statuses whose rows may fill it
    meaning: str


COLUMNS = (
    Column("person", "text", STATUSES, STATUSES, "an identifier, unique in the file (not a name)"),
    Column("segment", "segment", (), STATUSES, "the client group, as the scenario names it"),
    Column("referred_month", "month", STATUSES, STATUSES, "when the person was referred"),
    Column("status", "status", STATUSES, STATUSES, "where the person stands as of the month"),
    Column("stage", "stage", ("in_stage", "between_stages"), STARTED + ("found_work_on_own",),
           "the stage the person is in, or waits for between stages; for a path that ended or led to a job, the "
           "stage it ended in or the job came from (where the records say it)"),
    Column("since_month", "month", ("waiting", "in_stage", "between_stages"), ("waiting", "in_stage",
                                                                              "between_stages"),
           "since when the person waits or is in the stage"),
    Column("visit", "count", (), ("in_stage",), "which stay in this stage it is: 1 the first (default), 2 ..."),
    Column("started_month", "month", STARTED, STARTED + ("found_work_on_own",),
           "when the person first had a place (for found_work_on_own: if they had one)"),
    Column("placed_month", "month", PLACED, PLACED, "when the person was placed in a job"),
    Column("part_time", "yes_no", PLACED, PLACED, "whether the job is part-time"),
    Column("ended_month", "month", ENDED, ENDED, "when the path ended (for job_lost: when the job was lost)"),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
_YES = ("yes", "true", "1", "1.0", "ja", "y", "j", "waar")
_NO = ("no", "false", "0", "0.0", "nee", "n", "onwaar")
#: A date as records write it: 2022-03-15, 2022/03/15, 15-03-2022 or 15/03/2022.
_DATE = re.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}[-/]\d{1,2}[-/]\d{4}")
#: A state file is a programme's own records; this is far beyond any programme.
MAX_ROWS = 100_000


@dataclass(frozen=True)
class State:
    """The clients of a programme as of ``as_of`` (months since month 0), a
    row each, checked: months as numbers, empty where not known or not
    applicable; ``segment`` filled in where the scenario has one client group;
    ``visit`` 1 where not given; ``part_time`` True or False for the placed."""

    as_of: float
    people: pd.DataFrame
    file: str

    def counts(self) -> dict[str, int]:
        """How many people have each status."""
        return {status: int(count) for status, count in self.people["status"].value_counts().items()}


def read_state(path: str | Path, scenario: Scenario, as_of: float) -> State:
    """The state file at ``path`` (CSV, or Parquet by its suffix), checked
    against ``scenario`` as of month ``as_of``; raises ScenarioError with
    every problem found."""
    raw, name, line_of = read_table(path)
    return check_state(raw, scenario, as_of, name, line_of)


def read_table(path: str | Path):
    """A CSV or Parquet table as read (CSV cells as text), its file's name,
    and how a row's index gives its line (a CSV's header is line 1)."""
    path = Path(path)
    name = path.name
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path), name, _parquet_row
        # Blank lines kept (as empty rows, skipped later), so that a row's index gives its line; the
        # separator found from the header (a Dutch spreadsheet writes ";").
        with open(path, encoding="utf-8-sig", newline="") as opened:
            header = opened.readline()
        separator = ";" if header.count(";") > header.count(",") else ","
        return (pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False,
                            index_col=False, sep=separator, encoding="utf-8-sig"), name, _csv_line)
    except FileNotFoundError:
        raise ScenarioError([Problem(name, None, None, "", _("no such file"))]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(name, None, None, "", _("not UTF-8 text: save it from the spreadsheet as "
                                                             "“CSV UTF-8”"))]) from None
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise ScenarioError([Problem(name, None, None, "", _("not a CSV or Parquet table: {error}").format(
            error=str(error).splitlines()[0] if str(error) else type(error).__name__))]) from None


def _csv_line(index: int) -> int:
    return index + 2  # the header is line 1


def _parquet_row(index: int) -> int:
    return index + 1


def check_state(raw: pd.DataFrame, scenario: Scenario, as_of: float, file: str = "state",
                line_of=_csv_line) -> State:
    """A table of people (as read, cells as text or numbers) checked against
    ``scenario`` as of month ``as_of``; raises ScenarioError with every
    problem, one for each row and column at fault."""
    problems: list[Problem] = []
    # Column names as spreadsheets write them: "Person", "Referred month".
    columns = [str(column).strip().lower().replace(" ", "_") for column in raw.columns]
    raw = raw.set_axis(columns, axis=1)
    for position, column in enumerate(columns, start=1):
        if column not in COLUMN_NAMES:
            problems.append(Problem(file, 1, position, column, _("not a column of a state file{hint}; the columns "
                                                               "are: {columns}").format(
                hint=_suggestion(column, COLUMN_NAMES), columns=", ".join(COLUMN_NAMES))))
    for needed in ("person", "referred_month", "status"):
        if needed not in columns:
            problems.append(Problem(file, None, None, needed, _("a state file needs this column")))
    if len(raw) > MAX_ROWS:
        problems.append(Problem(file, None, None, "", _("{rows} rows; a state file may have at most {limit}").format(
            rows=len(raw), limit=MAX_ROWS)))
    if not 0 <= as_of <= scenario.horizon_months:
        problems.append(Problem("--as-of", None, None, "", _("a month from 0 to {horizon} (the months simulated), "
                                                             "got {as_of}").format(
            horizon=f"{scenario.horizon_months:g}", as_of=f"{as_of:g}")))
    if problems:
        raise ScenarioError(problems)

    checker = _RowChecker(scenario, as_of, file, columns, line_of)
    # A row with nothing in it (a blank line, a spreadsheet's empty row) is no person.
    rows = [checker.row(index, record) for index, record in enumerate(raw.to_dict("records"))
            if any(_empty_or(cell) is not None for cell in record.values())]
    problems = checker.problems
    people = pd.DataFrame(rows, columns=list(COLUMN_NAMES))
    problems += _whole_programme_problems(people, scenario, as_of, file)
    if problems:
        raise ScenarioError(problems)
    return State(as_of=float(as_of), people=people, file=file)


class _RowChecker:
    """Reads each row's cells into values, noting a problem for each cell
    that does not fit its column, its status or the rows before it."""

    def __init__(self, scenario: Scenario, as_of: float, file: str, columns: list[str], line_of):
        self.scenario, self.as_of, self.file, self.line_of = scenario, as_of, file, line_of
        self.position = {column: index for index, column in enumerate(columns, start=1)}
        self.problems: list[Problem] = []
        self.seen: dict[str, int] = {}
        self.only_segment = next(iter(scenario.segments)) if len(scenario.segments) == 1 else None

    def row(self, index: int, record: dict) -> dict:
        line = self.line_of(index)
        values: dict = {}
        for column in COLUMNS:
            values[column.name] = self._value(line, column, _empty_or(record.get(column.name)))
        for needed in ("person", "referred_month", "status"):
            if _empty_or(record.get(needed)) is None:
                self._problem(line, needed, _("needed"))
        status = values["status"]
        if status is not None:
            for column in COLUMNS:
                filled = values[column.name] is not None
                if filled and status not in column.allowed_for:
                    self._problem(line, column.name, _("expected empty for a person who is {status}").format(
                        status=status))
                    values[column.name] = None
                elif not filled and status in column.needed_for and _empty_or(record.get(column.name)) is None:
                    self._problem(line, column.name, _("needed for a person who is {status}").format(status=status))
        if values["segment"] is None:
            if self.only_segment is not None:
                values["segment"] = self.only_segment
            elif _empty_or(record.get("segment")) is None:  # (a group misspelt is its own problem)
                self._problem(line, "segment", _("needed: the scenario has the client groups {groups}").format(
                    groups=", ".join(self.scenario.segments)))
        if values["visit"] is None and status == "in_stage":
            values["visit"] = 1
        self._in_order(line, values)
        person = values["person"]
        if person is not None:
            if person in self.seen:
                self._problem(line, "person", _("the same person as on line {line}").format(line=self.seen[person]))
            else:
                self.seen[person] = line
        return values

    def _value(self, line: int, column: Column, cell):
        if cell is None:
            return None
        text = str(cell).strip()
        if column.kind == "text":
            return text
        if column.kind in ("status", "stage", "segment"):
            allowed = {"status": STATUSES, "stage": tuple(self.scenario.stages),
                       "segment": tuple(self.scenario.segments)}[column.kind]
            if text in allowed:
                return text
            if column.kind == "status" and text.lower().replace(" ", "_") in allowed:  # "Waiting", "In stage"
                return text.lower().replace(" ", "_")
            self._problem(line, column.name, _("expected one of {allowed}{hint}, got “{text}”").format(
                allowed=", ".join(allowed), hint=_suggestion(text, allowed), text=text))
            return None
        if column.kind == "yes_no":
            if text.lower() in _YES or cell is True:
                return True
            if text.lower() in _NO or cell is False:
                return False
            self._problem(line, column.name, _("expected yes or no, got “{text}”").format(text=text))
            return None
        try:
            # A decimal comma (Dutch spreadsheets) where no point is written: 8,5 is eight and a half.
            number = float(text.replace(",", ".") if "." not in text and text.count(",") == 1 else text)
        except ValueError:
            number = math.nan
        if column.kind == "month" and math.isnan(number) and _DATE.fullmatch(text):
            number = self._month_of(line, column, text)
            if number is None:
                return None
        if column.kind == "count":
            if not (number >= 1 and number.is_integer()):
                self._problem(line, column.name, _("expected a whole number from 1, got “{text}”").format(text=text))
                return None
            return int(number)
        if not 0 <= number <= self.as_of:  # also catches nan
            got = (_("“{text}” (month {month})").format(text=text, month=f"{number:.3g}") if _DATE.fullmatch(text)
                   else f"“{text}”")
            self._problem(line, column.name, _("expected a month from 0 to {as_of} (the month of the state), got "
                                               "{got}").format(as_of=f"{self.as_of:g}", got=got))
            return None
        return number

    def _month_of(self, line: int, column: Column, text: str) -> float | None:
        """A date (2022-03-15, or 15-03-2022 as Dutch records write it) as the
        months since month 0, which begins with the first day of the
        scenario's ``start`` month: 2022-03-16 in a programme starting in
        November 2021 is month 4.5."""
        start = self.scenario.calendar_start
        if start is None:
            self._problem(line, column.name, _("a date, but the scenario gives no start to count months from: "
                                               "give months, or a start: in the scenario"))
            return None
        parts = [int(part) for part in re.split(r"[-/]", text)]
        year, month, day = parts if parts[0] > 31 else parts[::-1]
        try:
            date = dt.date(year, month, day)
        except ValueError:
            self._problem(line, column.name, _("not a date: “{text}”").format(text=text))
            return None
        days = calendar.monthrange(year, month)[1]
        return (year - int(start[:4])) * 12 + (month - int(start[5:7])) + (date.day - 1) / days

    def _in_order(self, line: int, values: dict) -> None:
        """Each month after the one it follows: referred, then started, then
        placed or ended; waiting or a stay since no earlier than the referral."""
        referred, started = values["referred_month"], values["started_month"]
        for column, after, before_name in (("since_month", referred, "referred_month"),
                                           ("started_month", referred, "referred_month"),
                                           ("since_month", started if values["status"] != "waiting" else None,
                                            "started_month"),
                                           ("ended_month", started if values["status"] != "job_lost" else None,
                                            "started_month"),
                                           ("placed_month", started if started is not None else referred,
                                            "started_month" if started is not None else "referred_month"),
                                           ("ended_month", values["placed_month"] if values["status"] == "job_lost"
                                            and values["placed_month"] is not None else referred,
                                            "placed_month" if values["status"] == "job_lost" else "referred_month")):
            if values[column] is not None and after is not None and values[column] < after:
                self._problem(line, column, _("{month} is before {other} ({earlier})").format(
                    month=f"{values[column]:g}", other=before_name, earlier=f"{after:g}"))
                values[column] = None

    def _problem(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, self.position.get(column), column, message))


def _whole_programme_problems(people: pd.DataFrame, scenario: Scenario, as_of: float, file: str) -> list[Problem]:
    """What the rows say together that the programme cannot have been: more
    people in a stage than it ever has places, a waiting list longer than
    its limit, more started and waiting than the participants at most."""
    problems = []
    in_stage = people[people["status"] == "in_stage"]
    for name, stage in scenario.stages.items():
        present = int((in_stage["stage"] == name).sum())
        if stage.most_places is not None and present > stage.most_places:
            problems.append(Problem(file, None, None, "stage", _(
                "{count} people in {stage} at month {as_of}, more than its {places} places").format(
                count=present, stage=name, as_of=f"{as_of:g}", places=stage.most_places)))
    waiting = int((people["status"] == "waiting").sum())
    limit = scenario.referrals.waiting_list_limit
    if limit is not None and waiting > limit:
        problems.append(Problem(file, None, None, "status", _(
            "{count} people waiting at month {as_of}, more than the waiting list's {limit}").format(
            count=waiting, as_of=f"{as_of:g}", limit=limit)))
    cap = scenario.referrals.max_participants
    started = int((people["started_month"].notna() | people["status"].isin(STARTED)).sum())
    if cap is not None and started + waiting > cap:
        problems.append(Problem(file, None, None, "status", _(
            "{started} started and {waiting} waiting at month {as_of}, more than the {cap} participants at most")
            .format(started=started, waiting=waiting, as_of=f"{as_of:g}", cap=cap)))
    return problems


def _empty_or(cell):
    """None for an empty cell (empty text, a missing number), else the cell."""
    if cell is None:
        return None
    if isinstance(cell, float) and math.isnan(cell):
        return None
    if isinstance(cell, str) and not cell.strip():
        return None
    return cell


def _suggestion(text: str, allowed) -> str:
    """" (did you mean job_search?)" for "Job search", else nothing."""
    def plain(word: str) -> str:
        return word.lower().replace(" ", "_").replace("-", "_")

    same = [name for name in allowed if plain(name) == plain(text)]
    close = same or difflib.get_close_matches(plain(text), list(allowed), n=1, cutoff=0.75)
    return _(" (did you mean {name}?)").format(name=close[0]) if close else ""
