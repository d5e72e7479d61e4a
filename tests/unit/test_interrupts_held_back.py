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
