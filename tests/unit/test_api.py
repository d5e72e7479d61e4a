"""The Python API: the same steps as the command, as functions."""

import pytest

from sim import api as pilotsim


def test_load_change_run_figures_and_save(tmp_path):
    scenario = pilotsim.load("brunssum_logistics_2021", {"stages.training.slots": 45})
    assert scenario.stages["training"].slots == 45
    wider = pilotsim.change(scenario, {"stages.training.slots": 60, "name": "brunssum_60"})
    assert (wider.stages["training"].slots, wider.name, scenario.stages["training"].slots) == (60, "brunssum_60", 45)
    result = pilotsim.run(wider, 20, workers=1)
    assert len(result.outcomes) == 20
    assert result.summary().loc["placed", "mean"] == pytest.approx(result.outcomes["placed"].mean())
    assert {"placements.png", "states_over_time.png", "npv.png"} <= set(pilotsim.figures(result))
    folder = pilotsim.save(result, tmp_path / "out")
    assert (folder / "replications.csv").is_file() and (folder / "plots" / "placements.png").is_file()


def test_a_change_that_does_not_fit_is_refused_with_one_line_per_problem():
    scenario = pilotsim.load("brunssum_logistics_2021")
    with pytest.raises(pilotsim.ScenarioError) as raised:
        pilotsim.change(scenario, {"stages.training.slots": 0, "referrals.acceptance": 1.5})
    assert len(raised.value.problems) == 2
    assert len(str(raised.value).splitlines()) == 2


def test_every_shipped_scenario_loads_by_name():
    names = pilotsim.shipped_scenarios()
    assert "brunssum_logistics_2021" in names
    assert all(pilotsim.load(name).name == name for name in names)
