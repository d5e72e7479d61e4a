"""A Ctrl-C held back is delivered when the step ends, not lost."""

import os
import signal
import threading
import time

import pytest

from sim.interrupts import held_back


def test_a_ctrl_c_during_a_held_back_step_stops_the_command_right_after_it():
    # Another thread, as a pool of workers has, and the kernel hands it the
    # signal (it may give a Ctrl-C to any thread of the process).
    other = threading.Thread(target=time.sleep, args=(2,), daemon=True)
    other.start()
    finished_the_step = False
    with pytest.raises(KeyboardInterrupt):
        with held_back():
            signal.pthread_kill(other.ident, signal.SIGINT)
            time.sleep(0.1)
            finished_the_step = True  # not cut short: the signal waits
    assert finished_the_step


def test_nothing_is_held_back_after_the_step():
    with held_back():
        pass
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # Python runs the handler between two bytecodes
            pass


@pytest.mark.parametrize("wrapped", ["as is", "in an ImportError", "in a RuntimeError"])
def test_a_ctrl_c_while_the_libraries_load_is_one_line_whatever_wraps_it(monkeypatch, capsys, wrapped):
    # Python wraps an exception raised while a class is made (matplotlib's
    # __set_name__) in a RuntimeError, as some libraries wrap theirs in an
    # ImportError: the Ctrl-C inside is still a Ctrl-C.
    import sys
    import types

    from sim import __main__ as entry

    def interrupted_while_loading():
        if wrapped == "as is":
            raise KeyboardInterrupt
        kind = ImportError if wrapped == "in an ImportError" else RuntimeError
        raise kind("while loading") from KeyboardInterrupt()

    monkeypatch.setitem(sys.modules, "sim.cli", types.SimpleNamespace(main=interrupted_while_loading))
    def leave(code):  # as os._exit would, without ending the test run
        raise SystemExit(code)

    monkeypatch.setattr(entry.os, "_exit", leave)
    with pytest.raises(SystemExit) as left:
        entry.main()
    assert left.value.code == 130
    assert capsys.readouterr().err == "Interrupted: no results were written.\n"


def test_an_error_that_is_not_a_ctrl_c_is_raised_as_it_is(monkeypatch):
    import sys
    import types

    from sim import __main__ as entry

    def broken():
        raise RuntimeError("a real fault")

    monkeypatch.setitem(sys.modules, "sim.cli", types.SimpleNamespace(main=broken))
    with pytest.raises(RuntimeError, match="a real fault"):
        entry.main()
