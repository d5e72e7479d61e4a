"""SimPy's environment on a clock of exact months, for both engines.

SimPy sets an event at ``now + delay``; after a stay of ``stay`` months that
began at ``start``, that can miss ``start + stay`` in the last digit. Both
engines set events at the months worked out from the draws themselves, so
that they see the same moments and write the same records.
"""

from __future__ import annotations

from heapq import heappush

import simpy

#: Event priorities: at one and the same month, lower goes first.
URGENT, NORMAL = 0, 1
#: Referrals come after everything else due at their month: a place freed
#: then is free for them, and whoever gives up waiting then has gone.
AFTER_THE_REST = 2


class ProgrammeEnvironment(simpy.Environment):
    def at(self, month: float, priority: int | tuple = NORMAL, value: object = None) -> simpy.Event:
        """An event that happens at ``month`` exactly. Priorities are
        compared among events due at the same month: ints, or tuples where
        only tuples are ever due at one month (the fast engine)."""
        event = simpy.Event(self)
        event._ok, event._value = True, value  # as SimPy's own Timeout sets them
        heappush(self._queue, (month, priority, next(self._eid), event))
        return event
