"""Fuzzing scenario files: valid scenarios mutated as a careless or hostile
user might (types swapped, keys dropped or given twice, numbers pushed to
extremes, tags, anchors and aliases, alias bombs, aliases of their own
parent). ``validate`` and a five-replication ``run`` must either succeed or
exit with status 2 and one ``file:line:col`` line per problem: never a
traceback, within bounded time and memory.

The examples are derandomised so that CI runs the same ones every time; set
PILOTSIM_FUZZ_EXAMPLES to a larger number to search further, with fresh
random examples each time, on a workstation.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import PROJECT

cli = CliRunner()

EXAMPLES = int(os.environ.get("PILOTSIM_FUZZ_EXAMPLES", "60"))

#: A mutated document may take this long to validate and run five times.
SECONDS_PER_EXAMPLE = 60
#: And raise the peak memory of the test process by at most this much. The
#: peak only grows: an example that stays below the peak reached before is
#: within bounds, and each that raises it is measured as it does.
GROWTH_MB = 200

MINIMAL = {
    "name": "minimal", "horizon_months": 12,
    "referrals": {"process": "cohorts", "every_months": 3, "cohort_size": 5},
    "stages": {"course": {"slots": 3, "duration": {"dist": "exponential", "mean": 2},
                          "outcomes": {"job": 0.5, "benefit": 0.5}}},
}


def seed_documents() -> list[dict]:
    yaml = YAML(typ="safe", pure=True)
    shipped = [yaml.load((PROJECT / "scenarios" / f"{name}.yaml").read_text())
               for name in ("brunssum_logistics_2021", "heerlen_2018")]
    return [MINIMAL, *shipped]


SEEDS = seed_documents()

ODD_VALUES = ["text", "", 12, -7, 0, 0.5, True, False, None, [], {}, [1, "a"], {"x": 1}, "2021-13", "null"]
EXTREME_NUMBERS = [0, -1, -0.0, 1e308, -1e308, math.inf, -math.inf, math.nan, 1e-300, 2**63, 10**12, 10**30, 1e7,
                   123456789.123]
#: Numbers that most fields accept, at the edges of what makes sense: a run
#: with them must work, or say which field is wrong.
EDGE_NUMBERS = [0, 1, 2, 0.5, 1e-9, 0.999999, 1000, 1e6]
TAGS = ["!!python/object/apply:os.system", "!!python/name:os.system", "!!omap", "!!set", "!!binary", "!!str",
        "!!int", "!custom", "!"]


# --- a small YAML writer that can also write what no dumper would --------------


def scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def key_text(key) -> str:
    return key if isinstance(key, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key) else json.dumps(str(key))


def flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key_text(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def write(node, marks: dict, path: tuple = (), indent: int = 0) -> list[str]:
    """Block YAML for a mapping, with ``marks`` (path -> tag, anchor, alias,
    duplicate) written where they are asked for."""
    lines = []
    pad = "  " * indent
    for key, value in node.items():
        here = (*path, key)
        mark = marks.get(here, {})
        decoration = " ".join(part for part in (mark.get("anchor") and f"&{mark['anchor']}", mark.get("tag")) if part)
        head = f"{pad}{key_text(key)}:"
        if "alias" in mark:
            lines.append(f"{head} *{mark['alias']}")
        elif isinstance(value, dict) and value:
            lines.append(f"{head} {decoration}".rstrip())
            lines.extend(write(value, marks, here, indent + 1))
        elif isinstance(value, list) and value:
            lines.append(f"{head} {decoration}".rstrip())
            lines.extend(f"{pad}  - {flow(item)}" for item in value)
        else:
            lines.append(f"{head} {decoration} {flow(value)}" if decoration else f"{head} {flow(value)}")
        if mark.get("duplicate"):
            lines.append(f"{head} {flow(mark['duplicate'])}")
    return lines


# --- mutations -----------------------------------------------------------------------


def paths_in(node, path: tuple = ()) -> list[tuple]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*path, key))
            found.extend(paths_in(value, (*path, key)))
    return found


def get(node, path: tuple):
    for key in path:
        node = node[key]
    return node


def put(node, path: tuple, value) -> None:
    get(node, path[:-1])[path[-1]] = value


#: What a careless or hostile hand does to a scenario file.
HOSTILE = ["swap", "drop", "duplicate", "extreme", "edge", "tag", "alias", "recursive", "bomb", "unknown"]
#: Values a careful hand might still type: most such files are valid, and the
#: runs with them must work.
CAREFUL = ["edge"]


@st.composite
def mutated(draw, kinds: list[str]) -> tuple[str, list[str]]:
    document = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))  # a deep copy in plain types
    marks: dict[tuple, dict] = {}
    done = []
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_in(document)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(kinds))
        if kind == "swap":
            put(document, path, draw(st.sampled_from(ODD_VALUES)))
        elif kind == "drop":
            del get(document, path[:-1])[path[-1]]
            marks = {p: m for p, m in marks.items() if p[: len(path)] != path}
        elif kind == "duplicate":
            marks.setdefault(path, {})["duplicate"] = draw(st.sampled_from(ODD_VALUES + EXTREME_NUMBERS))
        elif kind in ("extreme", "edge"):
            numbers = [p for p in paths if isinstance(get(document, p), (int, float))
                       and not isinstance(get(document, p), bool)] or [path]
            put(document, draw(st.sampled_from(numbers)),
                draw(st.sampled_from(EXTREME_NUMBERS if kind == "extreme" else EDGE_NUMBERS)))
        elif kind == "tag":
            marks.setdefault(path, {})["tag"] = draw(st.sampled_from(TAGS))
        elif kind == "alias":
            other = draw(st.sampled_from(paths))
            if other[: len(path)] != path and path[: len(other)] != other:
                marks.setdefault(path, {})["anchor"] = "a"
                marks.setdefault(other, {})["alias"] = "a"
                marks[other].pop("anchor", None)
        elif kind == "recursive" and isinstance(get(document, path), dict) and get(document, path):
            inner = (*path, next(iter(get(document, path))))
            marks.setdefault(path, {})["anchor"] = "self"
            marks.setdefault(inner, {})["alias"] = "self"
        elif kind == "bomb":
            document["x_bomb"] = {}
            put(document, path, None)
            marks[path] = {"alias": "lol7"}
            marks[("x_bomb",)] = {"bomb": True}
        elif kind == "unknown":
            parent = get(document, path[:-1])
            if isinstance(parent, dict):
                parent[path[-1] + "_x"] = 1
        done.append(f"{kind} {'.'.join(map(str, path))}")
    text = "\n".join(write(document, marks)) + "\n"
    if ("x_bomb",) in marks:
        bomb = ["x_bomb:", '  lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        bomb += [f"  lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 9) + "]" for n in range(1, 8)]
        text = text.replace("x_bomb: {}\n", "\n".join(bomb) + "\n")
        # The bomb must be defined before it is used: put it first.
        lines = text.splitlines(keepends=True)
        start = next(i for i, line in enumerate(lines) if line.startswith("x_bomb:"))
        block = lines[start:start + 9]
        text = "".join(block + lines[:start] + lines[start + 9:])
    return text, done


@contextmanager
def time_limit(seconds: int):
    def expired(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check(result, path: Path, what: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (what, repr(result.exception))
    assert result.exit_code in (0, 2), (what, result.exit_code, result.output[-2000:])
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert lines, what
        for line in lines:
            # A problem of the file, at its place; or, on a machine short of
            # memory, the run's estimate refused for the replications asked.
            assert re.match(rf"({re.escape(str(path))}:\d+:\d+|-n 5): \S", line), (what, line)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module", autouse=True)
def libraries_loaded(tmp_path_factory):
    """A first run loads plotting and the rest, so that examples are measured
    against a process that has them already."""
    path = tmp_path_factory.mktemp("warm") / "minimal.yaml"
    path.write_text("\n".join(write(MINIMAL, {})) + "\n")
    assert cli.invoke(app, ["run", str(path), "-n", "5", "--workers", "1", "--out", str(path.parent / "out")]
                      ).exit_code == 0


@settings(max_examples=EXAMPLES, deadline=None, derandomize="PILOTSIM_FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(st.one_of(mutated(HOSTILE), mutated(CAREFUL)))
def test_mutated_scenarios_validate_and_run_or_say_where_they_are_wrong(tmp_path, case):
    text, mutations = case
    path = tmp_path / "fuzzed.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    what = f"{mutations}\n{text}"
    before = peak_mb()
    with time_limit(SECONDS_PER_EXAMPLE):
        check(cli.invoke(app, ["validate", str(path)]), path, what)
        ran = cli.invoke(app, ["run", str(path), "-n", "5", "--workers", "1", "--out", str(out)])
    check(ran, path, what)
    if ran.exit_code == 0:
        assert (out / "manifest.json").is_file()
        shutil.rmtree(out)
    assert peak_mb() - before < GROWTH_MB, (what, peak_mb() - before)
