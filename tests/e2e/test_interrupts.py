"""Ctrl-C, kills and two commands at once, as they happen to a user.

Each command is started in its own process group with the default SIGINT
disposition, as a terminal starts it (a background job of a
non-interactive shell would start with SIGINT ignored, and would test
nothing), and the whole group is signalled, workers included."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT, REFERENCE

#: How long after the signal a command may take to be gone, workers and all.
STOP_SECONDS = 2.0


def start(arguments: list[str], cwd: Path) -> subprocess.Popen:
    # With the fault handler on, a command that hangs can be made to print
    # where each of its threads stands (SIGABRT, see ``interrupt``).
    return subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "sim", *arguments], cwd=cwd,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def group_alive(group: int) -> bool:
    """A process of the group still runs. Zombies do not count: a worker whose
    parent was killed is reaped by init, which in a container may never come."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state not in ("Z", "X"):
            return True
    return False


def wait_for_group_to_end(group: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not group_alive(group):
            return True
        time.sleep(0.02)
    return not group_alive(group)


def digest(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def in_write_phase(parent: Path) -> bool:
    """Files of the new results are being written in a hidden staging folder."""
    return any(parent.glob(".*.pilotsim-partial/**/summary.csv"))


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """A results folder from an earlier run, and the scenario files the commands use."""
    root = tmp_path_factory.mktemp("interrupts")
    alternative = root / "wider.yaml"
    alternative.write_text(f"extends: {REFERENCE}\nname: wider\nstages:\n  training:\n    slots: 70\n")
    previous = root / "previous"
    completed = subprocess.run([sys.executable, "-m", "sim", "run", "-n", "3000", "--workers", "2",
                                "--keep-clients", "--out", str(previous)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    state = root / "state.csv"
    completed = subprocess.run([sys.executable, "-m", "sim", "state", "--as-of", "12", "--out", str(state)],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return {"root": root, "alternative": str(alternative), "previous": previous, "state": str(state)}


def long_command(name: str, files: dict) -> list[str]:
    """Each command, asked for enough work to still be busy after several seconds."""
    return {
        "run": ["run", "-n", "400000", "--workers", "2"],
        "compare": ["compare", "brunssum_logistics_2021", files["alternative"], "-n", "200000", "--workers", "2"],
        "sweep": ["sweep", "brunssum_logistics_2021", "--vary", "stages.training.slots=20:80:1", "-n", "20000",
                  "--workers", "2"],
        "size": ["size", "brunssum_logistics_2021", "--vary", "stages.training.slots=10:100", "-n", "20000",
                 "--max-replications", "100000", "--workers", "2"],
        "calibrate": ["calibrate", "heerlen_2018", "--samples", "400", "-n", "400", "--workers", "2"],
        "sensitivity": ["sensitivity", "brunssum_logistics_2021", "--samples", "256", "-n", "200", "--workers", "2"],
        "replications": ["replications", "brunssum_logistics_2021", "--outcome", "npv", "--precision", "0.0001",
                         "--max", "10000000", "--workers", "2"],
        "budget": ["budget", str(files["previous"])],
        "report": ["report", str(files["previous"]), "--format", "html"],
        "validate": ["validate", "--report", "-n", "20000"],
        "forecast": ["forecast", "--state", files["state"], "--as-of", "12", "-n", "200000", "--workers", "2"],
    }[name]


COMMANDS = ["run", "compare", "sweep", "size", "calibrate", "sensitivity", "replications", "budget", "report",
            "validate", "forecast"]


def interrupt(arguments: list[str], cwd: Path, after: float | None, out: Path | None) -> tuple[int, str]:
    """Start, send Ctrl-C ``after`` seconds later (None: once the results are
    being written), and check that everything is gone within STOP_SECONDS."""
    process = start(arguments, cwd)
    if after is None:
        deadline = time.monotonic() + 120
        while not in_write_phase(out.parent) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        assert process.poll() is None, "finished before it could be interrupted while writing"
    else:
        time.sleep(after)
        assert process.poll() is None, f"finished within {after} s: give it more work"
    os.killpg(process.pid, signal.SIGINT)
    signalled = time.monotonic()
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        # Hung: show where, rather than only that it did.
        process.send_signal(signal.SIGABRT)
        _, stderr = process.communicate(timeout=10)
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"still running 60 s after Ctrl-C; its threads stood at:\n{stderr}")
    assert time.monotonic() - signalled < STOP_SECONDS, stderr
    assert wait_for_group_to_end(process.pid, STOP_SECONDS - (time.monotonic() - signalled) + 0.1), \
        "a worker outlived the command"
    return process.returncode, stderr


#: Moments to interrupt each command: while its libraries load, as it
#: starts working, and well into its work (a report is written after about
#: 1.3 s and the money of 3,000 runs worked out again after about 2.7 s, so
#: they are caught earlier).
MOMENTS = {name: (0.15, 0.5, {"report": 0.8, "budget": 1.5}.get(name, 3.0)) for name in COMMANDS}


@pytest.mark.parametrize("name, after", [(name, after) for name in COMMANDS for after in MOMENTS[name]])
def test_ctrl_c_at_any_moment_stops_within_two_seconds_and_leaves_the_earlier_results(earlier, tmp_path, name,
                                                                                      after):
    out = tmp_path / "results"
    # The destination holds results of an earlier run: pilotsim may replace
    # them, but only with complete new ones.
    shutil.copytree(earlier["previous"], out)
    before = digest(out)
    target = ["--out", str(out / "report.html")] if name == "report" else ["--out", str(out)]
    arguments = long_command(name, earlier)
    if name in ("budget", "report"):
        arguments[1] = str(out if name == "report" else earlier["previous"])
    returncode, stderr = interrupt([*arguments, *target], tmp_path, after, out)
    assert returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Interrupted"), stderr
    assert digest(out) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "results" and not p.name.endswith(".work")]
    assert leftovers == [], leftovers


def test_ctrl_c_while_the_results_are_written_leaves_the_earlier_results(earlier, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(earlier["previous"], out)
    before = digest(out)
    returncode, stderr = interrupt(["run", "-n", "4000", "--workers", "2", "--keep-clients", "--out", str(out)],
                                   tmp_path, None, out)
    assert returncode == 130 and stderr.strip().splitlines() == ["Interrupted: no results were written."]
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


@pytest.mark.parametrize("phase", ["running", "writing"])
def test_after_a_kill_workers_go_and_the_next_run_cleans_up(earlier, tmp_path, phase):
    out = tmp_path / "results"
    arguments = ["run", "-n", "4000" if phase == "writing" else "400000", "--workers", "2", "--keep-clients",
                 "--out", str(out)]
    process = start(arguments, tmp_path)
    if phase == "writing":
        deadline = time.monotonic() + 120
        while not in_write_phase(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert in_write_phase(tmp_path)
    else:
        time.sleep(4)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert wait_for_group_to_end(process.pid, STOP_SECONDS), "workers outlived their parent"
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".pilotsim-partial")]  # what the kill left
    completed = subprocess.run([sys.executable, "-m", "sim", "run", "-n", "20", "--workers", "2", "--out", str(out)],
                               capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_two_runs_to_one_folder_the_second_refuses(tmp_path):
    out = tmp_path / "results"
    first = start(["run", "-n", "400000", "--workers", "1", "--out", str(out)], tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not any(tmp_path.glob(".results.*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run([sys.executable, "-m", "sim", "run", "-n", "5", "--workers", "1", "--out", str(out)],
                                capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "being written by another pilotsim command" in lines[0], second.stderr
        assert first.poll() is None  # the first goes on
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=30)
    assert first.returncode == 130 and not out.exists()


SWALLOWED_WHILE_LOADING = """
import importlib.abc, os, signal, sys, time

class Swallowing(importlib.abc.MetaPathFinder):
    # Python's import machinery prints a KeyboardInterrupt raised in one of its callbacks as
    # "ignored" and goes on: here the Ctrl-C comes, and is swallowed, as sim.cli is loaded.
    def find_spec(self, name, path, target=None):
        if name == "sim.cli":
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.5)
            except KeyboardInterrupt:
                pass
        return None

sys.meta_path.insert(0, Swallowing())
sys.argv = ["pilotsim", "list"]
from sim.__main__ import main
main()
"""


def test_a_ctrl_c_lost_while_the_libraries_load_still_stops_the_command():
    done = subprocess.run([sys.executable, "-c", SWALLOWED_WHILE_LOADING], capture_output=True, text=True,
                          timeout=60, cwd=PROJECT)
    assert (done.returncode, done.stderr, done.stdout) == (130, "Interrupted: no results were written.\n", "")
