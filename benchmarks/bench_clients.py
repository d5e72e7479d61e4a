"""How the cost of a replication grows with the number of participants, on
one core, pilotsim beside the plain SimPy model.

    .venv/bin/python benchmarks/bench_clients.py [--participants 100 1000 10000] [--rounds 3]

The reference pilot is scaled as a whole: intake, places, waiting-list limit
and the participant cap grow by the same factor, so each person's path is as
in the reference and only the number of people changes. Linear cost shows as
a constant time per participant.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plain_simpy import run_plain  # noqa: E402

from sim.run.worker import run_chunk  # noqa: E402
from sim.scenario.edit import with_changes
from sim.scenario.files import load_scenario  # noqa: E402
from sim.scenario.shipped import resolve  # noqa: E402

#: Participant-seconds each measurement aims at, so that small and large
#: scenarios are timed over similar spans.
PARTICIPANTS_PER_MEASUREMENT = 60_000


def scaled(participants: int):
    reference = load_scenario(resolve("brunssum_logistics_2021"))
    factor = participants / reference.referrals.max_participants
    return with_changes(reference, {
        "budget": None,
        "uncertain": {},
        "name": f"reference_x{factor:g}",
        "referrals.rate_per_month": reference.referrals.rate_per_month * factor,
        "referrals.max_participants": participants,
        "referrals.waiting_list_limit": max(1, round(reference.referrals.waiting_list_limit * factor)),
        "stages.training.slots": max(1, round(50 * factor)),
    }, f"the reference scaled to {participants} participants")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("| participants | replications/s | us per participant | plain SimPy replications/s | ratio |")
    print("|---|---|---|---|---|")
    for participants in args.participants:
        scenario = scaled(participants)
        replications = max(2, PARTICIPANTS_PER_MEASUREMENT // participants)
        ours, plain = [], []
        for round_number in range(args.rounds):
            started = time.perf_counter()
            run_chunk(scenario, 100 + round_number, 0, replications, keep_clients=False)
            ours.append(replications / (time.perf_counter() - started))
            started = time.perf_counter()
            run_plain(scenario, replications, 100 + round_number)
            plain.append(replications / (time.perf_counter() - started))
        rate, plain_rate = statistics.median(ours), statistics.median(plain)
        print(f"| {participants:,} | {rate:,.1f} | {1e6 / (rate * participants):.1f} | {plain_rate:,.1f} | "
              f"{rate / plain_rate:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
