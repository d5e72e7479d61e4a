"""How large an input or a run may be, and what a run will take, known
before it starts.

A scenario can be valid and still be beyond any laptop: a billion referrals
a month, a cohort every nanosecond, a century of monthly counts kept for
five million replications. Started, such a run would crash, hang or take
the machine's memory. Here each is refused up front, with the estimate and
the limit, so the user can change the scenario or the options.

The limits are stated in ``docs/limits.md``; the figures behind the memory
estimate were measured on the reference pilot (see the comments below).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim import language
from sim.errors import Problem
from sim.language import _

if TYPE_CHECKING:  # the scenario's schema reads its limits from here
    from sim.scenario.schema import Scenario

# --- scenario files ------------------------------------------------------------------

#: A scenario file is a few KB (the largest shipped is 7 KB). YAML is read
#: here at 0.1 to 0.2 MB a second (a file of short keys is slowest), so a
#: file at the limit is refused for what it holds within half a second, and
#: read, valid, within about one.
MAX_FILE_BYTES = 64 << 10
#: Aliases (``*name``) in one file: scenario files need few or none.
MAX_ALIASES = 100
#: Values in one file, each alias counted as all the values it stands for:
#: what stops an alias bomb, whose few lines stand for billions of values.
MAX_VALUES = 100_000
#: Mappings and lists inside each other: a scenario file needs about 6.
MAX_DEPTH = 50
#: Files in one chain of ``extends:``.
MAX_EXTENDS = 10

# --- scenarios -----------------------------------------------------------------------

#: Five centuries: far beyond any programme, long enough for the steady
#: state that checks against queueing theory need (sim.analysis.validation).
MAX_MONTHS = 6000
MAX_PLACES = 10_000_000
MAX_PLACE_PERIODS = 1_000
MAX_REPLICATIONS = 10_000_000
#: Expected referrals in one replication. A replication is simulated by one
#: process at once, at about 2 KB and 7 microseconds a person.
MAX_PEOPLE_PER_REPLICATION = 1_000_000
#: Expected stays in stages in one replication: a stage that sends people
#: back to itself (or to an earlier one) multiplies them. About 2.4 GB of
#: one process's memory at the limit.
MAX_STAYS_PER_REPLICATION = 2_000_000
#: Stays in all of a run: about five hours on two cores (4 microseconds a stay).
MAX_STAYS_PER_RUN = 10_000_000_000
SECONDS_PER_STAY = 4e-6
#: Any amount of money in euros: far above any municipal figure, far below
#: where sums of them lose their precision.
MAX_EUROS = 1e9
#: Any rate or hazard a month, and any factor on a chance.
MAX_RATE = 1e9
MAX_FACTOR = 1e3
MAX_STAGES = 50
MAX_SEGMENTS = 50
MAX_LIST_ENTRIES = 10_000

# --- commands ------------------------------------------------------------------------

#: Points of a sweep, or of any experiment's design.
MAX_POINTS = 10_000
#: Workers beyond the cores only share them; beyond this many they only cost memory.
MAX_WORKERS_PER_CORE = 4

# --- the memory estimate -------------------------------------------------------------

#: Memory per stay in a stage while a replication is simulated and reduced:
#: measured at 1.1 KB (peak resident memory of one replication of 120,000
#: people with 2, 3, 6 and 11 stays each; the reference has about 2),
#: rounded up.
BYTES_PER_STAY = 1_200
#: A worker's chunk is about half a second of work, about 120,000 stays.
STAYS_PER_CHUNK = 120_000
#: A worker process with the simulation loaded; the main process with pandas
#: and matplotlib loaded besides.
WORKER_BYTES = 80e6
MAIN_BYTES = 350e6
#: Copies of the per-replication tables while they are written (the arrays,
#: their DataFrames, the Parquet and CSV writers' buffers).
COPIES_WHILE_WRITING = 3
#: Share of the memory available at the start that a run may plan to use.
MEMORY_SHARE = 0.8
#: Bins of a distribution kept per series in a summary-only run (sim.run.aggregates).
_BINS = 4096


def cores() -> int:
    return os.cpu_count() or 1


def expected_people(scenario: Scenario) -> float:
    """Referrals expected in one replication of ``scenario`` (inf when there
    are more than floating point counts)."""
    referrals = scenario.referrals
    start, until = referrals.from_month, scenario.intake_until_month
    window = max(until - start, 0.0)
    if referrals.process == "poisson":
        return referrals.rate_per_month * window
    if referrals.process == "cohorts":
        cohorts = window / referrals.every_months
        return math.ceil(cohorts) * referrals.cohort_size if cohorts < 1e15 else math.inf
    return float(sum(entry.count for entry in referrals.schedule if entry.month < scenario.horizon_months))


def stays_per_person(scenario: Scenario) -> float:
    """Stays in stages a referred person makes at most on average: routes
    back to a stage repeat it, dropout ends them (taken at its least, over
    the segments). inf when they may go on without end."""
    import numpy as np

    names = list(scenario.stages)
    place = {name: index for index, name in enumerate(names)}
    onward = np.zeros((len(names), len(names)))  # chance of going on from one stage to another
    least_factor = min(segment.dropout_factor for segment in scenario.segments.values())
    for index, stage in enumerate(scenario.stages.values()):
        finishing = _chance_of_finishing(stage, least_factor)
        for destination, chance in stage.routes.items():
            if destination in place:
                onward[index, place[destination]] += finishing * chance
    start = np.zeros(len(names))
    start[place[scenario.first_stage]] = scenario.referrals.acceptance
    try:
        with np.errstate(all="ignore"):
            visits = np.linalg.solve((np.eye(len(names)) - onward).T, start)
    except np.linalg.LinAlgError:
        return math.inf
    total = float(visits.sum())
    return total if math.isfinite(total) and np.all(visits >= -1e-9) and total < 1e15 else math.inf


def _chance_of_finishing(stage, dropout_factor: float) -> float:
    """The chance a stay ends by finishing rather than by dropout, at its highest."""
    import numpy as np

    dropout = stage.dropout
    if dropout is None or not dropout.possible or dropout_factor == 0:
        return 1.0
    if dropout.probability is not None:
        return 1.0 - min(dropout.probability * dropout_factor, 1.0)
    # A hazard competes with the stay: E[exp(-hazard x stay)], the stay's
    # distribution taken at the middles of 200 equal slices of chance.
    stays = stage.duration.ppf((np.arange(200) + 0.5) / 200)
    with np.errstate(over="ignore", under="ignore"):
        return float(np.mean(np.exp(-dropout.hazard_per_month * dropout_factor * stays)))


def too_many_people(scenario: Scenario) -> str | None:
    """Why one replication of ``scenario`` is too large to simulate, or None."""
    people = expected_people(scenario)
    return _too_many_people(people, people * stays_per_person(scenario))


def _too_many_people(people: float, stays: float) -> str | None:
    if people > MAX_PEOPLE_PER_REPLICATION:
        return _("would refer about {people} people per replication; at most {most} (the limit of one process's "
                 "memory and time)").format(people=_amount(people), most=language.number(MAX_PEOPLE_PER_REPLICATION))
    if stays > MAX_STAYS_PER_REPLICATION:
        return _("would make about {stays} stays in stages per replication ({people} people, routes that send them "
                 "back to a stage again and again); at most {most}").format(
            stays=_amount(stays), people=_amount(people), most=language.number(MAX_STAYS_PER_REPLICATION))
    return None


def available_memory() -> int:
    """Bytes of memory available now (Linux's MemAvailable; else all of it)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return installed_memory()


def installed_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


@dataclass(frozen=True)
class RunEstimate:
    """What a run of ``replications`` will hold in memory, at its peak."""

    replications: int
    people_per_replication: float
    stays_per_replication: float
    workers: int
    months: int
    states: int
    keep_replications: bool
    memory_bytes: float
    memory_limit_bytes: float
    memory_kind: str  # "free" (now) or "installed"
    option: str  # how the user asked for the replications, for messages

    def problems(self) -> list[Problem]:
        problems = []
        if (too_many := _too_many_people(self.people_per_replication, self.stays_per_replication)) is not None:
            problems.append(Problem("referrals", None, None, "", too_many))
        elif self.replications > MAX_REPLICATIONS:
            problems.append(Problem(self.option, None, None, "",
                                    f"at most {MAX_REPLICATIONS:,} replications in one run (a million take about "
                                    "15 minutes on two cores)"))
        elif self.stays_per_replication * self.replications > MAX_STAYS_PER_RUN:
            stays = self.stays_per_replication * self.replications
            used = max(1, min(self.workers, cores()))
            hours = stays * SECONDS_PER_STAY / 3600 / used
            problems.append(Problem(self.option, None, None, "",
                                    f"about {_amount(stays)} stays in stages in all, some {hours:,.0f} hours on "
                                    f"{used} core(s); at most {MAX_STAYS_PER_RUN:.0e} "
                                    "in one run. Use fewer replications"))
        elif self.memory_bytes > self.memory_limit_bytes:
            kept = (f"{self.replications:,} replications x {self.months:,} months x {self.states} states kept per "
                    "replication" if self.keep_replications else
                    f"{self.workers} worker(s) x {_amount(self.people_per_replication)} people per replication")
            problems.append(Problem(self.option, None, None, "",
                                    f"the run would need about {_bytes(self.memory_bytes)} of memory ({kept}); the "
                                    f"limit is {_bytes(self.memory_limit_bytes)} ({MEMORY_SHARE:.0%} of the "
                                    f"{self.memory_kind} memory). Use fewer replications, --summary-only, fewer "
                                    "--workers or a shorter horizon"))
        return problems


def estimate(scenario: Scenario, replications: int, workers: int = 1, keep_replications: bool = True,
             option: str | None = None, against_free: bool = True) -> RunEstimate:
    """The memory a run will need at its peak: the main process, its workers
    each with a chunk of people in flight, and the tables kept; held against
    the memory free now (before a command starts) or, for each run inside a
    command that holds earlier runs' results itself, all that is installed."""
    from sim.measure.columns import outcome_names
    from sim.measure.money import CASHFLOW, cashflow_months
    from sim.measure.outcomes import months, state_names

    people = expected_people(scenario)
    stays = people * stays_per_person(scenario)
    month_count, states, outcomes = len(months(scenario)), len(state_names(scenario)), len(outcome_names(scenario))
    cashflow = len(CASHFLOW) * cashflow_months(scenario) if scenario.budget is not None else 0
    in_flight = max(stays, min(STAYS_PER_CHUNK, stays * replications)) * BYTES_PER_STAY
    processes = MAIN_BYTES + in_flight + (workers * (WORKER_BYTES + in_flight) if workers > 1 else 0)
    # Distributions of every series (an outcome, a state in a month, a month's
    # money) are made in any run, for its plots or instead of the rows.
    series = outcomes + month_count * (states + 2) + cashflow
    distributions = series * _BINS * 8 * 2
    tables = 0.0
    if keep_replications:
        per_replication = outcomes * 8 + month_count * states * 4 + cashflow * 8
        tables = COPIES_WHILE_WRITING * replications * per_replication
    return RunEstimate(
        replications=replications, people_per_replication=people, stays_per_replication=stays, workers=workers,
        months=month_count,
        states=states, keep_replications=keep_replications, memory_bytes=processes + tables + distributions,
        memory_limit_bytes=MEMORY_SHARE * (available_memory() if against_free else installed_memory()),
        memory_kind="free" if against_free else "installed", option=option or f"-n {replications}",
    )


def worker_problems(workers: int | None) -> tuple[list[Problem], str | None]:
    """Problems with ``--workers`` and, short of one, a warning."""
    if workers is None:
        return [], None
    most = MAX_WORKERS_PER_CORE * cores()
    if workers > most:
        return [Problem(f"--workers {workers}", None, None, "",
                        f"at most {most} ({MAX_WORKERS_PER_CORE} per core; this machine has {cores()})")], None
    if workers > cores():
        return [], (f"Warning: --workers {workers}: more workers than cores ({cores()}); they share the cores "
                    "and only add memory.")
    return [], None


def too_many_points(points: int, what: str) -> list[Problem]:
    if points <= MAX_POINTS:
        return []
    return [Problem(what, None, None, "", f"{points:,} points; at most {MAX_POINTS:,} in one command")]


def too_many_replications(total: int, what: str) -> list[Problem]:
    if total <= MAX_REPLICATIONS:
        return []
    return [Problem(what, None, None, "", f"{total:,} replications in all; at most {MAX_REPLICATIONS:,} in one "
                                          "command")]


def _amount(value: float) -> str:
    if not math.isfinite(value):
        return _("more than {amount}").format(amount="1e15")
    return language.number(value) if value < 1e12 else f"{value:.2g}"


def _bytes(value: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if value >= size:
            return f"{value / size:,.1f} {unit}"
    return f"{value / 1e3:,.0f} KB"
