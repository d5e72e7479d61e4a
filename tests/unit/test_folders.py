"""The rule for destinations, on the functions every command writes through."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from sim.output import folders
from sim.output.manifest import write_manifest


def fill(folder, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def written_by_pilotsim(staging) -> None:
    fill(staging, {"summary.csv": "a,b\n", "plots/one.png": "png"})
    write_manifest(staging, {"scenario": "x"}, ["pilotsim", "run"])


def test_a_new_folder_is_written_whole_and_lists_its_files(tmp_path):
    out = folders.write_atomically(tmp_path / "new" / "results", written_by_pilotsim)
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["files"]) == ["manifest.json", "plots/one.png", "summary.csv"]
    assert folders.is_results_folder(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["results"]


def test_its_own_folder_is_replaced_and_anything_else_refused(tmp_path):
    out = folders.write_atomically(tmp_path / "results", written_by_pilotsim)
    folders.write_atomically(out, lambda staging: (fill(staging, {"other.csv": "new"}),
                                                   write_manifest(staging, {}, None)))
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "other.csv"]
    (out / "mine.txt").write_text("mine")
    with pytest.raises(folders.DestinationRefused, match="mine.txt"):
        folders.write_atomically(out, written_by_pilotsim)
    assert (out / "mine.txt").read_text() == "mine" and (out / "other.csv").read_text() == "new"


def test_a_folder_that_changes_while_the_command_works_keeps_the_users_file(tmp_path):
    out = folders.write_atomically(tmp_path / "results", written_by_pilotsim)
    with folders.claimed(out) as claim:
        staging = claim.fresh_staging()
        written_by_pilotsim(staging)
        (out / "added_meanwhile.txt").write_text("mine")  # while the command worked
        with pytest.raises(folders.DestinationRefused, match="is in .*results-2 instead"):
            claim.put_in_place(staging)
    assert (out / "added_meanwhile.txt").read_text() == "mine"
    assert folders.is_results_folder(tmp_path / "results-2")


def test_what_a_killed_report_left_inside_a_results_folder_does_not_make_it_foreign(tmp_path):
    out = folders.write_atomically(tmp_path / "results", written_by_pilotsim)
    fill(out, {".report.html.k2j4h0x_.pilotsim-partial/new/report.html": "half",
               ".report.html.k2j4h0x_.pilotsim-partial/.pilotsim-working": "123", ".report.html.pilotsim-lock": "123"})
    folders.write_atomically(out, written_by_pilotsim)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "plots", "summary.csv"]


def test_the_old_results_come_back_if_a_kill_fell_between_the_two_renames(tmp_path):
    out = folders.write_atomically(tmp_path / "results", written_by_pilotsim)
    # As a killed command without an atomic exchange would leave it: the old
    # results moved into its working folder, the destination gone.
    working = tmp_path / ".results.abcdefgh.pilotsim-partial"
    working.mkdir()
    (working / ".pilotsim-working").write_text("123")
    out.rename(working / "old")
    with folders.claimed(tmp_path / "results"):
        assert folders.is_results_folder(tmp_path / "results")
        assert not working.exists()


def test_a_claim_held_by_another_process_is_refused_and_released_when_it_dies(tmp_path):
    out = tmp_path / "results"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from sim.output import folders
        with folders.claimed({str(out)!r}):
            print("held", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(folders.DestinationRefused, match=rf"being written by another pilotsim command "
                                                             rf"\(process {holder.pid}\)"):
            folders.write_atomically(out, written_by_pilotsim)
    finally:
        holder.kill()
        holder.wait()
    folders.write_atomically(out, written_by_pilotsim)  # the lock died with its holder
    assert folders.is_results_folder(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_a_file_is_replaced_only_when_recognised(tmp_path):
    page = tmp_path / "report.html"
    page.write_text("my own page")
    with pytest.raises(folders.DestinationRefused, match="did not write"):
        folders.write_file_atomically(page, lambda path: path.write_text("new"), recognised=lambda _: False)
    assert page.read_text() == "my own page"
    folders.write_file_atomically(page, lambda path: path.write_text("new"), recognised=lambda _: True)
    assert page.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_without_an_atomic_exchange_the_old_folder_is_replaced_or_kept_whole(tmp_path, monkeypatch):
    out = folders.write_atomically(tmp_path / "results", written_by_pilotsim)
    monkeypatch.setattr(folders, "_exchange", lambda first, second: False)  # as on a file system without it
    folders.write_atomically(out, lambda staging: (fill(staging, {"second.csv": "2"}),
                                                   write_manifest(staging, {}, None)))
    assert (out / "second.csv").read_text() == "2"

    renames = []
    real_rename = folders.os.rename

    def interrupted_second_rename(source, destination):
        renames.append((source, destination))
        if len(renames) == 2:  # the new results would now take the old one's place
            raise KeyboardInterrupt
        real_rename(source, destination)

    monkeypatch.setattr(folders.os, "rename", interrupted_second_rename)
    with pytest.raises(KeyboardInterrupt):
        folders.write_atomically(out, lambda staging: (fill(staging, {"third.csv": "3"}),
                                                       write_manifest(staging, {}, None)))
    monkeypatch.setattr(folders.os, "rename", real_rename)
    assert (out / "second.csv").read_text() == "2" and not (out / "third.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_a_link_or_an_empty_folder_of_the_users_makes_a_folder_foreign(tmp_path):
    out = folders.write_atomically(tmp_path / "results", written_by_pilotsim)
    (tmp_path / "elsewhere").mkdir()
    (out / "my_link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(folders.DestinationRefused, match="my_link"):
        folders.write_atomically(out, written_by_pilotsim)
    (out / "my_link").unlink()
    (out / "drafts").mkdir()
    with pytest.raises(folders.DestinationRefused, match="drafts"):
        folders.write_atomically(out, written_by_pilotsim)
    lonely = tmp_path / "only_a_link"
    lonely.mkdir()
    (lonely / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(folders.DestinationRefused, match="link"):
        folders.write_atomically(lonely, written_by_pilotsim)


def test_hidden_files_that_only_look_like_pilotsims_are_the_users(tmp_path):
    out = folders.write_atomically(tmp_path / "results", written_by_pilotsim)
    fill(out, {".thesis.lock": "mine", ".draft.abcdefgh.pilotsim-partial/chapter.docx": "mine"})
    with pytest.raises(folders.DestinationRefused,
                       match=r"\.draft\.abcdefgh\.pilotsim-partial/chapter\.docx, \.thesis\.lock"):
        folders.write_atomically(out, written_by_pilotsim)


def test_files_beside_the_destination_that_only_look_like_pilotsims_are_left_alone(tmp_path):
    lookalike = tmp_path / ".results.abcdefgh.pilotsim-partial"  # the user's, without pilotsim's mark
    fill(lookalike, {"chapter.docx": "mine"})
    folders.write_atomically(tmp_path / "results", written_by_pilotsim)
    assert (lookalike / "chapter.docx").read_text() == "mine"
    (tmp_path / ".other.pilotsim-lock").write_text("my notes on locks")
    with pytest.raises(folders.DestinationRefused, match="not pilotsim's lock"):
        folders.write_atomically(tmp_path / "other", written_by_pilotsim)
    assert (tmp_path / ".other.pilotsim-lock").read_text() == "my notes on locks"
