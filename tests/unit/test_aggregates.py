"""Distributions gathered chunk by chunk: exact where the module says so,
within one bin elsewhere, and the same run written either way."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.measure.statistics import summarise
from sim.output.run_folder import write_results
from sim.run.aggregates import BINS, Binned
from sim.run.runner import run
from sim.scenario.files import load_scenario
from tests.conftest import REFERENCE

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)


def gathered(values: np.ndarray, chunks: int) -> Binned:
    binned = Binned([f"s{i}" for i in range(values.shape[1])])
    for chunk in np.array_split(values, chunks):
        binned.add(chunk)
    return binned


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), level=st.integers(0, 5000), spread=st.integers(1, 600),
       chunks=st.integers(1, 9))
def test_whole_numbers_give_numpys_quantiles_exactly(seed, level, spread, chunks):
    rng = np.random.default_rng(seed)
    values = (level + rng.integers(-spread, spread + 1, size=(300, 3))).astype(float)
    binned = gathered(values, chunks)
    np.testing.assert_array_equal(binned.quantiles(QUANTILES), np.quantile(values, QUANTILES, axis=0))
    threshold = level + 1
    assert binned.at_least("s0", threshold) == np.count_nonzero(values[:, 0] >= threshold)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 1e7), chunks=st.integers(1, 9))
def test_mean_and_sd_are_exact_and_fractions_within_one_bin(seed, scale, chunks):
    rng = np.random.default_rng(seed)
    values = rng.normal(scale, scale / 3, size=(400, 2))
    values[200:, 1] *= -4  # later values outside the first range: bins double, down and up
    binned = gathered(values, chunks)
    np.testing.assert_allclose(binned.mean, values.mean(axis=0), rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(binned.sd(), values.std(axis=0, ddof=1), rtol=1e-9)
    error = np.abs(binned.quantiles(QUANTILES[1:-1]) - np.quantile(values, QUANTILES[1:-1], axis=0))
    assert (error <= binned.width).all(), (error / binned.width).max()
    assert (binned.lowest == values.min(axis=0)).all() and (binned.highest == values.max(axis=0)).all()


def test_missing_values_are_counted_apart():
    values = np.array([[1.0], [np.nan], [3.0], [np.nan]])
    binned = gathered(values, 2)
    assert binned.n[0] == 2 and binned.missing[0] == 2 and binned.mean[0] == 2.0
    summary = binned.summary()
    expected = summarise(pd.DataFrame({"s0": values[:, 0]}))
    pd.testing.assert_frame_equal(summary, expected, check_dtype=False)


def test_a_wide_range_of_whole_numbers_falls_back_to_wider_bins():
    values = np.arange(0, 4 * BINS, dtype=float)[:, None]
    binned = gathered(values, 4)
    assert binned.width[0] > 1
    assert abs(binned.quantiles((0.5,))[0, 0] - np.median(values)) <= binned.width[0]


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    scenario = load_scenario(REFERENCE)
    kept = run(scenario, 400, seed=3, workers=2)
    streamed = run(scenario, 400, seed=3, workers=2, keep_replications=False)
    folder = tmp_path_factory.mktemp("summary_only") / "run"
    write_results(streamed, folder)
    return kept, streamed, folder


def test_a_summary_only_run_keeps_nothing_per_replication_in_memory(both_ways):
    _, streamed, _ = both_ways
    assert streamed.outcomes is None and streamed.monthly is None and streamed.cashflow is None
    assert streamed.replications == 400


def test_a_summary_only_run_summarises_as_the_full_run(both_ways):
    kept, streamed, _ = both_ways
    full, summary = kept.summary(), streamed.summary()
    counts = [c for c in full.index if (kept.outcomes[c] == kept.outcomes[c].round()).all()]
    pd.testing.assert_frame_equal(summary.loc[counts, ["q05", "q50", "q95", "n"]],
                                  full.loc[counts, ["q05", "q50", "q95", "n"]], check_dtype=False)
    np.testing.assert_allclose(summary["mean"], full["mean"], rtol=1e-12)
    np.testing.assert_allclose(summary["sd"], full["sd"], rtol=1e-9)
    assert streamed.chance("placed", 78) == kept.chance("placed", 78)
    # Monthly fan charts of people: exact.
    waiting = kept.states.index("waiting_list")
    np.testing.assert_array_equal(streamed.aggregates.state_fan(waiting, QUANTILES),
                                  np.quantile(kept.monthly[:, :, waiting], QUANTILES, axis=0))


def test_a_summary_only_folder_has_the_rows_on_parquet_and_the_months_as_distributions(both_ways):
    kept, _, folder = both_ways
    rows = pd.read_parquet(folder / "replications.parquet")
    pd.testing.assert_frame_equal(rows, kept.outcomes, check_exact=True)
    months = pd.read_csv(folder / "timeseries_summary.csv")
    assert len(months) == len(kept.months) * len(kept.states)
    in_work = months[months["state"] == "employed_full_time"]["q50"].to_numpy()
    column = kept.states.index("employed_full_time")
    np.testing.assert_array_equal(in_work, np.median(kept.monthly[:, :, column], axis=0))
    assert not (folder / "timeseries.parquet").exists() and not (folder / "replications.csv").exists()
    assert (folder / "plots" / "cumulative_net_saving.png").is_file()


def test_a_summary_only_run_is_the_same_bit_for_bit_however_it_is_cut_into_chunks():
    # Chunk sizes follow the measured speed of the machine and chunks finish in
    # any order, so the distributions must not depend on either.
    scenario = load_scenario(REFERENCE)
    ways = [run(scenario, 90, seed=3, workers=workers, chunk_size=size, keep_replications=False)
            for workers, size in ((1, 90), (1, 7), (2, 4), (2, 13))]
    first = ways[0]
    for other in ways[1:]:
        pd.testing.assert_frame_equal(other.summary(), first.summary(), check_exact=True)
        pd.testing.assert_frame_equal(other.aggregates.money_per_year(), first.aggregates.money_per_year(),
                                      check_exact=True)
        np.testing.assert_array_equal(other.aggregates.cumulative_net_fan(QUANTILES),
                                      first.aggregates.cumulative_net_fan(QUANTILES))


def test_the_intervals_worked_out_without_scipy_stats_are_scipy_stats_own():
    from scipy import stats

    from sim.measure.statistics import t_quantile, wilson_interval

    for trials in (1, 2, 7, 200, 1000):
        for hits in range(trials + 1):
            expected = stats.binomtest(hits, trials).proportion_ci(confidence_level=0.95, method="wilson")
            assert np.allclose(wilson_interval(hits, trials), (expected.low, expected.high), rtol=0, atol=1e-12)
    for freedom in (1, 2, 9, 999, 10**6):
        assert abs(t_quantile(0.975, freedom) - stats.t.ppf(0.975, freedom)) < 1e-12


def test_a_command_does_not_wait_for_the_statistics_libraries_it_does_not_use():
    # scipy.stats, scipy.optimize and SALib take about half a second to load; a run needs none of them.
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import sys, sim.cli; print(sorted(name for name in "
                             "('scipy.stats', 'scipy.optimize', 'SALib') if name in sys.modules))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
