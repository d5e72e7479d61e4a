"""Stays in stages as researchers read them: visits.parquet (with
--keep-clients) and the mean wait before each stage people move on to."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.measure.outcomes import outcome_rows, visit_columns
from sim.model import engine, processes
from sim.scenario.files import dump_scenario
from tests.conftest import make_scenario

ENGINES = {"fast": engine.simulate_chunk, "processes": processes.simulate_chunk}


def two_stages(**referrals):
    # Two people at month 0 train (two places, 2 months), then share one
    # placement place (3 months): the second waits 3 months for it.
    return make_scenario({"referrals": {"cohort_size": 2, **referrals}, "=stages": {
        "training": {"slots": 2, "duration": 2, "next": "placement"},
        "placement": {"slots": 1, "duration": 3, "outcomes": {"job": 1.0}},
    }})


@pytest.mark.parametrize("simulate_chunk", ENGINES.values(), ids=ENGINES)
def test_the_wait_before_a_stage_is_the_wait_for_its_place(simulate_chunk):
    scenario = two_stages()
    chunk = simulate_chunk(scenario, 7, 0, 1)
    visits = visit_columns(chunk.replication(0), 0)
    rows = list(zip(visits["client"].tolist(), visits["stage"].tolist(), visits["wait_before"].tolist(),
                    visits["start"].tolist(), visits["end"].tolist()))
    assert rows == [(0, 0, 0, 0, 2), (0, 1, 0, 2, 5), (1, 0, 0, 0, 2), (1, 1, 3, 5, 8)]
    row = dict(zip(("entered_training", "placed_from_training", "entered_placement", "placed_from_placement",
                    "mean_wait_before_placement"), outcome_rows(scenario, chunk)[0][-5:]))
    assert row["mean_wait_before_placement"] == 1.5


def test_a_stage_nobody_waits_to_move_on_to_has_no_mean_wait_column():
    scenario = make_scenario({"stages": {"training": {"slots": 3}}})  # one stage: nobody moves on
    from sim.measure.columns import outcome_names

    assert not any(name.startswith("mean_wait_before_") for name in outcome_names(scenario))
    assert "mean_wait_before_placement" in outcome_names(two_stages())


def test_keep_clients_writes_one_row_per_stay_matching_the_client_records(tmp_path):
    scenario = make_scenario({"horizon_months": 30, "referrals": {"process": "poisson", "rate_per_month": 4,
                                                                   "until_month": 20},
                              "=stages": {"training": {"slots": 6, "duration": {"dist": "exponential", "mean": 3},
                                                       "dropout": {"probability": 0.2}, "next": "placement"},
                                          "placement": {"slots": 2, "duration": 2,
                                                        "outcomes": {"job": 0.7, "training": 0.3}}}})
    path = tmp_path / "s.yaml"
    path.write_text(dump_scenario(scenario))
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(path), "-n", "6", "--keep-clients", "--workers", "1",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    visits, clients = pd.read_parquet(out / "visits.parquet"), pd.read_parquet(out / "clients.parquet")
    assert list(visits.columns) == ["replication", "client", "stage", "visit", "wait_before", "start", "end", "ended"]
    for stage in ("training", "placement"):
        counted = visits[visits.stage == stage].groupby(["replication", "client"]).size()
        kept = clients.set_index(["replication", "client"])[f"{stage}_visits"]
        assert counted.reindex(kept.index, fill_value=0).tolist() == kept.tolist()
    assert set(visits.ended) <= {"completed", "dropped_out", "found_work_on_own", "still_in"}
    assert (visits.ended == "dropped_out").sum() == (clients.final_state == "dropped_out").sum()
    assert visits.end.isna().equals(visits.ended == "still_in")
    assert (visits.wait_before >= 0).all() and (visits.wait_before[visits.stage == "placement"] > 0).any()
    # The mean per replication in replications.csv is the mean over stays people moved on to.
    table = pd.read_csv(out / "replications.csv").set_index("replication")
    moved_on = visits[(visits.stage == "placement")]
    mean = moved_on.groupby("replication").wait_before.mean()
    assert np.allclose(table.loc[mean.index, "mean_wait_before_placement"], mean, rtol=1e-12)
