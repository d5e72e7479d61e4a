"""The model against results known exactly from probability and queueing theory.

Every tolerance is a multiple of the sampling error of the estimate, worked
out in the test, and every run uses a fixed seed, so a test fails only when
the model changes.
"""

import pytest

from sim.analysis.validation import binomial_checks, erlang_c_check, littles_law_checks
from sim.run.runner import run


def test_placements_of_an_uncapacitated_cohort_are_binomial():
    # 50 participants, no limit on places, each placed with chance 0.6: the
    # number placed is Binomial(50, 0.6). Mean (standard error 0.077) and
    # variance (relative standard error 3.2 %) within 4 standard errors, and
    # the whole distribution by chi-square.
    checks, chi_square_p = binomial_checks()
    for check in checks:
        assert check.passed, check
    assert chi_square_p > 0.001


def test_waiting_for_places_matches_erlang_c():
    # Load a = 2 x 1.2 = 2.4 on 3 places (occupancy 0.8): by hand,
    # C = (2.4^3/3! x 3/0.6) / (1 + 2.4 + 2.4^2/2 + 11.52) = 0.6472 and the
    # mean wait C / (3/1.2 - 2) = 1.2944 months. Within 4 standard errors,
    # and the run long enough for that to mean something (< 5 %).
    check = erlang_c_check()
    assert check.exact == pytest.approx(1.2944, abs=1e-4)
    assert check.passed, check
    assert check.standard_error < 0.05 * check.exact


def test_littles_law_holds_on_the_monthly_counts():
    for check in littles_law_checks():
        assert check.passed, check


def test_the_reference_pilot_places_78_of_130_on_average():
    # The calibration promised in scenarios/brunssum_logistics_2021.yaml: a
    # mean of 78 +- 3 placed. 400 replications give a standard error of about
    # 0.4 on the mean, so the band is tested, not the noise.
    from sim.scenario.files import load_scenario
    from tests.conftest import REFERENCE

    outcomes = run(load_scenario(REFERENCE), 400, workers=1).outcomes
    assert 75 <= outcomes["placed"].mean() <= 81
    assert outcomes["started"].mean() > 129
