"""The sentences a run's headline figures are told in, the same in the
terminal, the report and the notebooks. Each is built from the run's
summary document (``summary.json``), so that what is said can be traced to
a file of the results folder.

They follow two rules: a chance is a count of runs with its interval, never
"100 %" unless every run; and a figure the scenario cannot support is "not
estimated", with the reason, never zero.
"""

from __future__ import annotations

from sim import language
from sim.language import N_, _, ngettext
from sim.measure.statistics import chance_from_count

#: A target's outcome, as "78 or more ..." ends.
TARGET_WORDS = {"placed": N_("placed"), "off_assistance": N_("off assistance")}


def counted_until(document: dict) -> str:
    """Until when the money is counted, as the reader dates it: "the end of
    Oct 2026 (month 60)", or the range when each run draws its own month."""
    drawn = document.get("money_counted_until_drawn")
    if drawn is not None:
        return _("the month drawn for each run ({low} to {high})").format(low=language.number(drawn[0]),
                                                                          high=language.number(drawn[1]))
    return language.moment(document.get("start"), document["money_counted_until_month"])


def target_sentence(document: dict) -> str | None:
    """The chance of reaching the scenario's target, or None without one."""
    target = document.get("target")
    if target is None:
        return None
    outcome = target.get("outcome", "placed")
    chance = chance_from_count(target["hits"], target["runs"], outcome, target["at_least"])
    return _("{target} or more {outcome} in {chance}.").format(
        target=language.number(target["at_least"]), outcome=_(TARGET_WORDS[outcome]), chance=chance.in_words())


def pays_sentence(document: dict) -> str | None:
    """Whether the programme pays for itself, or None without a budget."""
    pays = document.get("pays_for_itself")
    if pays is None:
        return None
    if "not_estimated" in pays:
        return _("Whether the programme pays for itself: {reason}.").format(reason=_(pays["not_estimated"]))
    chance = chance_from_count(pays["hits"], pays["runs"], "npv", 0)
    return _("Pays for itself (net present value above zero, money counted until {until}) in {chance}.").format(
        until=counted_until(document), chance=chance.in_words())


def break_even_sentence(document: dict) -> str | None:
    """When the programme breaks even, with the runs that do not by the last
    month counted said as such; None without a budget."""
    pays = document.get("pays_for_itself")
    if pays is None:
        return None
    reason = document.get("not_estimated", {}).get("break_even_month")
    if reason is not None:
        return _("Break-even month: {reason}.").format(reason=_(reason))
    breaks_even, row = document["breaks_even"], document["outcomes"]["break_even_month"]
    last = counted_until(document)
    chance = chance_from_count(breaks_even["hits"], breaks_even["runs"], "break_even_month", 0)
    sentence = _("Breaks even by {until} in {chance}.").format(until=last, chance=chance.in_words())
    if row["q50"] is None:
        return sentence + " " + _("Fewer than half of the runs break even by then, so there is no median month.")
    start = document.get("start")

    def month(value: float | None) -> str:
        if value is None:  # runs that do not break even within the months counted
            if document.get("money_counted_until_drawn") is not None:
                return _("later than the months counted")
            return _("later than {month}").format(month=last)
        return language.calendar_month(start, round(value))

    return sentence + " " + _("Half of the runs break even by {median}; 90 % of runs between {low} and {high}.").format(
        median=month(row["q50"]), low=month(row["q05"]), high=month(row["q95"]))


def uncertainty_sentence(document: dict) -> str:
    """Whether the spread shown includes what is not known of the assumptions."""
    uncertain = document.get("uncertain", [])
    assumptions = ngettext("{count} uncertain assumption", "{count} uncertain assumptions", len(uncertain)).format(
        count=len(uncertain))
    if document.get("with_uncertainty"):
        return _("Assumption uncertainty is included: each run draws the scenario's {assumptions} anew, so the "
                 "spread shows what is not known as well as chance.").format(assumptions=assumptions)
    if uncertain:
        return _("Assumption uncertainty is not included: every run uses the scenario's own values, so the "
                 "spread shows chance alone; `pilotsim run --with-uncertainty` draws its {assumptions} as well."
                 ).format(assumptions=assumptions)
    return _("Assumption uncertainty is not included: every run uses the scenario's own values and the scenario "
             "names no uncertain assumptions, so the spread shows chance alone.")


def headline_sentences(document: dict) -> list[str]:
    """All of the above that apply, in reading order."""
    sentences = [target_sentence(document), pays_sentence(document), break_even_sentence(document),
                 uncertainty_sentence(document)]
    return [sentence for sentence in sentences if sentence is not None]
