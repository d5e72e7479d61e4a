"""How long the web page takes to answer a run of the reference pilot.

What the page does when a person presses Run with settings it has not run
before: read the scenario as set, run it (1,000 replications with money, on
all cores, on the worker processes the page keeps and starts when it is
first drawn), and build the key figures and the four charts. Each round
uses another seed, so no answer comes from the page's cache; the first
round is the first run after the page starts.
Compared side by side with the plain SimPy model of the same scenario on one
core (benchmarks/plain_simpy.py), as every speed in benchmarks/ is.

    .venv/bin/python benchmarks/bench_web.py [--replications 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.plain_simpy import run_plain  # noqa: E402
from sim import api  # noqa: E402
from sim.web import charts  # noqa: E402


def answer_once(text: str, replications: int, seed: int) -> float:
    started = time.perf_counter()
    with api.kept_workers():
        result = api.run(api.load_upload("scenario.yaml", text.encode()), replications, seed=seed)
    api.headline(result)  # the sentences and key figures
    for chart in (charts.placements(result), charts.where_people_are(result), charts.money_per_year(result),
                  charts.pays_for_itself(result)):
        charts.for_the_page(chart).to_dict()  # the chart as the browser receives it
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    scenario = api.load(api.REFERENCE)
    text = api.scenario_text(scenario)
    started = time.perf_counter()
    with api.kept_workers():  # as the page does while it is first drawn
        pass
    workers = time.perf_counter() - started
    seconds = [answer_once(text, options.replications, scenario.seed + round_) for round_ in range(options.rounds)]
    started = time.perf_counter()
    run_plain(scenario, options.replications, scenario.seed)
    plain = time.perf_counter() - started
    print(f"web page answer, {options.replications} replications with money, {options.rounds} rounds:")
    print(f"  workers started with the page: {workers:.2f} s")
    print(f"  first run after that:     {seconds[0]:.2f} s")
    print(f"  median of the others:     {statistics.median(seconds[1:] or seconds):.2f} s "
          f"(rounds {', '.join(f'{value:.2f}' for value in seconds[1:])})")
    print(f"  plain SimPy, same replications, one core, outcomes only: {plain:.2f} s")


if __name__ == "__main__":
    main()
