"""A programme under way: its clients as of a month (the state file), read
and checked against the scenario (``sim.state.records``), and written from
a simulated run, for trying and testing (``sim.state.generate``)."""
