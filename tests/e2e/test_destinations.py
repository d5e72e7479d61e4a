"""Where results go: a results folder is only ever replaced by a results
folder. A new path, or a folder pilotsim wrote itself, is written; anything
else is refused with one line and exit status 2, before any work, and is
left exactly as it was."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.output.report import find_browser

cli = CliRunner()

SMALL = """\
name: small_pilot
horizon_months: 12
replications: 10
seed: 3
target: {placed: 5}
referrals: {process: cohorts, every_months: 3, cohort_size: 4}
stages:
  course: {slots: 6, duration: 2, dropout: {probability: 0.1}, outcomes: {job: 0.6, benefit: 0.4}}
counterfactual: {own_job_chance_per_year: 0.08}
budget: {start: "2024-01", costs: {per_participant: 1000}}
uncertain:
  stages.course.outcomes.job: {dist: beta, mean: 0.6, sd: 0.05}
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Two small scenarios and a finished run of the first, with its client records."""
    folder = tmp_path_factory.mktemp("inputs")
    small = folder / "small.yaml"
    small.write_text(SMALL)
    wider = folder / "wider.yaml"
    wider.write_text("extends: small.yaml\nname: small_pilot_wider\nstages:\n  course: {slots: 8}\n")
    run_folder = folder / "small_run"
    made = cli.invoke(app, ["run", str(small), "-n", "5", "--workers", "1", "--out", str(run_folder)])
    assert made.exit_code == 0, made.output
    state = folder / "state.csv"
    made = cli.invoke(app, ["state", str(small), "--as-of", "4", "--out", str(state)])
    assert made.exit_code == 0, made.output
    return {"small": str(small), "wider": str(wider), "run": str(run_folder), "state": str(state)}


def command(name: str, files: dict) -> list[str]:
    """Each command that writes a folder, as cheap as it can be asked for."""
    return {
        "run": ["run", files["small"], "-n", "5", "--workers", "1"],
        "compare": ["compare", files["small"], files["wider"], "-n", "5", "--workers", "1"],
        "sweep": ["sweep", files["small"], "--vary", "stages.course.slots=5:6:1", "-n", "5", "--workers", "1"],
        "size": ["size", files["small"], "--vary", "referrals.cohort_size=2:8", "--target", "placed>=5",
                 "-n", "20", "--max-replications", "40", "--workers", "1"],
        "calibrate": ["calibrate", "brunssum_innovation_2017", "--samples", "12", "-n", "10", "--workers", "1"],
        "sensitivity": ["sensitivity", files["small"], "--samples", "2", "-n", "2", "--workers", "1"],
        "replications": ["replications", files["small"], "--max", "60", "--workers", "1"],
        "budget": ["budget", files["run"]],
        "validate": ["validate", "--report", "-n", "20"],
        "forecast": ["forecast", files["small"], "--state", files["state"], "--as-of", "4", "-n", "5",
                     "--workers", "1"],
    }[name]


WRITING_COMMANDS = ["run", "compare", "sweep", "size", "calibrate", "sensitivity", "replications", "budget",
                    "validate", "forecast"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with a digest of its content: what the user has there."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = str(path.relative_to(folder))
        found[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
    return found


def assert_refused(result, *words: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def user_folder(root: Path) -> Path:
    folder = root / "mine"
    folder.mkdir()
    (folder / "thesis.docx").write_bytes(b"three years of work")
    return folder


def a_file(root: Path) -> Path:
    path = root / "notes.txt"
    path.write_text("my notes\n")
    return path


def parent_of_results(root: Path) -> Path:
    """A folder that holds an earlier results folder: the parent is not one itself."""
    parent = root / "results"
    parent.mkdir()
    made = cli.invoke(app, ["run", "--set", "name=old_run", "-n", "3", "--workers", "1",
                            "--out", str(parent / "old_run")])
    assert made.exit_code == 0, made.output
    return parent


DESTINATIONS = {"user_folder": user_folder, "file": a_file, "parent_of_results": parent_of_results}


@pytest.mark.parametrize("destination", DESTINATIONS)
@pytest.mark.parametrize("name", WRITING_COMMANDS)
def test_a_destination_pilotsim_did_not_write_is_refused_before_any_work(tmp_path, files, name, destination):
    root = tmp_path / "user"
    root.mkdir()
    out = DESTINATIONS[destination](root)
    before = snapshot(root)
    result = cli.invoke(app, [*command(name, files), "--out", str(out)])
    assert_refused(result, str(out))
    assert snapshot(root) == before  # not a byte changed, nothing hidden left beside it


@pytest.mark.parametrize("name", WRITING_COMMANDS)
def test_the_current_folder_is_refused(tmp_path, files, name, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("keep me")
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    assert_refused(cli.invoke(app, [*command(name, files), "--out", "."]), "current folder")
    assert snapshot(tmp_path) == before


def test_home_and_root_are_refused_even_when_empty(tmp_path, files, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert_refused(cli.invoke(app, [*command("run", files), "--out", str(home)]), "home folder")
    assert list(home.iterdir()) == []
    assert_refused(cli.invoke(app, [*command("run", files), "--out", "/"]), "root folder")


def test_a_folder_pilotsim_wrote_is_replaced_whole(tmp_path, files):
    out = tmp_path / "again"
    first = cli.invoke(app, [*command("run", files), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert json.loads((out / "manifest.json").read_text())["replications"] == 5
    second = cli.invoke(app, [*command("run", files), "-n", "7", "--out", str(out)])
    assert second.exit_code == 0, second.output
    assert json.loads((out / "manifest.json").read_text())["replications"] == 7
    assert len(pd.read_csv(out / "replications.csv")) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]  # nothing hidden left


def test_a_results_folder_of_an_earlier_version_is_refused_with_what_to_do(tmp_path, files):
    out = tmp_path / "old_sweep"
    out.mkdir()
    (out / "points.csv").write_text("point\n0\n")
    (out / "manifest.json").write_text(json.dumps({"scenario": "x", "written_at": "2026-01-01T00:00:00+00:00",
                                                   "command": ["pilotsim", "sweep"]}))
    line = assert_refused(cli.invoke(app, [*command("run", files), "--out", str(out)]), "earlier version")
    assert "no manifest.json" not in line


def test_a_results_folder_a_user_added_a_file_to_is_refused(tmp_path, files):
    out = tmp_path / "annotated"
    assert cli.invoke(app, [*command("run", files), "--out", str(out)]).exit_code == 0
    (out / "my_comments.txt").write_text("placements look low")
    before = snapshot(out)
    assert_refused(cli.invoke(app, [*command("run", files), "--out", str(out)]), "my_comments.txt")
    assert snapshot(out) == before


def test_an_empty_folder_made_for_the_results_is_used(tmp_path, files):
    out = tmp_path / "made_for_it"
    out.mkdir()
    assert cli.invoke(app, [*command("run", files), "--out", str(out)]).exit_code == 0
    assert (out / "manifest.json").is_file()


@pytest.mark.parametrize("name", ["compare", "sweep", "budget"])
def test_every_kind_of_results_folder_can_be_replaced_by_running_again(tmp_path, files, name):
    out = tmp_path / name
    for _ in range(2):
        result = cli.invoke(app, [*command(name, files), "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_stale_staging_of_a_killed_run_is_removed_by_the_next_run_there(tmp_path, files):
    out = tmp_path / "results"
    stale = tmp_path / ".results.k2j4h0x_.pilotsim-partial"  # as a killed command leaves it
    (stale / "plots").mkdir(parents=True)
    (stale / ".pilotsim-working").write_text("4242")
    (stale / "clients.parquet").write_bytes(b"\0" * 1000)
    result = cli.invoke(app, [*command("run", files), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_folders_are_made_with_the_users_normal_permissions(tmp_path, files):
    previous = os.umask(0o022)
    try:
        out = tmp_path / "shared_drive" / "results"
        assert cli.invoke(app, [*command("run", files), "--out", str(out)]).exit_code == 0
    finally:
        os.umask(previous)
    for path in [out, out / "plots", out.parent]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o755, path
    assert stat.S_IMODE((out / "summary.csv").stat().st_mode) == 0o644


def test_a_name_too_long_for_a_folder_is_one_line(tmp_path, files):
    result = cli.invoke(app, [*command("run", files), "--set", "name=" + "a" * 300])
    assert_refused(result, "name")
    result = cli.invoke(app, [*command("run", files), "--out", str(tmp_path / ("b" * 300))])
    assert_refused(result, "too long")
    assert list(tmp_path.iterdir()) == []


def test_an_out_inside_a_file_is_one_line(tmp_path, files):
    blocker = a_file(tmp_path)
    result = cli.invoke(app, [*command("run", files), "--out", str(blocker / "results")])
    assert_refused(result, str(blocker))
    assert blocker.read_text() == "my notes\n"


# --- budget: a new folder, the run never changed ---------------------------------------


def test_budget_writes_a_new_folder_beside_the_run_and_leaves_the_run_alone(files):
    run = Path(files["run"])
    before = snapshot(run)
    result = cli.invoke(app, ["budget", str(run), "--set", "budget.discount_rate=0.06"])
    assert result.exit_code == 0, result.output
    assert snapshot(run) == before
    repriced = run.with_name(run.name + "_budget")
    assert str(repriced) in result.stdout.replace("\n", "")
    old, new = pd.read_csv(run / "replications.csv"), pd.read_csv(repriced / "replications.csv")
    assert (new["npv"] <= old["npv"]).all() and (new["npv"] < old["npv"]).any()
    pd.testing.assert_series_equal(new["placed"], old["placed"])
    manifest = json.loads((repriced / "manifest.json").read_text())
    assert manifest["recomputed_from"] == str(run)
    assert cli.invoke(app, ["budget", str(run), "--out", str(run)]).exit_code == 2  # never over the run itself
    assert cli.invoke(app, ["budget", str(run), "--out", str(run / "repriced")]).exit_code == 2  # nor inside it
    assert snapshot(run) == before


def test_budget_of_the_current_folder_writes_beside_it(files, tmp_path, monkeypatch):
    run = tmp_path / "a_run"
    shutil.copytree(files["run"], run)
    monkeypatch.chdir(run)
    result = cli.invoke(app, ["budget", "."])
    assert result.exit_code == 0, result.output
    assert folders_of(tmp_path) == ["a_run", "a_run_budget"]


def test_budget_of_a_folder_that_is_not_there_makes_nothing(tmp_path):
    result = cli.invoke(app, ["budget", str(tmp_path / "nowhere" / "deep" / "typo")])
    assert_refused(result, "no such folder")
    assert list(tmp_path.iterdir()) == []


def folders_of(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


# --- report: a file, replaced only when it is a report ---------------------------------


def test_report_refuses_a_folder_or_a_file_it_did_not_write(tmp_path, files):
    run = files["run"]
    mine = user_folder(tmp_path)
    assert_refused(cli.invoke(app, ["report", run, "--out", str(mine)]), str(mine))
    notes = a_file(tmp_path)
    assert_refused(cli.invoke(app, ["report", run, "--out", str(notes)]), str(notes))
    assert notes.read_text() == "my notes\n" and (mine / "thesis.docx").is_file()
    about = tmp_path / "about.md"  # mentions pilotsim report, but is the user's
    about.write_text("<!DOCTYPE html> Figures made with pilotsim report, (pilotsim report)\n")
    assert_refused(cli.invoke(app, ["report", run, "--out", str(about)]), str(about))
    assert about.read_text().startswith("<!DOCTYPE html> Figures made")
    page = tmp_path / "council.html"
    for _ in range(2):  # its own report is replaced
        result = cli.invoke(app, ["report", run, "--out", str(page)])
        assert result.exit_code == 0, result.output
    assert "<html" in page.read_text()


def test_report_to_a_place_that_cannot_be_written_is_one_line(tmp_path, files):
    blocker = a_file(tmp_path)
    assert_refused(cli.invoke(app, ["report", files["run"], "--out", str(blocker / "report.html")]), str(blocker))
    assert_refused(cli.invoke(app, ["report", files["run"], "--out", "/proc/report.html"]), "/proc")


@pytest.mark.skipif(find_browser() is None, reason="a PDF is printed by Chromium, which is not installed")
def test_a_pdf_report_replaces_its_own_pdf_and_nothing_else(tmp_path, files):
    pdf = tmp_path / "council.pdf"
    for _ in range(2):
        result = cli.invoke(app, ["report", files["run"], "--format", "pdf", "--out", str(pdf)])
        assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    other = tmp_path / "minutes.pdf"
    other.write_bytes(b"%PDF-1.4 the minutes of the council")
    assert_refused(cli.invoke(app, ["report", files["run"], "--format", "pdf", "--out", str(other)]), str(other))
    assert other.read_bytes() == b"%PDF-1.4 the minutes of the council"


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to act as two users (setpriv)")
def test_a_colleagues_results_on_a_shared_drive_are_refused_before_any_work():
    # pytest's own temporary folders are closed to other users: this one is open.
    shared = Path(tempfile.mkdtemp(prefix="pilotsim-shared-"))
    try:
        shared.chmod(0o1777)  # a shared folder: anyone may add, only owners may remove
        scenario = shared / "small.yaml"
        scenario.write_text(SMALL)
        theirs = shared / "results"
        assert cli.invoke(app, ["run", str(scenario), "-n", "5", "--workers", "1", "--out", str(theirs)]
                          ).exit_code == 0  # written by root
        before = snapshot(shared)
        home = shared / "colleague"
        home.mkdir()
        home.chmod(0o777)
        started = time.perf_counter()
        completed = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                                    "-m", "sim", "run", str(scenario), "-n", "2000", "--workers", "1", "--out",
                                    str(theirs)], capture_output=True, text=True, cwd=home,
                                   env={**os.environ, "HOME": str(home)})
        assert completed.returncode == 2, completed.stderr
        assert time.perf_counter() - started < 10  # refused before 2,000 replications
        assert completed.stderr.strip().startswith(f"{theirs}: belongs to someone else"), completed.stderr
        assert {k: v for k, v in snapshot(shared).items() if not k.startswith("colleague")} == before
    finally:
        shutil.rmtree(shared)
