"""Ctrl-C held back for a moment where it must not land.

Some steps must not be cut in two (putting new results in place of old
ones), and in some a Ctrl-C would be lost: raised inside compiled code that
cannot pass it on (scipy's Sobol sequence, for one), it is printed and
ignored, and the command goes on as if nothing had been pressed. Inside
``held_back()`` a Ctrl-C is only noted; when the step ends, it stops the
command there as it would have.

The handler is swapped rather than the signal blocked: a process with a
pool of workers has other threads, and the kernel gives the signal to any
thread that does not block it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held_back() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread handles signals (a web page runs its work elsewhere)
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed and callable(previous):
        previous(signal.SIGINT, None)  # Python's own handler: KeyboardInterrupt
