"""Random valid scenarios for property tests."""

from hypothesis import strategies as st

from sim.scenario.files import scenario_from_dict

continuous_durations = st.one_of(
    st.builds(lambda low, extra: {"dist": "uniform", "low": low, "high": low + extra},
              st.floats(0, 4), st.floats(0.1, 4)),
    st.builds(lambda mean: {"dist": "exponential", "mean": mean}, st.floats(0.1, 6)),
)
#: With fixed and discrete ones, which make things happen at the same moment.
durations = st.one_of(
    st.floats(0, 6),
    continuous_durations,
    st.builds(lambda m: {"dist": "empirical", "values": [0, m, 2 * m]}, st.floats(0, 4)),
)
#: The same with every stay taking time: a stay of no time in a stage with
#: limited places is the one coincidence the engines are known to order
#: differently at times (docs/model.md, "Known gap"), so stages with places
#: draw these, and the property tests check what is claimed.
durations_with_length = st.one_of(
    st.floats(0.25, 6),
    continuous_durations,
    st.builds(lambda m: {"dist": "empirical", "values": [m, 2 * m, 3 * m]}, st.floats(0.25, 4)),
)
dropouts = st.one_of(
    st.none(),
    st.builds(lambda p: {"probability": p}, st.floats(0, 1)),
    st.builds(lambda h: {"hazard_per_month": h}, st.floats(0, 1)),
)
probability = st.floats(0, 1)
#: Places that change over time: up, down, to none and back.
place_schedules = st.lists(st.tuples(st.floats(0.5, 10), st.integers(0, 6)), min_size=1, max_size=3).map(
    lambda periods: [{"from_month": 0, "places": 1 + periods[0][1]}] + [
        {"from_month": sum(gap for gap, _ in periods[:index + 1]), "places": places}
        for index, (_, places) in enumerate(periods[1:])])


@st.composite
def scenarios(draw, continuous: bool = False):
    """A scenario with up to three stages, loops, segments, limits and an own
    chance of work; ``continuous``: every duration and patience continuous
    (and referrals at random moments), so that no two things happen at the
    same moment unless one causes the other."""
    stay_lengths = continuous_durations if continuous else durations
    stage_count = draw(st.integers(1, 3))
    names = [f"stage_{index}" for index in range(stage_count)]
    stages = {}
    for index, name in enumerate(names):
        # Later stages may send people back to earlier ones, but every stage
        # keeps a route out, so no loop is endless.
        job = draw(st.floats(0.05, 1))
        rest = 1 - job
        onward = names[index + 1] if index + 1 < stage_count else "benefit"
        back = names[draw(st.integers(0, index))]
        split = draw(probability)
        outcomes = {"job": job}
        shares = ((onward, rest * split), (back, rest * (1 - split) / 2), ("exit", rest * (1 - split) / 2))
        for destination, share in shares:
            outcomes[destination] = outcomes.get(destination, 0) + share
        slots = draw(st.one_of(st.none(), st.integers(1, 8), place_schedules))
        stages[name] = {
            "lock_in": draw(probability),
            "slots": slots,
            "duration": draw(stay_lengths if continuous or slots is None else durations_with_length),
            "dropout": draw(dropouts),
            "outcomes": outcomes,
        }
    process = draw(st.sampled_from(["poisson"] if continuous else ["poisson", "cohorts", "schedule"]))
    referrals = {
        "process": process,
        "acceptance": draw(probability),
        "max_participants": draw(st.one_of(st.none(), st.integers(1, 40))),
        "waiting_list_limit": draw(st.one_of(st.none(), st.integers(0, 10))),
        "patience": draw(st.one_of(st.none(), stay_lengths)),
        "until_month": draw(st.floats(1, 20)),
    }
    if process == "poisson":
        referrals["rate_per_month"] = draw(st.floats(0.1, 6))
    elif process == "cohorts":
        referrals.update(every_months=draw(st.floats(0.5, 10)), cohort_size=draw(st.integers(1, 15)))
    else:
        referrals["schedule"] = draw(st.lists(
            st.fixed_dictionaries({"month": st.floats(0, 30), "count": st.integers(0, 10)}), min_size=1, max_size=4))
    share = draw(st.floats(0.1, 0.9))
    return scenario_from_dict({
        "name": "random",
        "horizon_months": draw(st.floats(1, 40)),
        "segments": {"a": {"share": share, "dropout_factor": draw(st.floats(0, 2))},
                     "b": {"share": 1 - share, "placement_factor": draw(st.floats(0, 2)),
                           "part_time_factor": draw(st.floats(0, 3))}},
        "referrals": referrals,
        "stages": stages,
        "employment": {"part_time_share": draw(probability),
                       "job_loss_hazard_per_month": draw(st.floats(0, 0.5))},
        "counterfactual": {"own_job_chance_per_year": draw(st.sampled_from([0.0, 0.08, 0.5, 0.95]))},
    })
