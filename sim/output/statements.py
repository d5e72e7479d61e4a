"""The sentences a run's headline figures are told in, the same in the
terminal, the report and the notebooks. Each is built from the run's
summary document (``summary.json``), so that what is said can be traced to
a file of the results folder.

They follow two rules: a chance is a count of runs with its interval, never
"100 %" unless every run; and a figure the scenario cannot support is "not
estimated", with the reason, never zero.
"""

from __future__ import annotations

from sim.measure.statistics import chance_from_count

#: A target's outcome, as "78 or more ..." ends.
TARGET_WORDS = {"placed": "placed", "off_assistance": "off assistance"}


def target_sentence(document: dict) -> str | None:
    """The chance of reaching the scenario's target, or None without one."""
    target = document.get("target")
    if target is None:
        return None
    outcome = target.get("outcome", "placed")
    chance = chance_from_count(target["hits"], target["runs"], outcome, target["at_least"])
    return f"{target['at_least']} or more {TARGET_WORDS[outcome]} in {chance.in_words()}."


def pays_sentence(document: dict) -> str | None:
    """Whether the programme pays for itself, or None without a budget."""
    pays = document.get("pays_for_itself")
    if pays is None:
        return None
    if "not_estimated" in pays:
        return f"Whether the programme pays for itself: {pays['not_estimated']}."
    chance = chance_from_count(pays["hits"], pays["runs"], "npv", 0)
    return (f"Pays for itself (net present value above zero, money counted until {pays['counted_until']}) in "
            f"{chance.in_words()}.")


def break_even_sentence(document: dict) -> str | None:
    """When the programme breaks even, with the runs that do not by the last
    month counted said as such; None without a budget."""
    pays = document.get("pays_for_itself")
    if pays is None:
        return None
    reason = document.get("not_estimated", {}).get("break_even_month")
    if reason is not None:
        return f"Break-even month: {reason}."
    breaks_even, row = document["breaks_even"], document["outcomes"]["break_even_month"]
    last = breaks_even["by"]  # "month 60", or each run's own month when it is drawn
    chance = chance_from_count(breaks_even["hits"], breaks_even["runs"], "break_even_month", 0)
    sentence = f"Breaks even by {last} in {chance.in_words()}."
    if row["q50"] is None:
        return sentence + " Fewer than half of the runs break even by then, so there is no median month."
    later = f"later than {last}" if last.startswith("month") else "later than the months counted"
    high = f"month {row['q95']:.0f}" if row["q95"] is not None else later
    low = f"month {row['q05']:.0f}" if row["q05"] is not None else later
    return (sentence + f" Half of the runs break even by month {row['q50']:.0f}; 90 % of runs between {low} "
            f"and {high}.")


def uncertainty_sentence(document: dict) -> str:
    """Whether the spread shown includes what is not known of the assumptions."""
    uncertain = document.get("uncertain", [])
    assumptions = f"{len(uncertain)} uncertain assumption{'s' if len(uncertain) != 1 else ''}"
    if document.get("with_uncertainty"):
        return (f"Assumption uncertainty is included: each run draws the scenario's {assumptions} anew, so the "
                "spread shows what is not known as well as chance.")
    if uncertain:
        return (f"Assumption uncertainty is not included: every run uses the scenario's own values, so the "
                f"spread shows chance alone; `pilotsim run --with-uncertainty` draws its {assumptions} as well.")
    return ("Assumption uncertainty is not included: every run uses the scenario's own values and the scenario "
            "names no uncertain assumptions, so the spread shows chance alone.")


def headline_sentences(document: dict) -> list[str]:
    """All of the above that apply, in reading order."""
    sentences = [target_sentence(document), pays_sentence(document), break_even_sentence(document),
                 uncertainty_sentence(document)]
    return [sentence for sentence in sentences if sentence is not None]
