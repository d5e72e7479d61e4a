"""Shared helpers: small scenarios written as plain data, so each test shows
exactly the programme it is about."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from sim.scenario.files import scenario_from_dict
from sim.scenario.schema import Scenario

# The tests read English unless they choose a language, whatever the
# machine's locale (the commands they start inherit this).
os.environ["PILOTSIM_LANG"] = "en"

PROJECT = Path(__file__).resolve().parent.parent
REFERENCE = PROJECT / "scenarios" / "brunssum_logistics_2021.yaml"

BASE = {
    "name": "test_programme",
    "horizon_months": 24,
    "replications": 20,
    "seed": 7,
    "referrals": {"process": "cohorts", "every_months": 100, "cohort_size": 10, "from_month": 0},
    "stages": {
        "training": {"duration": 3, "outcomes": {"job": 1.0}},
    },
}


def deep_update(base: dict, changes: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and not key.startswith("="):
            merged[key] = deep_update(merged[key], value)
        else:
            merged[key.lstrip("=")] = value
    return merged


def make_scenario(changes: dict | None = None) -> Scenario:
    """BASE with ``changes`` merged in; a key written as ``=key`` replaces
    that section whole instead of merging into it."""
    return scenario_from_dict(deep_update(BASE, changes or {}))


@pytest.fixture
def write_yaml(tmp_path):
    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
