"""The reference pilot written the way a SimPy model usually is: one process
per person, a Resource for the places, scalar random draws as they are needed.

It is the yardstick for pilotsim's speed (see bench_reference.py). It reads
the same scenario file and follows the same rules, so both should place the
same number of people on average, but it records only the counts at the end:
no monthly state counts, no client records. The comparison is therefore
generous to this model.
"""

from __future__ import annotations

import random

import simpy

from sim.scenario import Scenario


def run_plain(scenario: Scenario, replications: int, seed: int) -> list[dict]:
    return [_replication(scenario, random.Random(seed * 1_000_003 + i)) for i in range(replications)]


def _replication(scenario: Scenario, rng: random.Random) -> dict:
    env = simpy.Environment()
    referrals = scenario.referrals
    training = scenario.stages["training"]
    job_search = scenario.stages["job_search"]
    places = simpy.Resource(env, capacity=training.slots)
    segments = list(scenario.segments.values())
    counts = {"referred": 0, "started": 0, "waiting": 0, "placed": 0, "dropped_out": 0, "reneged": 0,
              "turned_away": 0, "part_time": 0, "lost_job": 0}

    def draw(distribution) -> float:
        # Python's own scalar samplers, as a hand-written model would use them.
        if distribution.dist == "triangular":
            return rng.triangular(distribution.low, distribution.high, distribution.mode)
        if distribution.dist == "exponential":
            return rng.expovariate(1 / distribution.mean)
        if distribution.dist == "fixed":
            return distribution.value
        return float(distribution.ppf(rng.random()))

    def person():
        segment = rng.choices(segments, weights=[s.share for s in segments])[0]
        counts["referred"] += 1
        if rng.random() >= referrals.acceptance:
            return
        if counts["waiting"] >= referrals.waiting_list_limit:
            counts["turned_away"] += 1
            return
        counts["waiting"] += 1
        with places.request() as request:
            patience = env.timeout(draw(referrals.patience))
            result = yield request | patience
            counts["waiting"] -= 1
            if request not in result:
                counts["reneged"] += 1
                return
            counts["started"] += 1
            length = draw(training.duration)
            if rng.random() < min(training.dropout.probability * segment.dropout_factor, 1.0):
                yield env.timeout(length * rng.random())
                counts["dropped_out"] += 1
                return
            yield env.timeout(length)
        yield env.timeout(draw(job_search.duration))
        if rng.random() < min(job_search.outcomes["job"] * segment.placement_factor, 1.0):
            counts["placed"] += 1
            employment = scenario.employment
            if rng.random() < min(employment.part_time_share * segment.part_time_factor, 1.0):
                counts["part_time"] += 1
            yield env.timeout(rng.expovariate(employment.job_loss_hazard_per_month))
            counts["lost_job"] += 1

    def referral_process():
        while True:
            yield env.timeout(rng.expovariate(referrals.rate_per_month))
            if env.now >= referrals.until_month:
                return
            if counts["started"] + counts["waiting"] < referrals.max_participants:
                env.process(person())

    env.process(referral_process())
    env.run(until=scenario.horizon_months)
    return counts
