"""``pilotsim`` and ``python -m sim``.

Loading the libraries takes about a second. A Ctrl-C in that second is
answered as one later on would be, with one line and exit status 130, not
with the traceback of an interrupted import: so nothing heavy is imported
before the handler is in place.
"""

import gc
import os
import signal
import sys


def main() -> None:
    # A Ctrl-C is noted as well as raised while the libraries load: raised in
    # a callback of Python's import machinery, it is printed as "ignored" and
    # lost, and the command would go on. Noted, it stops the command once
    # the loading is over.
    pressed = []

    def interrupted(signum, frame):
        pressed.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    try:
        try:
            from sim.cli import main as run_command
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if pressed:
            raise KeyboardInterrupt
        code = run_command()
    except (KeyboardInterrupt, Exception) as error:
        # A Ctrl-C while a library loads can come wrapped, the Ctrl-C kept as
        # the cause or context: an ImportError where a library tries another
        # import when its first fails, a RuntimeError where it interrupts the
        # making of a class (matplotlib's __set_name__).
        if not _caused_by_ctrl_c(error):
            raise
        sys.stderr.write("Interrupted: no results were written.\n")
        code = 130
    # The command is done and has said so: a Ctrl-C while Python unloads its
    # libraries (half a second after a report) would end the process by the
    # signal, silently, as if the finished work had failed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code == 130:
        # Python ends a process by the signal itself, not with status 130, when
        # a Ctrl-C has passed through code run by exec or eval, as libraries
        # do while they load (even when it was caught later). Everything the
        # command claimed is released by now; only the exit is left.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    # Python's last collections go over every object the libraries made
    # (some 160,000) several times: 0.45 s of a 2.7 s run, after the command
    # has said it is done. Frozen, they are left for the operating system to
    # take back; every file and temporary folder is closed by now.
    gc.freeze()
    sys.exit(code)


def _caused_by_ctrl_c(error: BaseException | None) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


if __name__ == "__main__":
    main()
