"""Probability distributions usable from scenario files.

Every distribution turns uniforms in [0, 1) into values by its inverse
cumulative distribution function. The model draws one uniform per client and
per kind of draw, so two scenarios run with the same seed share those uniforms
(common random numbers): changing a distribution's parameters moves each
client's value monotonically instead of reshuffling everybody's luck.

In YAML a distribution is a mapping with a ``dist`` key, for example
``{dist: triangular, low: 6, mode: 9, high: 12}``; a bare number means a fixed
value. All durations are in months.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy import special

from sim import limits
from sim.language import _
from sim.scenario.numbers import Real

#: Uniforms at which every distribution is tried when it is read: the
#: smallest and largest a random generator gives, and the middle.
_TRIED_AT = np.array([0.0, 1e-12, 0.5, 1 - 2.0**-53])

#: No value of a distribution may exceed this: months, euros or a share,
#: anything larger is a typing error that would overflow the sums made of it.
MAX_VALUE = limits.MAX_EUROS


class _Distribution(BaseModel):
    # ``mean`` is a parameter in YAML and a property here; fields spell it
    # ``mean_`` with the alias "mean". Finite, as the scenario.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values for uniforms ``u`` (inverse cumulative distribution function)."""
        raise NotImplementedError

    @property
    def mean(self) -> float:
        raise NotImplementedError


class Fixed(_Distribution):
    """Always the same value."""

    dist: Literal["fixed"] = "fixed"
    value: Real = Field(ge=0, le=MAX_VALUE)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)

    @property
    def mean(self) -> float:
        return self.value


class Uniform(_Distribution):
    """Equally likely anywhere between ``low`` and ``high``."""

    dist: Literal["uniform"]
    low: Real = Field(ge=0)
    high: Real = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(_("low must not exceed high, got {values}").format(
                values=f"low={self.low} > high={self.high}"))
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class Triangular(_Distribution):
    """Between ``low`` and ``high``, most often near ``mode``."""

    dist: Literal["triangular"]
    low: Real = Field(ge=0)
    mode: Real = Field(ge=0)
    high: Real = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(_("must satisfy low <= mode <= high, got {values}").format(
                values=f"low={self.low}, mode={self.mode}, high={self.high}"))
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        low, mode, high = self.low, self.mode, self.high
        width = high - low
        if width == 0:
            return np.full(u.shape, low)
        split = (mode - low) / width
        left = low + np.sqrt(u * width * (mode - low))
        right = high - np.sqrt((1 - u) * width * (high - mode))
        return np.where(u < split, left, right)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Exponential(_Distribution):
    """Memoryless waiting time with the given ``mean``."""

    dist: Literal["exponential"]
    mean_: Real = Field(gt=0, alias="mean")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_ * np.log1p(-np.asarray(u, dtype=float))

    @property
    def mean(self) -> float:
        return self.mean_


class _ByMeanAndSd(_Distribution):
    mean_: Real = Field(gt=0, alias="mean")
    sd: Real = Field(gt=0)

    @property
    def mean(self) -> float:
        return self.mean_


class Gamma(_ByMeanAndSd):
    """Right-skewed, given by its ``mean`` and standard deviation ``sd``."""

    dist: Literal["gamma"]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        shape = (self.mean_ / self.sd) ** 2
        scale = self.sd**2 / self.mean_
        return scale * special.gammaincinv(shape, np.asarray(u, dtype=float))


class Lognormal(_ByMeanAndSd):
    """Right-skewed with a long tail, given by its ``mean`` and ``sd``."""

    dist: Literal["lognormal"]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        sigma2 = math.log1p((self.sd / self.mean_) ** 2)
        mu = math.log(self.mean_) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * special.ndtri(np.asarray(u, dtype=float)))


class Beta(_Distribution):
    """Between 0 and 1, given by its ``mean`` and ``sd``: a chance or a share
    that is not known exactly (``sd`` must be below sqrt(mean x (1 - mean)))."""

    dist: Literal["beta"]
    mean_: Real = Field(gt=0, lt=1, alias="mean")
    sd: Real = Field(gt=0)

    @model_validator(mode="after")
    def _possible(self) -> Beta:
        largest = math.sqrt(self.mean_ * (1 - self.mean_))
        if self.sd >= largest:
            raise ValueError(_("sd must be below sqrt(mean x (1 - mean)) = {largest} for mean {mean}, got "
                               "{sd}").format(largest=f"{largest:.4g}", mean=f"{self.mean_:g}", sd=f"{self.sd:g}"))
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    def ppf(self, u: np.ndarray) -> np.ndarray:
        concentration = self.mean_ * (1 - self.mean_) / self.sd**2 - 1
        a, b = self.mean_ * concentration, (1 - self.mean_) * concentration
        return special.betaincinv(a, b, np.asarray(u, dtype=float))


class TruncatedNormal(_Distribution):
    """A normal distribution (``mean``, ``sd`` before truncation) cut off at zero,
    because durations cannot be negative."""

    dist: Literal["truncated_normal"]
    mean_: Real = Field(alias="mean")
    sd: Real = Field(gt=0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        below_zero = special.ndtr(-self.mean_ / self.sd)
        p = below_zero + np.asarray(u, dtype=float) * (1 - below_zero)
        return np.maximum(self.mean_ + self.sd * special.ndtri(p), 0.0)

    @property
    def mean(self) -> float:
        alpha = -self.mean_ / self.sd
        return self.mean_ + self.sd * _std_normal_pdf(alpha) / (1 - special.ndtr(alpha))


class Empirical(_Distribution):
    """One of the listed ``values``, each as likely as its weight."""

    dist: Literal["empirical"]
    values: list[Annotated[Real, Field(ge=0, le=MAX_VALUE)]] = Field(min_length=1, max_length=limits.MAX_LIST_ENTRIES)
    weights: list[Annotated[Real, Field(ge=0, le=MAX_VALUE)]] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(_("weights must have one entry per value, got {weights} weights for {values} "
                                   "values").format(weights=len(self.weights), values=len(self.values)))
            if sum(self.weights) <= 0:
                raise ValueError(_("weights must not all be zero"))
        return self

    def _sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """Values in increasing order with their cumulative probabilities; sorted
        so that a larger uniform never gives a smaller value."""
        values = np.asarray(self.values, dtype=float)
        weights = np.ones(len(values)) if self.weights is None else np.asarray(self.weights, dtype=float)
        order = np.argsort(values, kind="stable")
        cumulative = np.cumsum(weights[order])
        return values[order], cumulative / cumulative[-1]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        values, cumulative = self._sorted()
        index = np.searchsorted(cumulative, np.asarray(u, dtype=float), side="right")
        return values[np.minimum(index, len(values) - 1)]

    @property
    def mean(self) -> float:
        values, cumulative = self._sorted()
        return float(np.dot(np.diff(cumulative, prepend=0.0), values))


def _std_normal_pdf(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _can_be_sampled(distribution: _Distribution) -> _Distribution:
    """Parameters can each be valid and together beyond floating point: a
    gamma whose sd is a millionth of its mean has a shape that overflows, a
    lognormal with a huge sd has no finite values. Found here, they are a
    line among the scenario's problems instead of a crash in the run."""
    with np.errstate(all="ignore"):
        try:
            values = np.asarray(distribution.ppf(_TRIED_AT), dtype=float)
            mean = float(distribution.mean)
        except (ArithmeticError, ValueError):
            values, mean = np.array([np.nan]), math.nan
    if not (np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= MAX_VALUE)) and math.isfinite(mean)):
        raise ValueError(_("cannot be sampled: with these parameters its values are not all finite numbers from 0 "
                           "to {most}; check them against each other (e.g. an sd far smaller or larger than the "
                           "mean)").format(most=f"{MAX_VALUE:g}"))
    return distribution


def _number_means_fixed(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Union[Fixed, Uniform, Triangular, Exponential, Gamma, Lognormal, Beta, TruncatedNormal, Empirical],
    Field(discriminator="dist"),
    BeforeValidator(_number_means_fixed),
    AfterValidator(_can_be_sampled),
]
"""Any registered distribution, chosen by its ``dist`` key."""
