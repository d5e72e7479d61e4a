"""Golden records: small outputs of ``python -m sim run`` kept in the
repository, so that any change to the engine that changes results shows as a
failing test instead of passing unnoticed.

They are produced only through the command line, never by importing the
package's modules, so they keep working whatever the package's internal
layout. ``tests/validation/test_golden.py`` compares them with what the
engine writes now; ``tests/golden/regenerate.py`` rewrites them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

GOLDEN = Path(__file__).resolve().parent
PROJECT = GOLDEN.parent.parent
REGENERATE_COMMAND = "python tests/golden/regenerate.py"

SCENARIOS = ("brunssum_logistics_2021", "heerlen_2018")
SEED = 1234
REPLICATIONS = 12
FILES = ("replications.csv", "summary.csv", "clients.csv")

# Heerlen refers over 2,000 people per replication: these limits keep each
# stored file under 300 KB while still covering more than one replication's
# random numbers.
CLIENT_REPLICATIONS = 3
CLIENTS_PER_REPLICATION = 200


def run_arguments(scenario: str, out: Path) -> list[str]:
    return ["run", scenario, "--replications", str(REPLICATIONS), "--seed", str(SEED), "--workers", "1",
            "--keep-clients", "--out", str(out)]


def produce_records(work: Path) -> dict[str, dict[str, bytes]]:
    """Run every golden scenario in a folder of ``work`` and return, per
    scenario, the contents of each file in ``FILES``."""
    # The project root first on the path, so the runs use this checkout's
    # engine even where another copy of pilotsim is installed.
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(PROJECT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    folders = {scenario: work / scenario for scenario in SCENARIOS}
    # Independent runs, most of whose time is spent drawing plots: side by
    # side they take half as long.
    runs = {scenario: subprocess.Popen([sys.executable, "-m", "sim", *run_arguments(scenario, folder)],
                                       cwd=work, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for scenario, folder in folders.items()}
    records = {}
    for scenario, process in runs.items():
        output, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"`python -m sim {' '.join(run_arguments(scenario, folders[scenario]))}` "
                               f"failed with status {process.returncode}:\n{output.decode(errors='replace')}")
        folder = folders[scenario]
        records[scenario] = {
            "replications.csv": (folder / "replications.csv").read_bytes(),
            "summary.csv": (folder / "summary.csv").read_bytes(),
            "clients.csv": clients_csv(folder / "clients.parquet"),
        }
    return records


def clients_csv(parquet: Path) -> bytes:
    """The first clients of the first replications as CSV; %.17g writes
    every float exactly, so a change in the last bit shows."""
    clients = pd.read_parquet(parquet)
    first = clients[(clients["replication"] < CLIENT_REPLICATIONS) & (clients["client"] < CLIENTS_PER_REPLICATION)]
    return first.to_csv(index=False, float_format="%.17g", lineterminator="\n").encode()


def stored_path(scenario: str, name: str) -> Path:
    return GOLDEN / scenario / name
