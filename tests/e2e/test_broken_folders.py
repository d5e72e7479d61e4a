"""``budget`` and ``report`` on folders that are not, or no longer, complete
results folders: one line naming the file and what is wrong, exit status 2,
nothing written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

cli = CliRunner()

SMALL = """\
name: small_pilot
horizon_months: 12
seed: 3
referrals: {process: cohorts, every_months: 3, cohort_size: 4}
stages:
  course: {slots: 6, duration: 2, outcomes: {job: 0.6, benefit: 0.4}}
budget: {start: "2024-01"}
"""


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    scenario = folder / "small.yaml"
    scenario.write_text(SMALL)
    out = folder / "run"
    made = cli.invoke(app, ["run", str(scenario), "-n", "6", "--workers", "1", "--out", str(out)])
    assert made.exit_code == 0, made.output
    return out


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00\x01 not what it should be \xff" * 10)


BREAKAGES = {
    "corrupt clients.parquet": ("clients.parquet", garbage),
    "corrupt timeseries.parquet": ("timeseries.parquet", garbage),
    "manifest not JSON": ("manifest.json", lambda p: p.write_text("{ seed: 1,")),
    "manifest a list": ("manifest.json", lambda p: p.write_text("[1, 2, 3]\n")),
    "manifest without a seed": ("manifest.json", lambda p: p.write_text('{"scenario": "small_pilot"}\n')),
    "replications.csv garbage": ("replications.csv", garbage),
    "replications.csv short of rows": ("replications.csv", lambda p: p.write_text(p.read_text().splitlines()[0])),
    "replications.csv without a column": (
        "replications.csv", lambda p: p.write_text("\n".join(",".join(line.split(",")[:1] + line.split(",")[2:])
                                                             for line in p.read_text().splitlines()))),
    "scenario.yaml not YAML": ("scenario.yaml", lambda p: p.write_text("name: [unclosed\n")),
    "scenario.yaml not valid": ("scenario.yaml", lambda p: p.write_text(p.read_text().replace(
        "horizon_months: 12", "horizon_months: -4"))),
    "summary.json not JSON": ("summary.json", garbage),
    "clients.parquet missing": ("clients.parquet", lambda p: p.unlink()),
    "a plot missing": ("plots/placements.png", lambda p: p.unlink()),
    "manifest with words for a count": ("manifest.json", lambda p: p.write_text(
        p.read_text().replace('"replications": 6', '"replications": "many"'))),
    "manifest nested without end": ("manifest.json", lambda p: p.write_text("[" * 100_000)),
    "manifest far too large": ("manifest.json", lambda p: sparse(p, 20 * 2**30)),
    "replications.csv with a word for a number": (
        "replications.csv", lambda p: p.write_text(re.sub(r"\n0,(\d+),", "\n0,many,", p.read_text(), count=1))),
    "replications.csv far too large": ("replications.csv", lambda p: sparse(p, 20 * 2**30)),
}


def sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no room on disk (and would fill the
    memory if read whole)."""
    with path.open("r+b") as handle:
        handle.truncate(size)

#: Which command reads which file.
READS = {"budget": {"clients.parquet", "timeseries.parquet", "manifest.json", "replications.csv", "scenario.yaml",
                    "plots/placements.png"},
         "report": {"manifest.json", "replications.csv", "scenario.yaml", "summary.json", "plots/placements.png"}}


@pytest.mark.parametrize("name, case", [(name, case) for name in READS for case, (file, _) in BREAKAGES.items()
                                         if file in READS[name]])
def test_a_broken_results_folder_is_one_line_naming_the_file(good_run, tmp_path, name, case):
    file, breaks = BREAKAGES[case]
    folder = tmp_path / "copy"
    shutil.copytree(good_run, folder)
    breaks(folder / file)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    result = cli.invoke(app, [name, str(folder)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(folder / file) in lines[0], result.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("name", ["budget", "report"])
def test_a_folder_that_is_no_results_folder_is_one_line(tmp_path, name):
    plain = tmp_path / "holiday_photos"
    plain.mkdir()
    (plain / "beach.jpg").write_bytes(b"\xff\xd8")
    result = cli.invoke(app, [name, str(plain)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{plain}: not a results folder of pilotsim run (no manifest.json)"
    a_file = plain / "beach.jpg"
    result = cli.invoke(app, [name, str(a_file)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{a_file}: not a folder; give a results folder of pilotsim run"
    assert sorted(p.name for p in plain.iterdir()) == ["beach.jpg"]
