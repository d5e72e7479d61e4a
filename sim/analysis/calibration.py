"""Calibration: which values of a scenario's free parameters are consistent
with the figures its programme published, and how sure those figures let us
be.

A published figure is one realisation of the programme, not an average: run
again, the same programme would have published other figures, about a
run-to-run spread away. So the likelihood of parameter values is the chance
that one run with them produces the published figures, taken as normal with
the simulated means, spreads and correlations of the figures (a synthetic
likelihood, Wood 2010). With a uniform prior over the search ranges, the
posterior's 5-95 % range is a parameter's plausible range and its median the
estimate.

Simulating every point the posterior needs would take too long, so a
emulator (thin-plate splines) learns the means and spreads from a few dozen
candidates, each run ``replications`` times on the same seed (common random
numbers keep the emulated surface smooth), and the posterior is worked out
on 16,384 quasi-random points. An emulator is only as good as the candidates
near where the posterior lies, so the search zooms in: each round puts its
candidates where the previous posterior lies, until the region stops
shrinking. What the emulator misses, and the error of a
mean of a few replications, are added to the spread: they widen the ranges,
never narrow them.

A posterior that piles up at a search bound says the data do not rule out
values beyond it. The bound is moved out (twice at most, never past what the
field accepts); if the data still do not bound the parameter, the result
says so instead of quoting the search range as if the data had set it.

Why not an ABC library: pyabc's sequential Monte Carlo, the well-kept one,
is reproducible from a seed only on a single core (pyABC issue #392), and
every pilotsim result must be the same for the same seed on any number of
workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.backtests import Observation, Observed, figures_against, label, outcome_values
from sim.errors import Problem, ScenarioError
from sim.language import _
from sim.run import executors
from sim.run.runner import run
from sim.scenario.edit import with_changes, with_free_values
from sim.scenario.schema import Scenario

if TYPE_CHECKING:  # (scipy's statistics load only when a calibration runs: they take half a second)
    from scipy.interpolate import RBFInterpolator

#: The most rounds of candidates, zooming in and widening together.
MOST_ROUNDS = 8
#: How many times a search bound the posterior piles up at is moved out.
MOST_WIDENINGS = 2
#: Points the posterior is worked out on (2**14), per round.
POSTERIOR_POINTS_LOG2 = 14
#: The posterior piles up at a bound when its density there is at least this
#: share of its highest density: a normal posterior reaches it 2.45 standard
#: deviations from its peak, with 0.7 % of its mass beyond.
PILED_UP = 0.05
#: Published counts are whole numbers: a figure's spread is never taken as
#: less than the error of rounding to one (more for a figure ``rounded_to``
#: a larger step).
ROUNDING_SPREAD = 0.5
#: Smoothings tried for the emulator, on parameters scaled to [-1, 1].
SMOOTHINGS = np.logspace(-4, 2, 7)
#: Figures whose combined variation is below this share of the largest are
#: the same figure counted twice (a saving that is a count times a price).
REDUNDANT = 1e-2


@dataclass(frozen=True)
class Posterior:
    points: np.ndarray    # [point, parameter]
    weights: np.ndarray   # summing to one

    def quantiles(self, column: int, shares) -> np.ndarray:
        order = np.argsort(self.points[:, column])
        cumulative = np.cumsum(self.weights[order])
        return np.interp(shares, cumulative - self.weights[order] / 2, self.points[order, column])

    def density_at_edges(self, column: int, low: float, high: float, bins: int = 50) -> tuple[float, float]:
        """The density in the outermost bins, as shares of the highest bin."""
        counts, _ = np.histogram(self.points[:, column], bins=bins, range=(low, high), weights=self.weights)
        peak = counts.max()
        return (counts[0] / peak, counts[-1] / peak) if peak > 0 else (1.0, 1.0)


@dataclass(frozen=True)
class CalibrationResult:
    scenario: Scenario
    observed: Observed
    candidates: pd.DataFrame   # one row per candidate: round, parameter values, simulated means and spreads
    posterior: Posterior
    searched: dict[str, tuple[float, float]]   # the search ranges in the end, after any widening
    unbounded: dict[str, tuple[bool, bool]]     # per parameter: the data do not bound it below, above
    figures: list[str]                          # the figures fitted to, as outcome@month
    replications: int
    seed: int

    @property
    def estimate(self) -> dict[str, float]:
        """Each parameter's posterior median."""
        return {path: float(self.posterior.quantiles(column, 0.5))
                for column, path in enumerate(self.scenario.free)}

    def ranges(self) -> pd.DataFrame:
        """Per free parameter: the estimate, the plausible (5-95 %) range,
        the range searched, the share of it the plausible range takes
        (against 90 % before the data), and whether the data bound it."""
        rows = []
        for column, (path, free) in enumerate(self.scenario.free.items()):
            low, high = self.posterior.quantiles(column, [0.05, 0.95])
            searched_low, searched_high = self.searched[path]
            below, above = self.unbounded[path]
            rows.append({"parameter": path, "estimate": self.estimate[path], "plausible_low": low,
                         "plausible_high": high, "searched_low": searched_low, "searched_high": searched_high,
                         "asked_low": free.low, "asked_high": free.high,
                         "narrowed_to": (high - low) / (0.9 * (searched_high - searched_low)),
                         "bounded": {(False, False): "yes", (True, False): "not below", (False, True): "not above",
                                     (True, True): "no"}[below, above]})
        return pd.DataFrame(rows)


def check_free(scenario: Scenario, where: str) -> None:
    """Refuse free parameters that cannot all be searched: a field the
    scenario has not (or a value it refuses at either end of its range), or
    routes of one stage whose highs add up to more than one."""
    problems = []
    for path, free in scenario.free.items():
        for value in (free.low, free.high):
            try:
                with_free_values(scenario, {path: value})
            except ScenarioError as error:
                reasons = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in error.problems)
                problems.append(Problem(where, None, None, f"free.{path}", _(
                    "at {value} the scenario is not valid: {reasons}").format(value=f"{value:g}", reasons=reasons)))
                break
    highs: dict[str, list[tuple[str, float]]] = {}
    for path, free in scenario.free.items():
        keys = path.split(".")
        if len(keys) == 4 and keys[0] == "stages" and keys[2] == "outcomes" and free.complement is None:
            highs.setdefault(keys[1], []).append((keys[3], free.high))
    for stage, routes in highs.items():
        if len(routes) > 1 and sum(high for _, high in routes) > 1:
            problems.append(Problem(where, None, None, f"free (stages.{stage}.outcomes)",
                                    _("the routes {routes} can add up to more than one at their highs; lower a "
                                      "high so that they cannot").format(
                                        routes=", ".join(route for route, _high in routes))))
    if problems:
        raise ScenarioError(problems)


def smallest_design(parameters: int) -> int:
    """Candidates a round needs to tell a curved response from noise: twice
    the terms of a quadratic in the parameters."""
    return 2 * (1 + parameters + parameters * (parameters + 1) // 2)


def calibrate(scenario: Scenario, observed: Observed, samples: int = 30, replications: int = 40,
              seed: int | None = None, workers: int | None = None,
              on_candidate: Callable[[int, int], None] | None = None) -> CalibrationResult:
    """Fit the scenario's free parameters to the figures of ``observed`` that
    are not held out. ``samples`` candidates a round, each run
    ``replications`` times; ``on_candidate(done, planned)`` after each."""
    from scipy.stats import qmc
    if not scenario.free:
        raise ScenarioError([Problem(scenario.name, None, None, "free",
                                     "the scenario declares no free parameters to calibrate")])
    if samples < smallest_design(len(scenario.free)):
        raise ScenarioError([Problem(scenario.name, None, None, "samples",
                                     f"{len(scenario.free)} free parameters need at least "
                                     f"{smallest_design(len(scenario.free))} candidates a round, got {samples}")])
    check_free(scenario, scenario.name)
    seed = scenario.seed if seed is None else seed
    paths = list(scenario.free)
    # A held-out figure is kept for the check alone: the fit never sees it.
    figures = [o for o in observed.observations if o.role != "held_out"]
    published = np.array([o.value for o in figures])
    # A figure rounded to a step is off by up to half of it, uniformly.
    rounding = np.array([max(ROUNDING_SPREAD, (o.rounded_to or 0) / np.sqrt(12)) for o in figures])
    searched = np.array([[scenario.free[p].low, scenario.free[p].high] for p in paths], dtype=float)
    field_limits = np.array([[-np.inf, np.inf]] * len(paths))
    widenings = np.zeros((len(paths), 2), dtype=int)
    region = searched.copy()
    simulated: list[Candidates] = []
    with executors.shared(workers):
        for round_number in range(MOST_ROUNDS):
            latin = qmc.LatinHypercube(d=len(paths), seed=np.random.default_rng([seed, round_number]))
            design = qmc.scale(latin.random(samples), region[:, 0], region[:, 1])
            done = round_number * samples

            def progress(count: int, done: int = done) -> None:
                if on_candidate is not None:
                    on_candidate(done + count, done + samples)

            simulated.append(simulate(scenario, paths, design, figures, replications, seed, workers, progress,
                                      round_number))
            every = Candidates.joined(simulated)
            emulator = Emulator.fitted(every.inside(region), region, replications)
            posterior = emulator.posterior(published, rounding, region, seed + round_number)
            next_region, moved = _where_it_lies(posterior, region, searched)
            piled = _piled_at_search_bounds(posterior, region, searched)
            for column, side in zip(*np.nonzero(piled)):
                if widenings[column, side] < MOST_WIDENINGS:
                    wider = _widened(scenario, paths[column], searched[column], side, field_limits[column])
                    if wider != searched[column, side]:
                        searched[column, side] = next_region[column, side] = wider
                        widenings[column, side] += 1
                        moved = True
            if not moved:
                break
            region = next_region
    # Piled up at a field's limit (a chance of 1), the data do not rule out
    # the values up to it either: said the same way.
    unbounded = piled
    candidates = every.table(paths, figures)
    return CalibrationResult(
        scenario, observed, candidates, posterior, {p: tuple(searched[i]) for i, p in enumerate(paths)},
        {p: (bool(unbounded[i, 0]), bool(unbounded[i, 1])) for i, p in enumerate(paths)},
        [label(o) for o in figures], replications, seed)


@dataclass(frozen=True)
class Candidates:
    """Parameter values and, per figure, the simulated mean and spread; and
    the correlation of the figures across one candidate's runs."""

    values: np.ndarray        # [candidate, parameter]
    means: np.ndarray         # [candidate, figure]
    spreads: np.ndarray       # [candidate, figure]
    correlations: np.ndarray  # [candidate, figure, figure]
    rounds: np.ndarray        # [candidate]

    @staticmethod
    def joined(parts: list[Candidates]) -> Candidates:
        return Candidates(*(np.concatenate([getattr(part, name) for part in parts])
                            for name in ("values", "means", "spreads", "correlations", "rounds")))

    def inside(self, region: np.ndarray) -> Candidates:
        keep = np.all((self.values >= region[:, 0]) & (self.values <= region[:, 1]), axis=1)
        return Candidates(self.values[keep], self.means[keep], self.spreads[keep], self.correlations[keep],
                          self.rounds[keep])

    def table(self, paths: list[str], figures: list[Observation]) -> pd.DataFrame:
        table = pd.DataFrame(self.values, columns=paths)
        table.insert(0, "round", self.rounds + 1)
        for column, observation in enumerate(figures):
            table[f"{label(observation)} mean"] = self.means[:, column]
            table[f"{label(observation)} sd"] = self.spreads[:, column]
        return table


def simulate(scenario: Scenario, paths: list[str], design: np.ndarray, figures: list[Observation],
             replications: int, seed: int, workers: int | None,
             progress: Callable[[int], None], round_number: int = 0) -> Candidates:
    """Run each candidate ``replications`` times at each month a figure is
    counted at. Replication r at every month is the same history (the
    streams are per client), so the figures' correlations are those of one run."""
    months = sorted({o.month for o in figures})
    means, spreads, correlations = [], [], []
    for index, values in enumerate(design):
        candidate = with_free_values(scenario, dict(zip(paths, values)))
        by_month = {month: run(with_changes(candidate, {"horizon_months": month},
                                            f"calibration at month {month:g}"),
                               replications, seed=seed, workers=workers).outcomes
                    for month in months}
        runs = np.column_stack([by_month[o.month][o.outcome].to_numpy(dtype=float) for o in figures])
        means.append(runs.mean(axis=0))
        spreads.append(runs.std(axis=0, ddof=1))
        correlations.append(_correlation(runs))
        progress(index + 1)
    return Candidates(np.asarray(design), np.array(means), np.array(spreads), np.array(correlations),
                      np.full(len(design), round_number))


def _correlation(runs: np.ndarray) -> np.ndarray:
    """Figures that never vary correlate with nothing."""
    varies = runs.std(axis=0) > 0
    correlation = np.eye(runs.shape[1])
    if varies.sum() > 1:
        correlation[np.ix_(varies, varies)] = np.corrcoef(runs[:, varies], rowvar=False)
    return correlation


class Emulator:
    """Each figure's mean and log spread as smooth functions of the
    parameters (thin-plate splines, smoothed as much as leave-one-out
    prediction says is best), fitted over one region."""

    def __init__(self, region: np.ndarray, mean: RBFInterpolator, log_spread: RBFInterpolator,
                 scale: np.ndarray, misfit: np.ndarray, correlation: np.ndarray, replications: int):
        self.region = region
        self.mean = mean
        self.log_spread = log_spread
        self.scale = scale
        self.misfit = misfit
        self.correlation = correlation
        self.replications = replications

    @staticmethod
    def fitted(candidates: Candidates, region: np.ndarray, replications: int) -> Emulator:
        unit = _scaled(candidates.values, region)
        # Figures in units of their run-to-run spread, so one smoothing suits all.
        scale = np.maximum(np.median(candidates.spreads, axis=0), ROUNDING_SPREAD)
        mean, mean_errors = _smoothest_fit(unit, candidates.means / scale)
        log_spread, _ = _smoothest_fit(unit, np.log(np.maximum(candidates.spreads, ROUNDING_SPREAD)))
        # What the emulator gets wrong, as leave-one-out predictions show it.
        misfit = np.sqrt(np.mean(mean_errors ** 2, axis=0)) * scale
        correlation = np.mean(candidates.correlations, axis=0)
        return Emulator(region, mean, log_spread, scale, misfit, correlation, replications)

    def posterior(self, published: np.ndarray, rounding: np.ndarray, region: np.ndarray, seed: int) -> Posterior:
        from scipy.stats import qmc
        unit = qmc.Sobol(d=len(region), scramble=True, seed=np.random.default_rng(seed)).random_base2(
            POSTERIOR_POINTS_LOG2)
        points = qmc.scale(unit, region[:, 0], region[:, 1])
        scaled = _scaled(points, self.region)
        means = self.mean(scaled) * self.scale
        # A run's spread, widened by the error of a mean of n replications
        # (spread / sqrt(n)), what the emulator misses, and rounding.
        run_spreads = np.exp(self.log_spread(scaled))
        spreads = np.sqrt(run_spreads ** 2 * (1 + 1 / self.replications) + self.misfit ** 2 + rounding ** 2)
        log_likelihood = _normal_log_likelihood((published - means) / self.scale, spreads / self.scale,
                                                self.correlation)
        weights = np.exp(log_likelihood - log_likelihood.max())
        return Posterior(points, weights / weights.sum())


def _scaled(values: np.ndarray, region: np.ndarray) -> np.ndarray:
    return 2 * (values - region[:, 0]) / (region[:, 1] - region[:, 0]) - 1


def _smoothest_fit(unit: np.ndarray, values: np.ndarray) -> tuple[RBFInterpolator, np.ndarray]:
    """The thin-plate spline (with a linear trend) whose smoothing predicts
    each candidate best from the others, and those leave-one-out errors.
    The spline is linear in the values, values_fitted = H values, so the
    leave-one-out error is (value - fitted) / (1 - H_ii), without refitting."""
    from scipy.interpolate import RBFInterpolator
    best = None
    for smoothing in SMOOTHINGS:
        hat = RBFInterpolator(unit, np.eye(len(unit)), smoothing=smoothing, degree=1)(unit)
        leverage = np.clip(np.diag(hat), None, 1 - 1e-9)
        errors = (values - hat @ values) / (1 - leverage)[:, None]
        score = float(np.mean(errors ** 2))
        if best is None or score < best[0]:
            best = (score, smoothing, errors)
    _, smoothing, errors = best
    return RBFInterpolator(unit, values, smoothing=smoothing, degree=1), errors


def _normal_log_likelihood(deviations: np.ndarray, spreads: np.ndarray, correlation: np.ndarray) -> np.ndarray:
    """The normal log density of the deviations per point ([point, figure],
    in fixed units per figure), covariance spread x correlation x spread,
    over the directions in which the figures vary apart: figures that move
    together exactly (a saving that is a count times a price) count once,
    in the quadratic form and in the determinant alike."""
    eigenvalues = np.linalg.eigvalsh(correlation)
    kept = int(np.sum(eigenvalues > REDUNDANT * eigenvalues.max()))
    covariance = spreads[:, :, None] * correlation[None] * spreads[:, None, :]
    variances, directions = np.linalg.eigh(covariance)           # ascending
    variances, directions = variances[:, -kept:], directions[:, :, -kept:]
    projected = np.einsum("pf,pfk->pk", deviations, directions)
    return -0.5 * np.sum(projected ** 2 / variances + np.log(variances), axis=1)


def _where_it_lies(posterior: Posterior, region: np.ndarray, searched: np.ndarray) -> tuple[np.ndarray, bool]:
    """The region for the next round, and whether it is worth another round:
    the posterior's central 99.9 % with a quarter of its width added each
    side, when that is much narrower than this round's region; and half a
    region further out where the posterior is high at an edge of the region
    that is not a search bound (the emulator was fitted on the wrong side)."""
    next_region = np.empty_like(region)
    moved = False
    for column in range(len(region)):
        low, high = posterior.quantiles(column, [0.0005, 0.9995])
        width = region[column, 1] - region[column, 0]
        pad = 0.25 * max(high - low, 1e-3 * width)
        next_region[column] = [max(low - pad, searched[column, 0]), min(high + pad, searched[column, 1])]
        if next_region[column, 1] - next_region[column, 0] < 0.6 * width:
            moved = True
        else:
            next_region[column] = region[column]
        for side, density in enumerate(posterior.density_at_edges(column, *region[column])):
            outward = region[column, side] + (0.5 * width if side else -0.5 * width)
            if density >= PILED_UP and region[column, side] != searched[column, side]:
                next_region[column, side] = min(max(outward, searched[column, 0]), searched[column, 1])
                moved = True
    return next_region, moved


def _piled_at_search_bounds(posterior: Posterior, region: np.ndarray, searched: np.ndarray) -> np.ndarray:
    """[parameter, side]: the posterior is high at a bound of the search."""
    piled = np.zeros((len(region), 2), dtype=bool)
    for column in range(len(region)):
        densities = posterior.density_at_edges(column, region[column, 0], region[column, 1])
        for side in (0, 1):
            at_bound = np.isclose(region[column, side], searched[column, side])
            piled[column, side] = at_bound and densities[side] >= PILED_UP
    return piled


def _widened(scenario: Scenario, path: str, searched: np.ndarray, side: int, field_limits: np.ndarray) -> float:
    """The bound moved out by the range's width, or as far as the field
    accepts (found by bisection; recorded in ``field_limits``)."""
    if searched[side] == field_limits[side]:
        return float(searched[side])
    width = searched[1] - searched[0]
    inside, target = searched[side], searched[side] + (width if side else -width)
    if _accepted(scenario, path, target):
        return float(target)
    for _halving in range(40):
        middle = (inside + target) / 2
        if _accepted(scenario, path, middle):
            inside = middle
        else:
            target = middle
    field_limits[side] = inside
    return float(inside)


def _accepted(scenario: Scenario, path: str, value: float) -> bool:
    """Whether the scenario takes the value, with the other free routes of
    the same stage at their highs (which it must take too)."""
    keys = path.split(".")
    values = {path: value}
    if len(keys) == 4 and keys[2] == "outcomes":
        prefix = ".".join(keys[:3]) + "."
        values |= {other: free.high for other, free in scenario.free.items()
                   if other.startswith(prefix) and other != path and free.complement is None}
    try:
        with_free_values(scenario, values)
    except ScenarioError:
        return False
    return True


def posterior_draws(result: CalibrationResult, draws: int = 2000) -> pd.DataFrame:
    """Parameter values drawn from the posterior (systematic resampling of
    its weighted points, so the same result always gives the same draws)."""
    cumulative = np.cumsum(result.posterior.weights)
    picks = np.minimum(np.searchsorted(cumulative, (np.arange(draws) + 0.5) / draws), len(cumulative) - 1)
    return pd.DataFrame(result.posterior.points[picks], columns=list(result.scenario.free))


def check_fit(result: CalibrationResult, draws: int = 100, replications: int = 4,
              workers: int | None = None) -> pd.DataFrame:
    """Every published figure, held-out ones included, against what the fit
    predicts: ``draws`` parameter values from the posterior, each run
    ``replications`` times on replications of its own, so that the 90 %
    band holds what the figures leave uncertain as well as chance. A
    parameter the data do not bound keeps the scenario's own value, as in
    the fitted file: its posterior is the search range's, not the data's."""
    observations = result.observed.observations
    months = sorted({o.month for o in observations})
    simulated: dict[str, list[np.ndarray]] = {label(o): [] for o in observations}
    bounded = [path for path, sides in result.unbounded.items() if not any(sides)]
    with executors.shared(workers):
        for index, values in enumerate(posterior_draws(result, draws)[bounded].to_dict("records")):
            candidate = with_free_values(result.scenario, values)
            for month in months:
                at_month = with_changes(candidate, {"horizon_months": month}, f"prediction at month {month:g}")
                outcomes = run(at_month, replications, seed=result.seed, workers=workers,
                               first_replication=index * replications).outcomes
                for observation in (o for o in observations if o.month == month):
                    simulated[label(observation)].append(
                        outcome_values(outcomes, observation, result.scenario, result.observed))
    return figures_against(result.observed, {name: np.concatenate(runs) for name, runs in simulated.items()})
