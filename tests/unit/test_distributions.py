import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from sim.scenario.distributions import Distribution

parse = TypeAdapter(Distribution).validate_python
UNIFORMS = np.linspace(0.001, 0.999, 101)

# Each registered distribution against scipy.stats' own inverse CDF.
CASES = [
    ({"dist": "uniform", "low": 2, "high": 5}, stats.uniform(loc=2, scale=3)),
    ({"dist": "triangular", "low": 6, "mode": 9, "high": 12}, stats.triang(c=0.5, loc=6, scale=6)),
    ({"dist": "triangular", "low": 1, "mode": 1, "high": 4}, stats.triang(c=0.0, loc=1, scale=3)),
    ({"dist": "exponential", "mean": 3}, stats.expon(scale=3)),
    ({"dist": "gamma", "mean": 6, "sd": 2}, stats.gamma(a=9, scale=6 / 9)),
    ({"dist": "lognormal", "mean": 6, "sd": 3},
     stats.lognorm(s=np.sqrt(np.log(1.25)), scale=6 / np.sqrt(1.25))),
    ({"dist": "truncated_normal", "mean": 2, "sd": 3},
     stats.truncnorm(a=-2 / 3, b=np.inf, loc=2, scale=3)),
    # mean 0.6, sd 0.08: concentration 0.24 / 0.0064 - 1 = 36.5, so a = 21.9, b = 14.6.
    ({"dist": "beta", "mean": 0.6, "sd": 0.08}, stats.beta(a=21.9, b=14.6)),
]


@pytest.mark.parametrize("spec, reference", CASES, ids=[c[0]["dist"] for c in CASES])
def test_inverse_transform_matches_scipy(spec, reference):
    distribution = parse(spec)
    np.testing.assert_allclose(distribution.ppf(UNIFORMS), reference.ppf(UNIFORMS), rtol=1e-9, atol=1e-9)
    assert distribution.mean == pytest.approx(reference.mean(), rel=1e-9)


def test_fixed_is_always_its_value():
    distribution = parse({"dist": "fixed", "value": 4})
    assert distribution.ppf(UNIFORMS).tolist() == [4.0] * len(UNIFORMS)
    assert distribution.mean == 4


def test_empirical_takes_values_in_proportion_to_weights():
    distribution = parse({"dist": "empirical", "values": [1, 5, 9], "weights": [1, 2, 1]})
    values = distribution.ppf(np.array([0.0, 0.249, 0.25, 0.74, 0.75, 0.999]))
    assert values.tolist() == [1, 1, 5, 5, 9, 9]
    assert distribution.mean == pytest.approx(5.0)


def test_a_bare_number_is_a_fixed_value():
    assert parse(2.5).ppf(np.array([0.1, 0.9])).tolist() == [2.5, 2.5]


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "triangular", "low": 9, "mode": 6, "high": 12},
        {"dist": "uniform", "low": 5, "high": 2},
        {"dist": "exponential", "mean": -1},
        {"dist": "gamma", "mean": 3},
        {"dist": "weibull", "shape": 2},
        {"dist": "empirical", "values": [1, 2], "weights": [1]},
        {"dist": "fixed", "value": 1, "extra": 2},
        {"dist": "beta", "mean": 0.5, "sd": 0.5},
        {"dist": "beta", "mean": 1.2, "sd": 0.1},
    ],
)
def test_impossible_parameters_are_rejected(spec):
    with pytest.raises(ValidationError):
        parse(spec)


@given(
    spec=st.sampled_from([case[0] for case in CASES] + [{"dist": "empirical", "values": [3, 1, 2]}]),
    u=st.lists(st.floats(0, 0.999999), min_size=2, max_size=20),
)
def test_values_never_decrease_as_the_uniform_grows(spec, u):
    # Monotone inverse transforms are what make common random numbers work:
    # a client's value moves with the parameters, never jumps rank.
    values = parse(spec).ppf(np.sort(np.array(u)))
    assert np.all(np.diff(values) >= -1e-12)
    assert np.all(values >= 0)
