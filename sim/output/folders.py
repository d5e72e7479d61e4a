"""Where a command writes, and the rule that keeps a user's own files safe.

A command writes a results folder (or a report file) only to

- a path that does not exist yet, or an empty folder made for it, or
- a folder pilotsim wrote itself: its ``manifest.json`` lists every file in
  it (a report added later aside), so nothing of the user's is in it;
- for a file: a report pilotsim wrote earlier.

Anything else (a folder with other files in it, a file, the current folder
or one that holds it, the home folder, the root) is refused with one line,
before any work starts. There is no option to force it.

A command claims its destination before it starts working. The claim

- takes a lock beside the destination (``.NAME.pilotsim-lock``), so a
  second command aimed at the same place is refused instead of silently
  overwriting the first one's results; the lock dies with the process that
  holds it;
- removes what an earlier command that was killed left behind there (only
  working folders that carry pilotsim's mark inside: a hidden folder of the
  user's that happens to look alike is left alone);
- makes one hidden working folder beside the destination
  (``.NAME.xxxxxxxx.pilotsim-partial``) for scratch files and for the new
  results, which are put in place in one step once complete, and removed in
  any case when the command ends.

So an interrupted command leaves the previous results as they were, and a
killed one leaves only a hidden folder, which the next command there
removes (putting the previous results back first, if the kill came while
they were moved aside).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import Problem, ScenarioError
from sim.interrupts import held_back
from sim.run.scratch import scratch_in

MANIFEST = "manifest.json"

#: Files pilotsim writes into a results folder after the folder itself.
ADDED_LATER = frozenset({"report.html", "report.pdf"})

#: Longest name of a destination, in bytes: the hidden working folder beside
#: it adds 18 to a limit of 255 on most file systems.
MAX_NAME_BYTES = 200

#: Files looked at in a folder before it is judged not to be pilotsim's.
_MAX_FILES_LOOKED_AT = 10_000

#: The working folders a claim makes: ``.NAME.`` + mkdtemp's 8 characters +
#: this, with the mark inside that tells them from folders of the user's.
_WORKING_SUFFIX = ".pilotsim-partial"
_WORKING_MARK = ".pilotsim-working"
_RANDOM_PART = r"[a-z0-9_]{8}"
_LOCK_SUFFIX = ".pilotsim-lock"

_claims: dict[Path, Claim] = {}

#: Destinations put in place by this process, in order: after a Ctrl-C the
#: command can tell whether its results were already complete.
put_in_place_so_far: list[Path] = []


class DestinationRefused(ScenarioError):
    """The destination is not one pilotsim may write; ``problems`` says why."""


def write_atomically(folder: str | Path, write: Callable[[Path], None]) -> Path:
    """Let ``write`` fill an empty folder, then put it in place of ``folder``
    in one step; on any error or interrupt, ``folder`` stays as it was."""
    with claimed(folder) as claim:
        staging = claim.fresh_staging()
        write(staging)
        claim.put_in_place(staging)
    return Path(folder)


def write_file_atomically(path: str | Path, write: Callable[[Path], None], label: str | None = None,
                          recognised: Callable[[Path], bool] | None = None) -> Path:
    """Let ``write`` write a file, then put it at ``path`` in one rename;
    ``recognised`` tells which existing files it may replace."""
    with claimed(path, kind="file", label=label, recognised=recognised) as claim:
        staging = claim.fresh_staging()
        write(staging / claim.path.name)
        claim.put_in_place(staging)
    return Path(path)


def is_results_folder(folder: Path) -> bool:
    """A folder pilotsim wrote: a manifest listing its files."""
    return _manifest_files(folder) is not None


@contextmanager
def claimed(path: str | Path, kind: str = "folder", label: str | None = None,
            recognised: Callable[[Path], bool] | None = None) -> Iterator[Claim]:
    """Hold ``path`` for the duration of the block (see the module's text).

    Claiming a path this process already holds gives the same claim, so a
    command can claim early and the writer claim again."""
    destination = Path(os.path.abspath(path))
    label = label or str(path)
    if destination in _claims:
        yield _claims[destination]
        return
    _refuse_unless_writable(destination, kind, label, recognised)
    parent = destination.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _refused(label, f"cannot be made: {_reason(error)}") from None
    lock = _lock(destination, label)
    try:
        _remove_what_killed_commands_left(destination)
        try:
            working = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=_WORKING_SUFFIX, dir=parent))
        except OSError as error:
            raise _refused(label, f"cannot be written: {_reason(error)}") from None
        (working / _WORKING_MARK).write_text(str(os.getpid()))
        claim = Claim(destination, label, kind, working, recognised, lock)
        claim.scratch.mkdir()
        _claims[destination] = claim
        try:
            with scratch_in(claim.scratch):
                yield claim
        finally:
            del _claims[destination]
            shutil.rmtree(working, ignore_errors=True)
    finally:
        _unlock(destination, lock)


@dataclass
class Claim:
    """A destination held by this process until the command ends."""

    path: Path               # absolute, as given (symbolic links are refused)
    label: str               # how messages name it
    kind: str                # "folder" or "file"
    working: Path            # the hidden working folder beside it
    recognised: Callable[[Path], bool] | None = None
    _lock: int = field(default=-1, repr=False)

    @property
    def scratch(self) -> Path:
        return self.working / "scratch"

    def fresh_staging(self) -> Path:
        """An empty folder for the new results (or for the new file)."""
        staging = self.working / "new"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()  # the user's umask applies: the results folder gets the usual permissions
        return staging

    def put_in_place(self, staging: Path) -> None:
        """Make ``staging`` the destination in one step. The destination is
        checked again: it may have changed while the command was working (a
        file of the user's put into it); then the new results go beside it
        instead, under a name of their own, and the refusal says where."""
        made = staging / self.path.name if self.kind == "file" else staging
        try:
            _refuse_unless_writable(self.path, self.kind, self.label, self.recognised)
        except DestinationRefused as refused:
            beside = _free_name_beside(self.path)
            os.rename(made, beside)
            problem = refused.problems[0]
            raise DestinationRefused([Problem(problem.file, None, None, "", f"{problem.message}. It changed while "
                                              f"the command worked: what it made is in {beside} instead")]) from None
        # A Ctrl-C waits until the new results are in place: an interrupt
        # between two renames would leave neither the old nor the new.
        with held_back():
            self._swap(made)
            put_in_place_so_far.append(self.path)
        shutil.rmtree(self.working / "new", ignore_errors=True)
        shutil.rmtree(self.working / "old", ignore_errors=True)

    def _swap(self, made: Path) -> None:
        if self.kind == "file" or not self.path.exists():
            os.replace(made, self.path)
        elif not _exchange(made, self.path):
            # Without an atomic exchange the old folder goes aside first, into
            # the working folder, where the next claim finds it if this
            # process is killed in between; on any error it comes back.
            old = self.working / "old"
            os.rename(self.path, old)
            try:
                os.rename(made, self.path)
            except BaseException:
                os.rename(old, self.path)
                raise


# --- the rule ------------------------------------------------------------------


def _refuse_unless_writable(path: Path, kind: str, label: str, recognised: Callable[[Path], bool] | None) -> None:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # bytes the terminal gave that are no text in any file's name shown later
        raise _refused(label.encode("utf-8", "backslashreplace").decode(), "has characters that are not UTF-8 "
                                                                          "text; give a name of letters") from None
    if len(path.name.encode()) > MAX_NAME_BYTES:
        raise _refused(label, f"the name is too long ({len(path.name.encode())} bytes; at most {MAX_NAME_BYTES})")
    if path.is_symlink():
        raise _refused(label, "is a symbolic link; give the folder it points to, or a new path")
    real = path.resolve()
    here = Path.cwd().resolve()
    if real == Path(real.anchor):
        raise _refused(label, "is the root folder; give a new folder for the results")
    if real == here:
        raise _refused(label, "is the current folder; give a new folder for the results")
    home = _home()
    if home is not None and real == home:
        raise _refused(label, "is your home folder; give a new folder for the results")
    if real in here.parents or (home is not None and real in home.parents):
        raise _refused(label, "holds the current or the home folder; give a new folder for the results")
    if not path.exists():
        _refuse_unless_creatable(path, label)
        return
    _refuse_unless_replaceable(path, label)
    if kind == "file":
        if path.is_dir():
            raise _refused(label, "is a folder; give the name of a file to write")
        if not path.is_file() or recognised is None or not recognised(path):
            raise _refused(label, "is a file pilotsim did not write; give a new file name")
        return
    if not path.is_dir():
        raise _refused(label, "is a file, not a folder; give a new path for the results")
    present = _files_in(path)
    if not present:
        return  # an empty folder made for the results
    if (path / MANIFEST).is_file() and _manifest_files(path) is None:
        raise _refused(label, "was written by an earlier version of pilotsim, whose manifest does not list the "
                              "folder's files; move it away yourself or give a new folder for the results")
    listed = _manifest_files(path)
    if listed is None:
        raise _refused(label, f"is not a results folder of pilotsim (no manifest.json) and holds {_some(present)}; "
                              "give a new folder for the results")
    foreign = sorted(present - listed - ADDED_LATER - {MANIFEST})
    if foreign:
        raise _refused(label, f"holds files pilotsim did not write ({_some(foreign)}); "
                              "give a new folder, or move them out yourself")


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError):  # no home folder known to this process
        return None


def _refuse_unless_replaceable(path: Path, label: str) -> None:
    """What replacing ``path`` takes, known before any work: on a shared
    drive the earlier results may be a colleague's, which this user can
    read but not move or remove."""
    parent = path.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refused(label, f"cannot be replaced: {parent} is not writable")
    me = os.geteuid()
    sticky = parent.stat().st_mode & stat.S_ISVTX
    if me != 0 and sticky and path.stat().st_uid != me and parent.stat().st_uid != me:
        raise _refused(label, f"belongs to someone else in {parent}, where only the owner may replace it; "
                              "give a folder of your own")
    if path.is_dir():
        # The old folder is moved (which writes its link to its parent) and then removed.
        for folder, _, _ in os.walk(path):
            if not os.access(folder, os.W_OK | os.X_OK):
                raise _refused(label, f"cannot be replaced: {folder} is not writable")


def _refuse_unless_creatable(path: Path, label: str) -> None:
    existing = path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise _refused(label, f"cannot be made: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _refused(label, f"cannot be written: {existing} is not writable")


#: What a report's own claim leaves inside a results folder when its command
#: is killed (its lock, its working folder): pilotsim's too, not the user's.
_REPORT_LEFTOVERS = re.compile(
    rf"^\.(?:{'|'.join(re.escape(name) for name in sorted(ADDED_LATER))})"
    rf"(?:{re.escape(_LOCK_SUFFIX)}|\.{_RANDOM_PART}{re.escape(_WORKING_SUFFIX)}/.*)$"
)


def _files_in(folder: Path) -> set[str]:
    """Everything under ``folder``, relative to it: files, empty folders and
    links (a folder pilotsim cannot look into counts as something of the
    user's). Past a limit the rest counts as one more unknown entry: a
    folder that large is no results folder anyway."""
    found: set[str] = set()

    def unreadable(error: OSError) -> None:
        found.add(os.path.relpath(error.filename or str(folder), folder) + "/ (cannot be read)")

    for root, folders, files in os.walk(folder, onerror=unreadable):
        for name in files + [name for name in folders if os.path.islink(os.path.join(root, name))]:
            relative = os.path.relpath(os.path.join(root, name), folder)
            if not _REPORT_LEFTOVERS.match(relative):
                found.add(relative)
        if not files and not folders and root != str(folder):
            found.add(os.path.relpath(root, folder) + "/")  # an empty folder of the user's counts too
        if len(found) > _MAX_FILES_LOOKED_AT:
            found.add("(and more)")
            break
    return found


def _manifest_files(folder: Path) -> set[str] | None:
    """The files a manifest of pilotsim's lists, or None when there is none."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or "written_at" not in manifest or not isinstance(manifest.get("files"), list):
        return None
    listed = {name for name in manifest["files"] if isinstance(name, str)}
    # Folders of the listed files count as listed too (an empty plots/ aside).
    return listed | {str(Path(name).parent) + "/" for name in listed if "/" in name}


def _free_name_beside(path: Path) -> Path:
    """``NAME-2``, ``NAME-3``...: the first that is free."""
    for number in range(2, 10_000):
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise _refused(str(path), "no free name beside it")


def _some(names) -> str:
    names = sorted(names)
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _refused(label: str, message: str) -> DestinationRefused:
    return DestinationRefused([Problem(label, None, None, "", message)])


def _reason(error: OSError) -> str:
    where = error.filename or ""
    return f"{where}: {error.strerror}" if where else str(error.strerror or error)


# --- the lock ------------------------------------------------------------------


def _lock_path(destination: Path) -> Path:
    return destination.with_name(f".{destination.name}{_LOCK_SUFFIX}")


def _lock(destination: Path, label: str) -> int:
    """An exclusive lock beside ``destination``. POSIX record locks are not
    inherited by worker processes and vanish with the process that holds
    them, so a killed command never leaves the place locked."""
    path = _lock_path(destination)
    for _ in range(5):
        if path.is_symlink() or (path.exists() and not _is_lock_file(path)):
            raise _refused(label, f"{path.name} beside it is not pilotsim's lock; move it away yourself")
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as error:
            raise _refused(label, f"cannot be written: {_reason(error)}") from None
        try:
            fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
            os.close(descriptor)
            process = f" (process {holder})" if holder.isdigit() else ""
            raise _refused(label, f"is being written by another pilotsim command{process}; wait for it to finish "
                                  "or give another --out") from None
        # The file may have been removed by the holder just before: then this
        # lock is on a file nobody else will look at, so take the new one.
        try:
            same = os.stat(path).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, str(os.getpid()).encode(), 0)
            return descriptor
        os.close(descriptor)
    raise _refused(label, "is being claimed and released by other commands over and over; try again")


def _is_lock_file(path: Path) -> bool:
    """Empty (just made by another command), or holding the process id a lock
    of pilotsim's holds (left by a kill)."""
    try:
        if not path.is_file() or path.stat().st_size > 32:
            return False
        content = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return False
    return content == "" or content.isdigit()


def _unlock(destination: Path, descriptor: int) -> None:
    with suppress(FileNotFoundError):
        os.unlink(_lock_path(destination))
    os.close(descriptor)


def _remove_what_killed_commands_left(destination: Path) -> None:
    """Working folders beside ``destination`` that no live command holds (the
    lock says so): if a kill came between moving old results aside and
    putting new ones in place, the old ones go back first."""
    pattern = re.compile(rf"^\.{re.escape(destination.name)}\.{_RANDOM_PART}{re.escape(_WORKING_SUFFIX)}$")
    for leftover in destination.parent.iterdir():
        if not pattern.match(leftover.name) or not leftover.is_dir() or leftover.is_symlink():
            continue
        if not (leftover / _WORKING_MARK).is_file():
            continue  # looks like one, but is not pilotsim's
        old = leftover / "old"
        if not destination.exists() and old.is_dir() and is_results_folder(old):
            os.rename(old, destination)
        shutil.rmtree(leftover, ignore_errors=True)


# --- an atomic exchange of two folders (Linux) --------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step where the system can (Linux's renameat2);
    False where it cannot, and nothing has moved."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(second))
