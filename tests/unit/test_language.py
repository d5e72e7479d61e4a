"""Dutch and English: the catalogue is complete, numbers follow the locale,
and the language is chosen as the help says."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.parametrize("amount, english, dutch", [
    (1_045_000, "€1.0m", "€ 1,0 mln."),  # beside €968k, not "€1m": the change stays visible
    (968_000, "€968k", "€ 968K"),
    (999_600, "€1.0m", "€ 1,0 mln."),    # rounds up into the next unit, with its decimal
    (9_960_000, "€10m", "€ 10 mln."),     # two figures, not 10.0
    (12_345_678, "€12m", "€ 12 mln."),
    (6_381, "€6.4k", "€ 6,4K"),           # the same short form as €536k in one sentence
    (9_960, "€10k", "€ 10K"),
    (640.4, "€640", "€ 640"),
    (-1_045_000, "-€1.0m", "€ -1,0 mln."),  # the minus where each language puts it (€ -1.887.694)
    (-254_000, "-€254k", "€ -254K"),
])
def test_money_in_short_keeps_two_significant_figures_in_both_languages(amount, english, dutch):
    with speaking("en"):
        assert language.money(amount) == english
    with speaking("nl"):
        assert language.money(amount).replace("\u00a0", " ") == dutch
        assert " " not in language.money(amount)  # never broken across lines


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


def test_a_chart_shown_later_keeps_the_language_it_was_made_in():
    # A notebook makes a Dutch chart inside `speaking("nl")` and shows it after
    # the block: its axis numbers are formatted when drawn, and were English.
    import io

    from sim.output.style import Chart, thousands_axis

    with speaking("nl"):
        figure = Chart()
        axes = figure.subplots()
        axes.plot([0, 1], [0, 1750])
        thousands_axis(axes.yaxis)

    def drawn() -> list[str]:  # as last drawn (get_yticklabels would format them anew)
        return [tick.label1.get_text() for tick in axes.yaxis.majorTicks]

    with speaking("en"):
        figure.savefig(io.BytesIO(), format="png")
        assert "1.500" in drawn()
        figure._repr_png_()
        assert "1.500" in drawn() and "1,500" not in drawn()


@pytest.mark.parametrize(("code", "typed", "read"), [
    ("nl", "6.000", 6000), ("nl", "2,5", 2.5), ("nl", "1.500,25", 1500.25), ("nl", "€ 1.500", 1500),
    ("en", "6,000", 6000), ("en", "6.000", 6), ("en", "2.5", 2.5), ("en", " 7 ", 7)])
def test_a_typed_figure_is_read_as_the_language_writes_it(code, typed, read):
    with speaking(code):
        assert language.read_number(typed) == read


@pytest.mark.parametrize(("code", "typed", "example"), [
    ("nl", "2.5", "1.500 of 2,5"), ("en", "2,5", "1,500 or 2.5"), ("en", "nan", "1,500 or 2.5"),
    ("en", "six", "1,500 or 2.5")])
def test_a_figure_that_is_not_one_says_how_to_write_it(code, typed, example):
    with speaking(code), pytest.raises(ValueError, match=example):
        language.read_number(typed)


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False).map(lambda value: round(value, 4)),
       st.sampled_from(["en", "nl"]))
def test_a_figure_shown_in_a_field_reads_back_as_itself(value, code):
    with speaking(code):
        assert language.read_number(language.entered(value)) == value


def test_a_number_is_written_the_same_whether_or_not_it_was_written_before():
    # Formatted numbers are remembered; -0.0 and 0.0 are one key to the memory.
    from sim.language import _remembered_decimal

    _remembered_decimal.cache_clear()
    first = [language.entered(-0.0), language.entered(0.0), language.number(1234.5, 1)]
    again = [language.entered(0.0), language.entered(-0.0), language.number(1234.5, 1)]
    assert first == ["0", "0", "1,234.5"] and again == ["0", "0", "1,234.5"]
    with language.speaking("nl"):
        assert language.number(1234.5, 1) == "1.234,5"  # the same number, remembered per language
