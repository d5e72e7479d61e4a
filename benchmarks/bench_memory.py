"""Peak memory of a command and its worker processes together.

    .venv/bin/python benchmarks/bench_memory.py .venv/bin/pilotsim run -n 10000 --workers 2 --out /tmp/m

Starts the command and samples, every 50 ms, the proportional set size
(PSS) of it and every process it started: PSS shares the memory pages a
forked worker has in common with its parent fairly between them, where
the resident set size would count them once per process. Prints the peak
of the sum and how long the command took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def proportional_kilobytes(process: int) -> int:
    try:
        with open(f"/proc/{process}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:  # ended between listing and reading
        pass
    return 0


def with_descendants(process: int) -> list[int]:
    found = [process]
    try:
        for thread in os.listdir(f"/proc/{process}/task"):
            with open(f"/proc/{process}/task/{thread}/children") as children:
                for child in children.read().split():
                    found += with_descendants(int(child))
    except OSError:
        pass
    return found


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    started = time.perf_counter()
    command = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while command.poll() is None:
        peak = max(peak, sum(proportional_kilobytes(process) for process in with_descendants(command.pid)))
        time.sleep(0.05)
    print(f"peak memory (PSS, all processes) {peak / 1024:.0f} MB; {time.perf_counter() - started:.1f} s; "
          f"exit status {command.returncode}")


if __name__ == "__main__":
    main()
