"""Places as SimPy resources, for the process model (``sim.model.processes``):
how SimPy's own rules for who is served and who goes on first are made to
follow the programme's rules for one and the same month (docs/model.md, "At
one and the same month"), which the fast engine follows too.
"""

from __future__ import annotations

import math
from heapq import heappush

import simpy
from simpy.resources.resource import SortedQueue

from sim.model.clock import NORMAL, URGENT, ProgrammeEnvironment

#: Someone whose wait ends goes on before anyone moves on at that month
#: (below the priority of every stay's end and move, clock.py).
WAIT_ENDS = (URGENT, 0, -math.inf)


class _Requests(SortedQueue):
    """Requests for places in order of priority, then of asking; remembers the newest."""

    newest: simpy.resources.resource.PriorityRequest

    def append(self, request) -> None:
        super().append(request)
        self.newest = request


class Places(simpy.PriorityResource):
    """A stage's places. Places come free as stays end, and go in order: a
    closing place, people moving on, the waiting list. Someone asking is
    served at once if a place is free and nobody before them waits; those
    queued after them wait until the places freed that month are given out,
    after everyone moving on then has asked. (SimPy would serve the head of
    the queue, one request, whenever anyone asks: a place could go to the
    waiting list before someone moving on that month had asked.)"""

    PutQueue = _Requests

    def _trigger_put(self, release) -> None:
        queue = self.put_queue
        served_up_to = queue.newest.priority if release is None else math.inf
        while queue and len(self.users) < self.capacity and queue[0].priority <= served_up_to:
            request = queue.pop(0)
            self.users.append(request)
            request.usage_since = self._env.now
            request.succeed()


class WaitingEnvironment(ProgrammeEnvironment):
    """Someone waiting goes on as soon as the wait ends (a place is theirs,
    patience runs out, work found on their own), before anyone moves on at
    that month: people given places at one moment all begin their stays
    before any of them moves on. (SimPy would resume them later that month.)"""

    def schedule(self, event: simpy.Event, priority: int = NORMAL, delay: float = 0) -> None:
        if isinstance(event, (simpy.events.Condition, simpy.resources.resource.Request)):
            heappush(self._queue, (self._now + delay, WAIT_ENDS, next(self._eid), event))
        else:
            super().schedule(event, priority, delay)

