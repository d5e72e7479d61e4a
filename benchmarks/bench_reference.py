"""Replications per second of the reference pilot on one core: pilotsim's
model side by side with a plain SimPy model of the same scenario.

    .venv/bin/python benchmarks/bench_reference.py [--replications N] [--rounds R]

Rounds alternate between the two models so that both see the same machine
load. pilotsim's figure includes everything a run computes per replication
(outcomes and monthly state counts); the plain model counts outcomes only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plain_simpy import run_plain  # noqa: E402

from sim.worker import run_chunk  # noqa: E402
from sim.scenario_file import load_scenario  # noqa: E402
from sim.shipped import resolve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default="brunssum_logistics_2021")
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scenario = load_scenario(resolve(args.scenario))

    pilotsim_rates, plain_rates = [], []
    for round_number in range(args.rounds):
        seed = 1000 + round_number
        started = time.perf_counter()
        chunk = run_chunk(scenario, seed, 0, args.replications, keep_clients=False)
        pilotsim_rates.append(args.replications / (time.perf_counter() - started))
        started = time.perf_counter()
        plain = run_plain(scenario, args.replications, seed)
        plain_rates.append(args.replications / (time.perf_counter() - started))

    placed_column = list(__import__("sim.outcomes", fromlist=["OUTCOMES"]).OUTCOMES).index("placed")
    pilotsim_placed = chunk.outcomes[:, placed_column].mean()
    plain_placed = statistics.mean(counts["placed"] for counts in plain)
    pilotsim_rate, plain_rate = statistics.median(pilotsim_rates), statistics.median(plain_rates)
    print(f"scenario: {scenario.name}, {args.replications} replications x {args.rounds} rounds, one core")
    print(f"pilotsim     {pilotsim_rate:8.0f} replications/s   mean placed {pilotsim_placed:.1f}")
    print(f"plain SimPy  {plain_rate:8.0f} replications/s   mean placed {plain_placed:.1f}")
    print(f"ratio        {pilotsim_rate / plain_rate:8.2f} x (median of rounds; per round: "
          + ", ".join(f"{a / b:.2f}" for a, b in zip(pilotsim_rates, plain_rates)) + ")")


if __name__ == "__main__":
    main()
