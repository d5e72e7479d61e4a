"""Replications per second of the reference pilot on one core: pilotsim's
model side by side with a plain SimPy model of the same scenario.

    .venv/bin/python benchmarks/bench_reference.py [--replications N] [--rounds R]

Rounds alternate between the models so that all see the same machine load.
pilotsim's fast engine is timed twice: on the same work as the plain model
(the scenario without its budget: outcomes, plus monthly state counts the
plain model does not make), and with the money of the budget section added
(client records and accounting, a chunk at a time), which the plain model does
not do at all. Its process engine (the model as SimPy processes, same
results) is timed on the same work.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plain_simpy import run_plain  # noqa: E402

from sim.measure.outcomes import OUTCOMES  # noqa: E402
from sim.run.worker import run_chunk  # noqa: E402
from sim.scenario.edit import with_changes  # noqa: E402
from sim.scenario.files import load_scenario  # noqa: E402
from sim.scenario.shipped import resolve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default="brunssum_logistics_2021")
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scenario = load_scenario(resolve(args.scenario))

    without_money = with_changes(scenario, {"budget": None, "uncertain": {}}, "without money")
    rates: dict[str, list[float]] = {"pilotsim": [], "pilotsim with money": [], "pilotsim, process engine": [],
                                     "plain SimPy": []}
    for round_number in range(args.rounds):
        seed = 1000 + round_number
        started = time.perf_counter()
        chunk = run_chunk(without_money, seed, 0, args.replications, keep_clients=False)
        rates["pilotsim"].append(args.replications / (time.perf_counter() - started))
        started = time.perf_counter()
        processes = run_chunk(without_money, seed, 0, args.replications, keep_clients=False, engine="processes")
        rates["pilotsim, process engine"].append(args.replications / (time.perf_counter() - started))
        if not (processes.outcomes == chunk.outcomes).all():
            raise SystemExit("the engines disagree: see tests/property/test_engines.py")
        if scenario.budget is not None:
            started = time.perf_counter()
            run_chunk(scenario, seed, 0, args.replications, keep_clients=False)
            rates["pilotsim with money"].append(args.replications / (time.perf_counter() - started))
        started = time.perf_counter()
        plain = run_plain(scenario, args.replications, seed)
        rates["plain SimPy"].append(args.replications / (time.perf_counter() - started))

    placed = {"pilotsim": chunk.outcomes[:, OUTCOMES.index("placed")].mean(),
              "pilotsim, process engine": processes.outcomes[:, OUTCOMES.index("placed")].mean(),
              "plain SimPy": statistics.mean(counts["placed"] for counts in plain)}
    plain_rate = statistics.median(rates["plain SimPy"])
    print(f"scenario: {scenario.name}, {args.replications} replications x {args.rounds} rounds, one core")
    for name, measured in rates.items():
        if not measured:
            continue
        rate = statistics.median(measured)
        mean_placed = f"   mean placed {placed[name]:.1f}" if name in placed else ""
        print(f"{name:25s} {rate:7.0f} replications/s{mean_placed}")
    for name in ("pilotsim", "pilotsim with money", "pilotsim, process engine"):
        if rates[name]:
            per_round = ", ".join(f"{a / b:.2f}" for a, b in zip(rates[name], rates["plain SimPy"]))
            print(f"ratio, {name:25s} {statistics.median(rates[name]) / plain_rate:5.2f} x  (per round: {per_round})")


if __name__ == "__main__":
    main()
