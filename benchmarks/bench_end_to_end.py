"""How long `pilotsim run` of the reference pilot takes from command to prompt.

What a person waits for after typing the command: Python starting, the
libraries loading, the scenario read, 1,000 replications with money on both
cores, and every file of the results folder written (tables, client
records, plots, workbook). Each round writes a new folder; the median of
the rounds is reported, with the plain SimPy model of the same scenario on
one core timed between them (benchmarks/plain_simpy.py), as every speed in
benchmarks/ is.

    .venv/bin/python benchmarks/bench_end_to_end.py [--rounds 5] [--replications 1000]

To compare with another version of pilotsim under the same load, check it
out elsewhere (``git worktree add /tmp/before COMMIT``) and give its folder:
rounds then alternate between the two, and the plain model is left out.

    .venv/bin/python benchmarks/bench_end_to_end.py --against /tmp/before
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.plain_simpy import run_plain  # noqa: E402

PILOTSIM = Path(sys.executable).with_name("pilotsim")
HERE = Path(__file__).resolve().parent.parent


def command_once(replications: int, folder: Path, checkout: Path = HERE) -> float:
    """Seconds from command to prompt, with pilotsim as found in ``checkout``."""
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    subprocess.run([str(PILOTSIM), "run", "-n", str(replications), "--out", str(folder)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    return time.perf_counter() - started


def spread(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds):.2f} s ({min(seconds):.2f} to {max(seconds):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--against", type=Path, help="another checkout of pilotsim, timed in alternate rounds")
    arguments = parser.parse_args()
    from sim import api

    scenario = api.load(api.REFERENCE)
    commands, other = [], []
    with tempfile.TemporaryDirectory() as work:
        for round_number in range(arguments.rounds):
            commands.append(command_once(arguments.replications, Path(work) / f"round{round_number}"))
            if arguments.against is not None:
                other.append(command_once(arguments.replications, Path(work) / f"against{round_number}",
                                          arguments.against.resolve()))
                print(f"round {round_number + 1}: pilotsim run {commands[-1]:.2f} s, "
                      f"{arguments.against} {other[-1]:.2f} s", flush=True)
                continue
            started = time.perf_counter()
            run_plain(scenario, arguments.replications, seed=round_number)
            other.append(time.perf_counter() - started)
            print(f"round {round_number + 1}: pilotsim run {commands[-1]:.2f} s, plain SimPy {other[-1]:.2f} s",
                  flush=True)
    if arguments.against is not None:
        print(f"pilotsim run, command to prompt: {spread(commands)}; {arguments.against}: {spread(other)}")
        return
    print(f"pilotsim run, command to prompt: {spread(commands)}; plain SimPy of the same replications on one core, "
          f"outcomes only: median {statistics.median(other):.2f} s")


if __name__ == "__main__":
    main()
