"""Where the time of a chunk goes, phase by phase, on one core.

    .venv/bin/python benchmarks/phases.py [scenario] [--replications 500] [--rounds 5]

Times the steps of ``sim.model.engine.simulate_chunk`` and the worker's counting
separately (the scenario without its budget, as in bench_reference.py):
drawing (streams and inverse transforms for the chunk), the runs (the
event loop and the model's own bookkeeping), records, and counting outcomes
and monthly states. Also counts the events the runs schedule.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sim.measure.outcomes import monthly_count_rows, outcome_rows
from sim.model import engine as model
from sim.model.draws import ChunkDraws
from sim.scenario.edit import with_changes
from sim.scenario.files import load_scenario
from sim.scenario.shipped import resolve

PHASES = ("drawing", "runs", "records", "counting")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default="brunssum_logistics_2021")
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scenario = with_changes(load_scenario(resolve(args.scenario)), {"budget": None, "uncertain": {}},
                            "without money")

    events = 0
    schedule = model._ProgrammeRun._at

    def counted(run, *arguments):
        nonlocal events
        events += 1
        schedule(run, *arguments)

    model._ProgrammeRun._at = counted
    measured: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for round_number in range(args.rounds):
        seed, replications = 1000 + round_number, args.replications
        with model._cycle_collector_paused():
            started = time.perf_counter()
            draws = ChunkDraws(scenario, seed, 0, replications)
            drawn = time.perf_counter()
            first_visits = [model._StagePlan.of(stage, numbers, draws, scenario)
                            for stage, numbers in zip(scenario.stages.values(), draws.first_visits)]
            runs = [model._ProgrammeRun(scenario, draws, position, first_visits) for position in range(replications)]
            for run in runs:
                run.run()
            ran = time.perf_counter()
            chunk = model.records_of_runs(scenario, draws, runs)
            recorded = time.perf_counter()
            del runs, run
        outcome_rows(scenario, chunk)
        monthly_count_rows(scenario, chunk)
        counted_at = time.perf_counter()
        for phase, seconds in zip(PHASES, (drawn - started, ran - drawn, recorded - ran, counted_at - recorded)):
            measured[phase].append(seconds / replications * 1e6)
    model._ProgrammeRun._at = schedule

    people = len(chunk.clients["client"]) / replications
    stays = len(chunk.visits["client"]) / replications
    print(f"scenario: {scenario.name}, {args.replications} replications x {args.rounds} rounds, one core")
    print(f"per replication: {people:.0f} people referred, {stays:.0f} stays, "
          f"{events / (args.replications * args.rounds):.1f} events")
    total = sum(statistics.median(values) for values in measured.values())
    for phase, values in measured.items():
        median = statistics.median(values)
        print(f"{phase:10s} {median:6.0f} us a replication  {median / total:4.0%}")
    print(f"{'total':10s} {total:6.0f} us a replication")


if __name__ == "__main__":
    main()
