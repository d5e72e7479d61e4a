"""Dutch and English: the catalogue is complete, numbers follow the locale,
and the language is chosen as the help says."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sim import language
from sim.language import speaking

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "sim" / "locale" / "nl" / "LC_MESSAGES" / "pilotsim.po"


def messages_in_the_code() -> set:
    found = set()
    method_map = [("sim/**.py", "python"), ("sim/templates/**.j2", "jinja2")]
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue() -> dict:
    with CATALOGUE.open("rb") as po_file:
        read = read_po(po_file, locale="nl")
    return {(m.id if isinstance(m.id, str) else tuple(m.id)): m for m in read if m.id}


def test_every_message_in_the_code_has_its_dutch_and_the_catalogue_nothing_else():
    in_code, translated = messages_in_the_code(), catalogue()
    assert len(in_code) > 20  # the extraction found the code's words at all
    untranslated = sorted(str(m) for m in in_code if m not in translated or not any(
        translated[m].string if isinstance(translated[m].string, tuple) else [translated[m].string]))
    assert untranslated == [], f"run `make messages` and translate in {CATALOGUE.relative_to(ROOT)}: {untranslated}"
    assert sorted(str(m) for m in set(translated) - in_code) == [], "gone from the code: run `make messages`"
    assert not [m.id for m in translated.values() if m.fuzzy], "fuzzy translations are not used"


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_each_translation_fills_in_the_same_figures_as_the_english():
    for message in catalogue().values():
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        dutch = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in dutch:
            assert placeholders(form) == placeholders(english[-1]), message.id


def test_numbers_money_and_months_follow_the_language():
    import datetime as dt

    november = dt.date(2024, 11, 1)
    with speaking("nl"):
        assert language.number(1887.6) == "1.888"
        assert language.percent(0.543, 1) == "54,3 %"
        assert language.money(1_887_694) == "€\xa01,9\xa0mln."  # never broken across lines
        assert language.euros(-1_887_694) == "€\xa0-1.887.694"
        assert language.month_and_year(november) == "nov 2024"
        assert language.moment("2021-11", 36) == "eind okt 2024 (maand 36)"
    with speaking("en"):
        assert language.number(1887.6) == "1,888"
        assert language.percent(0.543, 1) == "54.3 %"
        assert language.percent(-0.001) == "0 %"  # an estimate a hair below zero is no loss to show
        assert language.money(1_887_694) == "€1.9m"
        assert language.month_and_year(november) == "Nov 2024"
        assert language.moment("2021-11", 36) == "the end of Oct 2024 (month 36)"
        assert language.moment(None, 36) == "month 36"
    # Money that could not be estimated is said so, in each language; never 0.
    with speaking("nl"):
        assert language.money(float("nan")) == "niet geschat"


@pytest.mark.parametrize("settings, expected", [
    ({"PILOTSIM_LANG": "nl", "LANG": "en_GB.UTF-8"}, "nl"),
    ({"LANG": "nl_NL.UTF-8"}, "nl"),
    ({"LC_ALL": "nl_BE.UTF-8", "LANG": "en_US.UTF-8"}, "nl"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({}, "en"),
])
def test_the_language_follows_the_setting_then_the_locale_else_english(monkeypatch, settings, expected):
    for name in ("PILOTSIM_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert language.from_environment() == expected
    with speaking(None):
        assert language.current() == expected
