"""Words, numbers, money and dates in the reader's language: English or Dutch.

Every sentence, label and title pilotsim shows is written in English in the
code, inside ``_()``; the Dutch comes from the message catalogue
``sim/locale/nl/LC_MESSAGES/pilotsim.po`` (Babel reads it; ``make messages``
brings it up to date with the code). A label kept in a table of constants is
marked with ``N_()`` and translated where it is shown, because the language
is chosen after the constants are made.

Numbers, money and dates are formatted by Babel from the locale's own rules
(CLDR): 1,888 and €1.9m in English, 1.888 and € 1,9 mln. in Dutch.

The language of a command is set once, by ``speaking``; everything drawn or
written inside it uses that language. Without ``--lang`` it follows the
PILOTSIM_LANG setting, then the system's locale, else English.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import functools
import gettext
import io
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel import Locale, dates, numbers

#: The languages pilotsim writes, by code, in their own words.
LANGUAGES = {"en": "English", "nl": "Nederlands"}
#: The locale whose number, money and date rules each language follows.
LOCALES = {"en": "en_GB", "nl": "nl_NL"}
#: English is what the code is written in: it has no catalogue.
SOURCE_LANGUAGE = "en"
CATALOGUE_DOMAIN = "pilotsim"
CATALOGUES = Path(__file__).resolve().parent / "locale"

_current: ContextVar[str | None] = ContextVar("pilotsim_language", default=None)


def from_environment() -> str:
    """PILOTSIM_LANG if set, else the first of the locale settings that is
    set (as gettext reads them), if it names a language pilotsim writes;
    else English."""
    chosen = os.environ.get("PILOTSIM_LANG")
    if chosen:
        return chosen if chosen in LANGUAGES else SOURCE_LANGUAGE
    for setting in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(setting)
        if value:
            code = value.split(":")[0].split("_")[0].split(".")[0].lower()
            return code if code in LANGUAGES else SOURCE_LANGUAGE
    return SOURCE_LANGUAGE


def current() -> str:
    """The language of what is being written now."""
    return _current.get() or from_environment()


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Write in ``language`` (None: as the environment says) inside the block."""
    chosen = language or from_environment()
    if chosen not in LANGUAGES:
        raise ValueError(f"unknown language '{chosen}' (expected one of: {', '.join(LANGUAGES)})")
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    # The catalogue ships as text, so that a translator can edit it and a
    # reviewer read the change; compiled here once per process.
    path = CATALOGUES / language / "LC_MESSAGES" / f"{CATALOGUE_DOMAIN}.po"
    with path.open("rb") as po_file:
        catalogue = read_po(po_file, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _(message: str) -> str:
    """``message`` in the current language."""
    return _translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural of a message, in the current language."""
    return _translations(current()).ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 (the name extraction tools look for)
    """Marks a message to be translated where it is shown, not here."""
    return message


def locale() -> Locale:
    return _parsed(LOCALES[current()])


@functools.cache
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


@functools.lru_cache(maxsize=8192)
def _remembered_decimal(value: float, pattern: str, language: str) -> str:
    return numbers.format_decimal(value, format=pattern, locale=_parsed(LOCALES[language]))


def _decimal(value: float, pattern: str, language: str) -> str:
    """A number in ``pattern`` as ``language`` writes it. Remembered: a plot
    formats each tick's number several times while laying itself out, and
    Babel takes about 15 us a number. (To the memory -0.0 is 0.0, so it is
    written as 0 whichever comes first.)"""
    return _remembered_decimal(value + 0.0 if isinstance(value, float) else value, pattern, language)


# --- numbers -----------------------------------------------------------------------


def number(value: float, decimals: int = 0) -> str:
    """1,888.5 or 1.888,5 (``decimals`` after the point)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("n/a")
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    if round(value, decimals) == 0:
        value = 0  # no "-0": a loss too small to show is no loss
    return _decimal(value, pattern, current())


def separators() -> tuple[str, str]:
    """The decimal sign and the thousands separator: (".", ",") in English,
    (",", ".") in Dutch."""
    return numbers.get_decimal_symbol(locale()), numbers.get_group_symbol(locale())


def entered(value: float) -> str:
    """A figure as a person would type it in a field: 6,000 and 7.5 in
    English, 6.000 and 7,5 in Dutch (``read_number`` reads it back)."""
    return _decimal(value, "#,##0.##########", current())


def read_otherwise(text: str) -> float | None:
    """What the other language reads in ``text`` where it groups thousands
    in that language's way and so means something else here: "6.000" is six
    in English and six thousand in Dutch. None where the reading is the same
    or the other language reads no number."""
    decimal_sign, group = separators()
    if not re.fullmatch(rf"[1-9]\d{{0,2}}({re.escape(decimal_sign)}\d{{3}})+", text.strip()):
        return None
    return float(text.strip().replace(decimal_sign, ""))


def read_number(text: str) -> float:
    """A figure as typed in the reader's language: "6.000" is six thousand
    in Dutch and six in English, "2,5" two and a half in Dutch. Raises
    ValueError, with an example of how to write it, for anything else
    (a browser's own number field would silently read "6.000" as 6)."""
    cleaned = text.replace("€", "").replace("\u00a0", " ").strip()
    try:
        value = float(numbers.parse_decimal(cleaned, locale=locale(), strict=True))
        if not math.isfinite(value):  # "nan", "inf": Python's words, not a person's figure
            raise numbers.NumberFormatError(text)
        return value
    except (numbers.NumberFormatError, decimal.InvalidOperation):
        raise ValueError(_("“{text}” is not a number: write, for example, {example}").format(
            text=text.strip(), example=_("{whole} or {part}").format(
                whole=entered(1500), part=entered(2.5)))) from None


def significant(value: float, digits: int = 3) -> str:
    """A figure to ``digits`` significant digits, the rest of a whole number kept: 1,023, 3.84, 0.0145."""
    if value is None or math.isnan(value):
        return _("n/a")
    if value == 0 or abs(value) >= 10 ** (digits - 1):
        return number(value)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    value = round(value, decimals)
    return _decimal(value, "#,##0." + "#" * decimals, current())


def percent(share: float, decimals: int = 0) -> str:
    """A share as a percentage: 54 % (the space as in both languages' style guides for science)."""
    if share is None or math.isnan(share):
        return _("n/a")
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    if round(100 * share, decimals) == 0:
        share = 0  # no "-0 %", as number() shows no "-0"
    return _decimal(100 * share, pattern, current()) + " %"


# --- money -------------------------------------------------------------------------


def euros(amount: float) -> str:
    """Whole euros: € 1,887,694 or € 1.887.694."""
    if amount is None or math.isnan(amount):
        return _("not estimated")
    return numbers.format_currency(round(amount), "EUR", format="¤\u00a0#,##0;¤\u00a0-#,##0", locale=locale(),
                                   currency_digits=False)


def money(amount: float) -> str:
    """An amount as a sentence says it: the locale's short form, to at least
    two significant figures. €640, €6.4k, €968k, €1.0m, €12m; in Dutch
    € 640, € 6,4K, € 968K, € 1,0 mln., € 12 mln. (the spaces unbreakable).
    A decimal that is zero is kept: €1.0m beside €968k shows how close they are."""
    if amount is None or math.isnan(amount):
        return _("not estimated")
    return _compact(decimal.Decimal(int(round(amount))))


def _compact(value: decimal.Decimal) -> str:
    """Babel's compact currency, with one decimal below 10 of the unit
    (Babel drops a decimal that is zero: €1m for 1,045,000)."""
    spoken = locale()
    forms = spoken.compact_currency_formats["short"]
    magnitudes = sorted((int(magnitude) for magnitude in forms["other"]), reverse=True)
    for larger, magnitude in zip([None, *magnitudes], magnitudes):
        if abs(value) < magnitude:
            continue
        pattern = forms["other"][str(magnitude)]
        divisor = magnitude // 10 ** (pattern.pattern.count("0") - 1)
        scaled = value / divisor
        decimals = 1 if abs(scaled) < 10 else 0
        shown = round(scaled, decimals)
        if decimals and abs(shown) >= 10:  # 9.96 is 10, not 10.0
            decimals, shown = 0, round(scaled)
        if larger is not None and abs(shown) * divisor >= larger:  # 999,600 is €1.0m, not €1000k
            return _compact(decimal.Decimal(larger).copy_sign(value))
        plural = spoken.plural_form(abs(shown))
        pattern = _signed(forms[plural][str(magnitude)] if str(magnitude) in forms.get(plural, {}) else pattern)
        pattern.frac_prec = (decimals, decimals)
        return pattern.apply(shown, spoken, currency="EUR", currency_digits=False)
    # Below a thousand: the symbol as the short forms place it, whole euros.
    first = next(form.pattern for form in forms["other"].values() if "¤" in form.pattern)
    pattern = _signed(numbers.parse_pattern(re.sub(r"(\s)\s+", r"\1", re.sub(r"[^0\s¤]", "", first)).strip()))
    return pattern.apply(value, spoken, currency="EUR", currency_digits=False)


def _signed(pattern: numbers.NumberPattern) -> numbers.NumberPattern:
    """A copy of a short form whose minus stands where the locale's whole
    amounts put it: -€254k, but € -254K as € -1.887.694 in Dutch."""
    standard = locale().currency_formats["standard"]
    pattern = copy.copy(pattern)
    if standard.prefix[0] in standard.prefix[1]:
        pattern.prefix = (pattern.prefix[0], standard.prefix[1].replace(standard.prefix[0], pattern.prefix[0], 1))
    return pattern


def thousands(amount: float) -> str:
    """An amount in thousands of euros, as a table in "€ thousand" shows it: 1,888."""
    if amount is None or math.isnan(amount):
        return _("not estimated")
    return number(amount / 1000)


def thousand_euros(amount: float) -> str:
    """An amount in a sentence as the report says it: € 1,888 thousand, or
    € 1.888 duizend; every amount of a sentence in the same form."""
    if amount is None or math.isnan(amount):
        return _("not estimated")
    return _("€ {amount} thousand").format(amount=thousands(amount))


# --- dates -------------------------------------------------------------------------


def month_and_year(month: dt.date) -> str:
    """Nov 2024 or nov 2024."""
    return dates.format_date(month, "MMM y", locale=locale())


def month_name_and_year(month: dt.date) -> str:
    """November 2024 or november 2024."""
    return dates.format_date(month, "LLLL y", locale=locale())


def listed(items: list[str], either: bool = False) -> str:
    """"a, b and c" or "a, b en c"; ``either``: "a, b or c", "a, b of c"."""
    from babel.lists import format_list

    return format_list(items, style="or" if either else "standard", locale=locale()) if items else ""


# --- the calendar of a programme ------------------------------------------------------


def calendar_month(start: str | None, month_number: int) -> str:
    """The ``month_number``-th month of the programme (1: the first, which
    begins at month 0) by its calendar name, "Nov 2021"; "month 1" when the
    scenario gives no ``start``."""
    if start is None:
        return _("month {number}").format(number=number(month_number))
    year, month = int(start[:4]), int(start[5:7])
    index = month - 1 + int(month_number) - 1
    return month_and_year(dt.date(year + index // 12, index % 12 + 1, 1))


def during(start: str | None, months: float) -> str:
    """A moment that may fall inside a month, as records are dated: at a
    whole month as ``moment`` says it, else the month it falls in: "Nov
    2022 (month 12.5)"."""
    if float(months).is_integer():
        return moment(start, months)
    shown = number(months, 1)
    if start is None:
        return _("month {number}").format(number=shown)
    return _("{month} (month {number})").format(month=calendar_month(start, math.ceil(months)), number=shown)


def moment(start: str | None, months: float) -> str:
    """The moment ``months`` after month 0, as a reader dates it: "the end of
    Oct 2024 (month 36)", or "month 36" without a calendar (a moment inside
    a month is dated by the month it falls in)."""
    shown = number(months, 0 if float(months).is_integer() else 1)
    if start is None:
        return _("month {number}").format(number=shown)
    return _("the end of {month} (month {number})").format(month=calendar_month(start, math.ceil(months)),
                                                          number=shown)
