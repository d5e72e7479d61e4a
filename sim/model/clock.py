"""SimPy's environment on a clock of exact months, for both engines.

SimPy sets an event at ``now + delay``; after a stay of ``stay`` months that
began at ``start``, that can miss ``start + stay`` in the last digit. Both
engines set events at the months worked out from the draws themselves, so
that they see the same moments and write the same records.

At one and the same month, events go in order of their priority, a tuple:
SimPy's own events are ``(URGENT,)`` or ``(NORMAL,)``. Both engines order
people moving on to a stage at one month by the same key
(``moving_on_from(start, person)``), so that neither depends on the order in
which it happened to schedule them.
"""

from __future__ import annotations

from heapq import heappush

import simpy

#: At one and the same month, lower goes first (SimPy's own two levels).
URGENT, NORMAL = 0, 1
#: Referrals come after everything else due at their month: a place freed
#: then is free for them, and whoever gives up waiting then has gone.
AFTER_THE_REST = 2
_AS_TUPLE = {URGENT: (URGENT,), NORMAL: (NORMAL,), AFTER_THE_REST: (AFTER_THE_REST,)}  # (made once)


def _ordered(priority: int | tuple) -> tuple:
    """Every priority as a tuple, so that any two due at one month compare."""
    return priority if isinstance(priority, tuple) else _AS_TUPLE.get(priority) or (priority,)


def stay_end(start: float, person: int) -> tuple:
    """A stay ends before anything else due at its month bar a change of
    places: the place is free for whoever arrives then. Among stays ending
    at one month, in the order they began, then in order of referral."""
    return (URGENT, 0, start, person)


def moving_on_from(start: float, person: int) -> tuple:
    """People moving on arrive after every stay ending at their month has
    ended, before the places freed go to the waiting list; among themselves
    in the order the stay they leave began, then in order of referral."""
    return (URGENT, 1, start, person)


class ProgrammeEnvironment(simpy.Environment):
    def at(self, month: float, priority: int | tuple = NORMAL, value: object = None) -> simpy.Event:
        """An event that happens at ``month`` exactly."""
        event = simpy.Event(self)
        event._ok, event._value = True, value  # as SimPy's own Timeout sets them
        heappush(self._queue, (month, _ordered(priority), next(self._eid), event))
        return event

    def schedule(self, event: simpy.Event, priority: int = NORMAL, delay: float = 0) -> None:
        heappush(self._queue, (self._now + delay, _ordered(priority), next(self._eid), event))
