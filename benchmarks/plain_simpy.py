"""The reference pilot written the way a SimPy model usually is: one process
per person, a Resource for the places, scalar random draws as they are needed.

It is the yardstick for pilotsim's speed (see bench_reference.py). It reads
the same scenario file and follows the same rules, so both should place the
same number of people on average, but it records only the counts at the end:
no monthly state counts, no client records. The comparison is therefore
generous to this model.
"""

from __future__ import annotations

import math
import random

import simpy

from sim.scenario.schema import Scenario


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
              "turned_away": 0, "part_time": 0, "lost_job": 0, "own_job": 0}
    own_hazard = scenario.counterfactual.own_job_hazard_per_month

    def own_job_after(lock_in: float = 0.0) -> float:
        # Memoryless: a fresh draw per phase is the same as one running total.
        rate = own_hazard * (1 - lock_in)
        return rng.expovariate(rate) if rate > 0 else math.inf

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
            own_job = env.timeout(own_job_after())
            result = yield request | patience | own_job
            counts["waiting"] -= 1
            if request not in result:
                counts["own_job" if own_job in result else "reneged"] += 1
                return
            counts["started"] += 1
            length = draw(training.duration)
            own = own_job_after(training.lock_in)
            if rng.random() < min(training.dropout.probability * segment.dropout_factor, 1.0):
                length *= rng.random()
                if own >= length:
                    yield env.timeout(length)
                    counts["dropped_out"] += 1
                    return
            if own < length:
                yield env.timeout(own)
                counts["own_job"] += 1
                return
            yield env.timeout(length)
        length, own = draw(job_search.duration), own_job_after(job_search.lock_in)
        yield env.timeout(min(length, own))
        if own < length:
            counts["own_job"] += 1
            return
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
