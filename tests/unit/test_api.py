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


def test_a_run_plan_settles_what_the_command_leaves_open(tmp_path):
    scenario = pilotsim.load("brunssum_logistics_2021")
    plan = pilotsim.plan_run(scenario, 200, workers=1)
    assert plan.folder == pilotsim.default_folder("brunssum_logistics_2021")
    assert plan.per_replication and plan.keep_clients  # a budget: clients kept so money can be recomputed
    assert not plan.with_chance_alone and plan.total == 200
    large = pilotsim.plan_run(scenario, pilotsim.SUMMARY_ONLY_ABOVE + 1, workers=1)
    assert not large.per_replication and not large.keep_clients
    uncertain = pilotsim.plan_run(scenario, 30, workers=1, with_uncertainty=True, folder=tmp_path / "u")
    assert uncertain.with_chance_alone and uncertain.total == 60
    done = pilotsim.run_and_save(uncertain)
    assert done.chance_alone is not None and done.result.replications == 30
    assert (tmp_path / "u" / "plots" / "uncertainty_placed.png").is_file()


def test_plans_refuse_before_anything_is_written(tmp_path):
    scenario = pilotsim.load("brunssum_logistics_2021")
    with pytest.raises(pilotsim.ScenarioError, match="different names"):
        pilotsim.plan_compare([scenario, scenario], 10, workers=1, folder=tmp_path / "c")
    with pytest.raises(pilotsim.ScenarioError, match="no uncertain parameters"):
        pilotsim.plan_run(pilotsim.load("groningen_1000_banen_2018"), 10, with_uncertainty=True)
    with pytest.raises(pilotsim.ScenarioError, match="LOW < HIGH"):
        pilotsim.plan_size(scenario, "stages.training.slots=50:10", "placed>=60")
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_reaches_pilotsim_only_through_the_api():
    import ast
    from pathlib import Path

    import sim.cli

    tree = ast.parse(Path(sim.cli.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {f"sim.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and node.module == "sim" for alias in node.names}
    assert {name for name in imported if name.startswith("sim")} <= {"sim", "sim.api", "sim.measure",
                                                                      "sim.measure.columns"}, imported


def test_money_per_calendar_year_and_amounts_as_the_report_says_them():
    scenario = pilotsim.load("brunssum_logistics_2021")
    result = pilotsim.run(scenario, 20, workers=1)
    years = pilotsim.money_per_year(result)  # what `pilotsim run` writes as money_per_year.csv
    assert list(years.index) == list(range(2021, 2027))
    assert years.loc[2021, "first_month"] == "2021-11" and years.loc[2021, "months_counted"] == 2
    assert years["months_counted"].sum() == pilotsim.count_until_month(scenario)
    assert years["discounted_net_mean"].sum() == pytest.approx(result.outcomes["npv"].mean())
    with pilotsim.speaking("nl"):  # the report's words, not "€ 255K"
        assert pilotsim.thousand_euros(254_400) == "€ 254 duizend"
        assert pilotsim.column("npv").words == "Netto contante waarde"
        assert pilotsim.moment(scenario.calendar_start, 48) == "eind okt 2025 (maand 48)"
    assert pilotsim.field_value("budget.costs.per_participant", 5500) == "€\u00a05,500"
