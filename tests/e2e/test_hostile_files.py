"""Scenario files a careless or hostile user might give: each is one line
with file, line and column, exit status 2, within a second and well under
200 MB, and nothing is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim import limits
from tests.conftest import REFERENCE

VALID = REFERENCE.read_text()

#: Loads a scenario in a child process limited to 2 GB of address space (so a
#: memory bomb fails fast instead of taking the machine) and reports how long
#: reading it took, how much the process grew beyond what its libraries take
#: (its peak resident memory after reading, less that before) and the
#: problems found.
_LOADER = textwrap.dedent("""
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from sim.errors import ScenarioError
    from sim.scenario.files import load_scenario
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        load_scenario(sys.argv[1])
        problems = []
    except ScenarioError as error:
        problems = [str(problem) for problem in error.problems]
    seconds = time.perf_counter() - started
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "problems": problems}))
""")


def load_in_child(path: Path) -> dict:
    completed = subprocess.run([sys.executable, "-c", _LOADER, str(path)], capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout)


def cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *arguments], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def laughs(levels: int = 9) -> str:
    """The billion-laughs alias bomb: nine aliases of nine aliases of ..."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 9) + "]")
    return "\n".join(lines)


HOSTILE = {
    "alias bomb in a field": (
        VALID.replace("title:", "x_bomb: &b\n" + textwrap.indent(laughs(), "  ") + "\ntitle:", 1)
        .replace("horizon_months: 48", "horizon_months: *b"),
        "alias"),
    "alias bomb in sources": (
        "bombs:\n" + textwrap.indent(laughs(), "  ") + "\n" + VALID.replace("sources:\n", "sources: *lol9\nx:\n", 1),
        "alias"),
    "alias of its own parent": (VALID.replace("target: {off_assistance: 78}", "target: &t {placed: 78, again: *t}"),
                                "part of"),
    "anchor given twice": (VALID.replace("slots: 50", "slots: &n 50").replace("acceptance: 0.9", "acceptance: &n 0.9"),
                           "anchor"),
    "python object": (VALID.replace("title:", 'python: !!python/object/apply:os.system ["echo pwned"]\ntitle:', 1),
                      "tag"),
    "python name": (VALID.replace("title:", "title: !!python/name:os.system\nx_title:", 1), "tag"),
    "ordered map": (VALID.replace("target: {off_assistance: 78}", "target: !!omap [{placed: 78}]"), "tag"),
    "custom tag on a number": (VALID.replace("slots: 50", "slots: !places 50"), "tag"),
    "deep flow nesting": (VALID + "deep: " + "[" * 3000 + "]" * 3000 + "\n", "nested"),
    "deep block nesting": (VALID + "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "v\n",
                           "nested"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_yaml_is_one_line_fast_and_small(tmp_path, case):
    text, word = HOSTILE[case]
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    report = load_in_child(path)
    assert report["seconds"] < 1.0 and report["peak_mb"] < 200, report
    assert len(report["problems"]) == 1, report
    problem = report["problems"][0]
    assert problem.startswith(f"{path}:") and problem.split(":")[1].isdigit() and word in problem, problem
    completed = cli("run", str(path), "-n", "5", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    assert completed.stderr.strip().splitlines() == [problem]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.yaml"]


def test_a_file_larger_than_the_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        handle.write(VALID.replace("sources:\n", "sources:\n" + "  - padding padding padding padding\n" * 1_600_000))
    assert path.stat().st_size > 50_000_000
    report = load_in_child(path)
    assert report["seconds"] < 1.0 and report["peak_mb"] < 200, report
    assert report["problems"] == [f"{path}: the file is {path.stat().st_size / 1e6:.0f} MB; scenario files may "
                                  f"be at most {limits.MAX_FILE_BYTES // 1024} KB"]


def test_a_file_just_under_the_limit_is_read_or_refused_within_a_second(tmp_path):
    # The slowest refusal: the whole file read before its last line turns out wrong.
    path = tmp_path / "long.yaml"
    padding = "".join(f"  - \"source number {n}, a long title of an article\"\n" for n in range(20_000))
    text = VALID.replace("sources:\n", "sources:\n" + padding, 1)
    text = text[: limits.MAX_FILE_BYTES - 200] if len(text) > limits.MAX_FILE_BYTES - 200 else text
    text = text[: text.rindex("\n") + 1] + "x_last: !!python/name:os.system\n"
    path.write_text(text)
    assert limits.MAX_FILE_BYTES * 0.9 < path.stat().st_size <= limits.MAX_FILE_BYTES
    report = load_in_child(path)
    assert report["seconds"] < 1.0, report
    assert len(report["problems"]) == 1 and "tags (!!python/name:os.system)" in report["problems"][0], report


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_not_a_scenario_file(device, tmp_path):
    report = load_in_child(Path(device))
    assert report["seconds"] < 1.0 and report["peak_mb"] < 200, report
    assert report["problems"] == [f"{device}: not a regular file (a device or a pipe); give a scenario file"]


def test_a_pipe_and_a_folder_are_not_scenario_files(tmp_path):
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    report = load_in_child(pipe)  # would block for ever if it were opened
    assert report["problems"] == [f"{pipe}: not a regular file (a device or a pipe); give a scenario file"]
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert load_in_child(folder)["problems"] == [f"{folder}: is a folder; give a scenario file"]


def test_set_values_get_the_same_rules(tmp_path):
    completed = cli("validate", "brunssum_logistics_2021", "--set", 'title=!!python/object/apply:os.system ["x"]',
                    cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        "--set title=!!python/object/apply:os.system [\"x\"]: tags (!!python/object/apply:os.system) are not "
        "allowed; write plain values"]


def test_error_positions_print_exactly_even_where_they_look_like_emoji_codes(tmp_path):
    # rich turns ":100:" and ":1234:" into emoji unless told not to.
    text = VALID.replace("slots: 50", "slots: -3")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "slots: -3" in row)
    column = text.splitlines()[line - 1].index("-3") + 1
    paths = []
    for wanted in (100, 1234):
        path = tmp_path / f"line_{wanted}.yaml"
        path.write_text("# a comment\n" * (wanted - line) + text)
        paths.append(path)
    completed = cli("validate", *map(str, paths), cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.splitlines() == [
        f"{paths[0]}:100:{column}: stages.training.slots: must be at least 1, got -3",
        f"{paths[1]}:1234:{column}: stages.training.slots: must be at least 1, got -3",
    ]
