"""One registry of columns: every column a run writes is in it, once, in words."""

import pytest

from sim.measure import columns
from sim.measure.money import not_estimated
from sim.run.runner import run
from sim.scenario.files import load_scenario
from sim.scenario.shipped import resolve


def test_every_column_a_run_writes_is_registered_with_a_label_and_a_unit():
    # Heerlen merged has a budget and a caseload section: every group of columns.
    result = run(load_scenario(resolve("heerlen_merged")), 2, seed=1, workers=1)
    written = [name for name in result.outcomes.columns if name != "replication"]
    registered = [columns.column(name) for name in written]
    assert {column.unit for column in registered} <= {"people", "months", "month", "share", "ratio", "EUR"}
    labels = [column.words for column in registered]  # the label as shown, a per-stage one with its stage
    assert all(labels) and len(set(labels)) == len(labels)
    assert any(name.startswith("entered_") for name in written)
    # Counts of people are stored as whole numbers, the rest as floats;
    # what the scenario cannot estimate (it has no counterfactual) is empty.
    missing = not_estimated(result.scenario)
    assert "net_into_work" in missing and result.outcomes["net_into_work"].isna().all()
    for column in registered:
        if column.whole_people and column.name not in columns.names(columns.CASELOAD) + tuple(missing):
            assert result.outcomes[column.name].dtype.kind == "i", column.name


def test_an_unknown_column_is_refused_and_breakdowns_name_their_whole():
    with pytest.raises(KeyError):
        columns.column("placements")
    part_time = columns.column("placed_part_time")
    assert part_time.part_of == "placed" and part_time.table_label == "  of whom part-time"
    assert columns.column("npv").table_label == "Net present value (€ thousand)"


def test_values_are_shown_in_the_unit_of_their_column():
    assert columns.column("npv").formatted(1_234_567) == "1,235"  # in thousands, as its label says
    assert columns.column("slot_utilisation").formatted(0.6612) == "66.1 %"
    assert columns.column("placed").formatted(77.94, spread=True) == "78"
    assert columns.column("mean_wait_months").formatted(1.234) == "1.23"
