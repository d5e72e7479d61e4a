"""Speed-up from one to several worker processes on the reference pilot.

    .venv/bin/python benchmarks/bench_workers.py [--replications 8000] [--rounds 4] [--workers 2]

Rounds alternate between one worker and several so that both see the same
machine load; the time is the run itself (simulating and gathering), not
writing the results folder.
"""

from __future__ import annotations

import argparse
import statistics

from sim.run.runner import run
from sim.scenario.files import load_scenario
from sim.scenario.shipped import resolve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(resolve("brunssum_logistics_2021"))
    one, several = [], []
    for round_number in range(args.rounds):
        one.append(run(scenario, args.replications, seed=round_number, workers=1).seconds)
        several.append(run(scenario, args.replications, seed=round_number, workers=args.workers).seconds)
        print(f"round {round_number}: 1 worker {one[-1]:.1f} s, {args.workers} workers {several[-1]:.1f} s, "
              f"speed-up {one[-1] / several[-1]:.2f}", flush=True)
    median_one, median_several = statistics.median(one), statistics.median(several)
    print(f"median: 1 worker {median_one:.1f} s ({args.replications / median_one:.0f}/s), {args.workers} workers "
          f"{median_several:.1f} s ({args.replications / median_several:.0f}/s), "
          f"speed-up {median_one / median_several:.2f}")


if __name__ == "__main__":
    main()
