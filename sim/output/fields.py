"""Scenario fields as a reader says them: "places in training", not
``stages.training.slots``; 1.45 % a month, not 0.0145.

Each field path of a scenario matches one pattern below, which gives its
label (in the reader's language) and its unit; a value is shown in that
unit. Sweeps, sizing, sensitivity and the report's list of assumptions all
label fields through here, and so does the workbook.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from markupsafe import Markup

from sim import language
from sim.language import N_, _
from sim.measure.columns import stage_words


@dataclass(frozen=True)
class FieldLabel:
    pattern: str   # a dotted path; {stage}, {segment}, {destination}, {part} match one step
    label: str     # with the same placeholders
    unit: str      # share, share_year, share_month, people, people_month, months, month, factor, EUR, EUR_month,
    #                year, text


FIELDS = (
    FieldLabel("start", N_("The programme starts in"), "calendar"),
    FieldLabel("horizon_months", N_("Months simulated"), "months"),
    FieldLabel("target.placed", N_("Target: people placed"), "people"),
    FieldLabel("target.off_assistance", N_("Target: people off assistance"), "people"),
    FieldLabel("segments.{segment}.share", N_("Share of referrals: {segment}"), "share"),
    FieldLabel("segments.{segment}.placement_factor", N_("Chance of a job, times the usual: {segment}"), "factor"),
    FieldLabel("segments.{segment}.dropout_factor", N_("Dropout, times the usual: {segment}"), "factor"),
    FieldLabel("segments.{segment}.part_time_factor", N_("Part-time work, times the usual: {segment}"), "factor"),
    FieldLabel("referrals.process", N_("How referrals arrive"), "text"),
    FieldLabel("referrals.rate_per_month", N_("Referrals a month"), "people_month"),
    FieldLabel("referrals.from_month", N_("Referrals from month"), "month"),
    FieldLabel("referrals.until_month", N_("Referrals until month"), "month"),
    FieldLabel("referrals.every_months", N_("A group referred every"), "months"),
    FieldLabel("referrals.cohort_size", N_("People in each group"), "people"),
    FieldLabel("referrals.max_participants", N_("Participants at most"), "people"),
    FieldLabel("referrals.acceptance", N_("Accepted at intake"), "share"),
    FieldLabel("referrals.patience.{part}", N_("Patience on the waiting list ({part})"), "months"),
    FieldLabel("referrals.patience", N_("Patience on the waiting list"), "months"),
    FieldLabel("referrals.waiting_list_limit", N_("Waiting list at most"), "people"),
    FieldLabel("referrals.first_stage", N_("First stage"), "text"),
    FieldLabel("stages.{stage}.slots", N_("Places in {stage}"), "people"),
    FieldLabel("stages.{stage}.slots.{period}.places", N_("Places in {stage}, period {period} of the schedule"),
               "people"),
    FieldLabel("stages.{stage}.duration.{part}", N_("Months in {stage} ({part})"), "months"),
    FieldLabel("stages.{stage}.duration", N_("Months in {stage}"), "months"),
    FieldLabel("stages.{stage}.dropout.probability", N_("Drop out of {stage}"), "share"),
    FieldLabel("stages.{stage}.dropout.{part}", N_("Dropout from {stage} ({part})"), "text"),
    FieldLabel("stages.{stage}.lock_in", N_("Less looking for work on one's own while in {stage}"), "share"),
    FieldLabel("stages.{stage}.on_benefit", N_("Keeps the benefit while in {stage}"), "text"),
    FieldLabel("stages.{stage}.next", N_("After {stage}: on to"), "text"),
    FieldLabel("stages.{stage}.outcomes.{destination}", N_("After {stage}: {destination}"), "share"),
    FieldLabel("employment.part_time_share", N_("Jobs that are part-time"), "share"),
    FieldLabel("employment.job_loss_hazard_per_month", N_("Chance of losing the job, a month"), "share_month"),
    FieldLabel("employment.sustained_months", N_("Months in work that count as lasting"), "months"),
    FieldLabel("employment.unemployment_insurance_months", N_("Months of unemployment benefit after a job ends"),
               "months"),
    FieldLabel("employment.support.months", N_("Months of job coaching after placement"), "months"),
    FieldLabel("employment.support.job_loss_factor", N_("Job loss while coached, times the usual"), "factor"),
    FieldLabel("employment.support.slots", N_("People coached at once, at most"), "people"),
    FieldLabel("employment.support.cost_per_month", N_("Coaching cost a month"), "EUR_month"),
    FieldLabel("counterfactual.own_job_chance_per_year",
               N_("Chance of finding work without the programme, a year"), "share_year"),
    FieldLabel("counterfactual.other_outflow_per_year",
               N_("Chance of leaving assistance for other reasons, a year"), "share_year"),
    FieldLabel("budget.start", N_("The programme starts in"), "calendar"),
    FieldLabel("budget.benefit.norm_year", N_("Benefit norm of the year"), "year"),
    FieldLabel("budget.benefit.per_month", N_("Benefit a month"), "EUR_month"),
    FieldLabel("budget.benefit.couple_share", N_("Recipients who are couples"), "share"),
    FieldLabel("budget.benefit.administration_per_month", N_("Administration a recipient costs, a month"),
               "EUR_month"),
    FieldLabel("budget.benefit.administration_saved_share", N_("Administration saved when someone leaves"),
               "share"),
    FieldLabel("budget.benefit.indexation_per_year", N_("Benefit rise a year"), "share_year"),
    FieldLabel("budget.part_time_work.earnings_per_month", N_("Part-time earnings a month"), "EUR_month"),
    FieldLabel("budget.part_time_work.exemption_share", N_("Earnings exempt from the benefit cut"), "share"),
    FieldLabel("budget.part_time_work.exemption_cap_per_month", N_("Exemption at most, a month"), "EUR_month"),
    FieldLabel("budget.part_time_work.exemption_months", N_("Months of the exemption"), "months"),
    FieldLabel("budget.part_time_work.kept_share", N_("Benefit kept in part-time work"), "share"),
    FieldLabel("budget.part_time_work.benefit_kept", N_("Benefit kept in part-time work"), "share"),
    FieldLabel("budget.costs.per_participant", N_("Cost per participant"), "EUR"),
    FieldLabel("budget.costs.per_place_per_month", N_("Cost per place, a month"), "EUR_month"),
    FieldLabel("budget.costs.per_placement", N_("Cost per placement"), "EUR"),
    FieldLabel("budget.costs.wage_subsidy_per_month", N_("Wage subsidy a month"), "EUR_month"),
    FieldLabel("budget.costs.wage_subsidy_months", N_("Months of wage subsidy"), "months"),
    FieldLabel("budget.costs.fixed_per_month", N_("Fixed costs a month"), "EUR_month"),
    FieldLabel("budget.costs.per_stage_month.{stage}", N_("Cost a month in {stage}"), "EUR_month"),
    FieldLabel("budget.programme_until_month", N_("The programme is paid until month"), "month"),
    FieldLabel("budget.count_until_month", N_("Money counted until month"), "month"),
    FieldLabel("budget.exits_are_programme_effect", N_("Leaving the scope counts as the programme's effect"),
               "text"),
    FieldLabel("budget.price_index_per_year", N_("Price rise a year"), "share_year"),
    FieldLabel("budget.discount_rate", N_("Discount rate a year"), "share_year"),
    FieldLabel("caseload.recipients", N_("Recipients at the start"), "people"),
    FieldLabel("caseload.inflow_per_month", N_("New recipients a month"), "people_month"),
    FieldLabel("caseload.{part}", N_("Caseload: {part}"), "text"),
)

#: A distribution's parameters, as a reader says them.
PARTS = {"mean": N_("mean"), "low": N_("shortest"), "mode": N_("most often"), "high": N_("longest"),
         "value": N_("fixed"), "sd": N_("spread"), "dist": N_("shape"), "shape": N_("shape")}

#: Where a route leads, besides another stage.
DESTINATIONS = {"job": N_("a job"), "benefit": N_("back to assistance"), "exit": N_("leaves the scope")}

_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")


def _compiled(pattern: str) -> re.Pattern:
    return re.compile("^" + _PLACEHOLDER.sub(lambda match: f"(?P<{match.group(1)}>[^.]+)", re.escape(pattern))
                      + "$")


_MATCHERS = [(_compiled(field.pattern), field) for field in FIELDS]


def field_label(path: str) -> FieldLabel | None:
    """The label of a scenario field (None: the path names no field listed here)."""
    for matcher, field in _MATCHERS:
        if matcher.match(path):
            return field
    return None


def label(path: str, named: Callable[[str, str], Any] | None = None) -> str:
    """A field in words, in the reader's language: "Places in training".
    ``named(words, path)``, if given, wraps the scenario's own names (a
    stage, a client group) as they are put in; it gets the path they name."""
    field = field_label(path)
    if field is None:
        return path
    found = next(matcher.match(path) for matcher, candidate in _MATCHERS if candidate is field)
    words = {}
    for name, value in found.groupdict().items():
        if name == "part":
            words[name] = _(PARTS[value]) if value in PARTS else value.replace("_", " ")
        elif name == "destination" and value in DESTINATIONS:
            words[name] = _(DESTINATIONS[value])
        elif name == "period" and value.isdigit():  # counted from 1, as people count periods
            words[name] = language.number(int(value) + 1)
        else:
            shown = stage_words(value)
            words[name] = named(shown, path[:found.end(name)]) if named else shown
    if named is None:
        return _(field.label).format(**words)
    return Markup.escape(_(field.label)).format(**words)  # the names as given, the rest escaped for a page


def quoted(path: str) -> str:
    """A field's label inside a sentence, set off from the sentence's own
    words: with “Participants at most” at 150."""
    return f"“{label(path)}”"


def unit(path: str) -> str:
    field = field_label(path)
    return field.unit if field is not None else "text"


def value_in_words(path: str, value: Any, start: str | None = None) -> str:
    """A field's value in its unit: 1.45 % a month, € 5,300, 9 months, Nov 2023."""
    kind = unit(path)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if kind == "calendar" and isinstance(value, str):
        return language.calendar_month(value, 1)
    if not isinstance(value, (int, float)):
        return str(value)
    if kind in ("share", "share_year", "share_month"):
        shown = language.significant(100 * value) + " %"  # 1.45 %, 5.3 %, 82.7 %, 90 %
        if kind == "share":
            return shown
        return (_("{value} a year") if kind == "share_year" else _("{value} a month")).format(value=shown)
    if kind == "EUR":
        return language.euros(value)
    if kind == "EUR_month":
        return _("{value} a month").format(value=language.euros(value))
    if kind == "months":
        return _("{value} months").format(value=language.significant(value))
    if kind == "month":
        month = language.significant(value)
        if start is None:
            return _("month {number}").format(number=month)
        return language.moment(start, value)
    if kind == "people_month":
        return _("{value} a month").format(value=language.significant(value))
    if kind == "factor":
        return "× " + language.significant(value)
    if kind == "year":
        return str(int(value))
    return language.significant(value)


#: Shapes of distributions, as a reader says them.
SHAPES = {"fixed": N_("fixed"), "uniform": N_("evenly spread"), "triangular": N_("triangular"),
          "exponential": N_("exponential"), "gamma": N_("gamma"), "lognormal": N_("lognormal"), "beta": N_("beta"),
          "truncated_normal": N_("normal, cut off"), "empirical": N_("as observed")}


def distribution_in_words(path: str, spec: dict, start: str | None = None) -> str:
    """A distribution as written in a scenario, in the field's unit: "6 to
    12 months, most often 9 months (triangular)"."""
    def shown(key: str) -> str:
        return value_in_words(path, float(spec[key]), start)

    shape = spec.get("dist", "fixed")
    words = _(SHAPES[shape]) if shape in SHAPES else shape
    if shape == "fixed" and "value" in spec:
        return shown("value")
    if shape == "triangular":
        return _("{low} to {high}, most often {mode} ({shape})").format(low=shown("low"), high=shown("high"),
                                                                          mode=shown("mode"), shape=words)
    if shape in ("uniform", "truncated_normal") and "low" in spec and "high" in spec:
        return _("{low} to {high} ({shape})").format(low=shown("low"), high=shown("high"), shape=words)
    if "mean" in spec and "sd" in spec:
        return _("mean {mean}, spread {sd} ({shape})").format(mean=shown("mean"), sd=shown("sd"), shape=words)
    if "mean" in spec:
        return _("mean {mean} ({shape})").format(mean=shown("mean"), shape=words)
    return words


# --- the assumptions of a scenario, for the report and the workbook ----------------------

#: The sections of a scenario, in the order the assumptions are listed.
SECTIONS = {"start": N_("Calendar"), "horizon_months": N_("Calendar"), "target": N_("The promise"),
            "segments": N_("Client groups"), "referrals": N_("Referrals and intake"), "stages": N_("Stages"),
            "employment": N_("Work after placement"), "counterfactual": N_("Without the programme"),
            "budget": N_("Money"), "caseload": N_("The whole caseload")}

#: Not assumptions: how the file names and runs the scenario.
_NOT_ASSUMPTIONS = {"name", "title", "description", "sources", "replications", "seed", "uncertain", "free"}

#: The quantiles an uncertain figure's range is given by.
UNCERTAIN_RANGE = (0.05, 0.95)


@dataclass(frozen=True)
class Assumption:
    section: str        # a key of SECTIONS
    path: str
    value: Any          # as the scenario has it (a distribution: its mapping)
    note: str | None    # the comment its file wrote above it
    inherited: str | None  # else the comment over its section
    kind: str           # assumption, fitted, changed, source, unstated
    low: float | None   # where it probably lies (UNCERTAIN_RANGE), if the scenario calls it uncertain
    high: float | None
    uncertain_key: str | None = None  # the uncertain: entry: the path, or a part of its distribution (.mode)

    @property
    def uncertain_part(self) -> str | None:
        """The part of a distribution that is uncertain, in words ("most often"), or None for the figure itself."""
        if self.uncertain_key is None or self.uncertain_key == self.path:
            return None
        part = self.uncertain_key[len(self.path) + 1:]
        return _(DISTRIBUTION_PARTS[part]) if part in DISTRIBUTION_PARTS else part

    @property
    def number(self) -> float | None:
        """The value as a number, where it is one (for a spreadsheet)."""
        return float(self.value) if isinstance(self.value, (int, float)) and not isinstance(self.value, bool) else None


def basis(note: str | None) -> str:
    """What a figure rests on, from its comment."""
    if not note:
        return "unstated"
    if note.startswith(("Set by", "Set on")):  # whatever the file had said of the value it replaces
        return "changed"
    if "ASSUMPTION" in note:
        return "assumption"
    if "FITTED" in note:
        return "fitted"
    return "source"


#: The kinds of basis, in words.
BASES = {"assumption": N_("assumption"), "fitted": N_("fitted"), "changed": N_("changed"), "source": N_("source"),
         "unstated": N_("not stated")}


def assumptions(scenario) -> list[Assumption]:
    """Every figure the scenario sets (not left at its default, or commented),
    in file order, with what its file says of it and, where it is uncertain,
    the range it probably lies in."""
    from sim.scenario.files import note_for

    everything = scenario.model_dump(mode="json", by_alias=True)
    given = _leaves(scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True))
    rows = []

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, dict) and "dist" not in value:
            for key, item in value.items():
                if not path and key in _NOT_ASSUMPTIONS or key == "description" or item is None:
                    continue
                walk(item, (*path, str(key)))
            return
        dotted = ".".join(path)
        # A default is an assumption too where the file comments it, or where the money rests on it.
        if dotted not in given and dotted not in scenario.notes and not dotted.startswith(ALWAYS_SHOWN):
            return
        own = scenario.notes.get(dotted)
        inherited = note_for(scenario.notes, dotted) if own is None else None
        low = high = None
        # A distribution is one figure; what is uncertain may be one of its parameters (its mode, its mean).
        key = dotted if dotted in scenario.uncertain else next(
            (key for key in scenario.uncertain if key.startswith(dotted + ".")), None)
        if key is not None:
            low, high = (float(q) for q in scenario.uncertain[key].ppf(np.array(UNCERTAIN_RANGE)))
        rows.append(Assumption(path[0], dotted, value, own, inherited, basis(own or inherited), low, high, key))

    walk(everything, ())
    return rows


#: The parameters of a distribution, as a reader says them.
DISTRIBUTION_PARTS = {"mode": N_("most often"), "mean": N_("mean"), "low": N_("lowest"), "high": N_("highest"),
                      "sd": N_("spread"), "value": N_("value")}

#: Shown whether or not the file gives them: the money rests on them.
ALWAYS_SHOWN = ("budget.discount_rate", "budget.benefit.", "budget.part_time_work.")


def _leaves(data: Any, path: tuple[str, ...] = ()) -> set[str]:
    """The dotted paths of the values in ``data`` (a distribution counts as one)."""
    if isinstance(data, dict) and "dist" not in data:
        return {leaf for key, item in data.items() for leaf in _leaves(item, (*path, str(key)))}
    return {".".join(path)}


def describe(path: str, value: Any, start: str | None) -> str:
    """A value in plain units; a distribution in a few words; a schedule of
    places period by period; a schedule of referrals month by month."""
    if isinstance(value, dict) and "dist" in value:
        return distribution_in_words(path, value, start)
    if isinstance(value, list) and all(isinstance(period, dict) and "places" in period for period in value):
        return "; ".join(_("{places} from {when}").format(places=language.number(period["places"]),
                                                          when=_month_begun(period["from_month"], start))
                         for period in value)
    if isinstance(value, list) and all(isinstance(entry, dict) and "count" in entry for entry in value):
        return _referrals_in_words(value, start)
    if path.endswith(".next") and isinstance(value, str):
        return stage_words(value)
    return value_in_words(path, value, start)


def _month_begun(month: float, start: str | None) -> str:
    """When something begins at ``month``: the calendar month that begins
    then ("Nov 2021" for month 0), or the moment within a month."""
    if start is not None and float(month).is_integer():
        return language.calendar_month(start, int(month) + 1)
    return value_in_words("referrals.from_month", month, start)


def _referrals_in_words(schedule: list[dict], start: str | None) -> str:
    """Referrals by month, a run of equal counts in whole consecutive months
    said once: "8 in Jan 2018; 81 a month, Mar 2018 to May 2018"."""
    runs: list[list[dict]] = []
    for entry in sorted(schedule, key=lambda entry: entry["month"]):
        last = runs[-1][-1] if runs else None
        if last is not None and entry["count"] == last["count"] and entry["month"] == last["month"] + 1:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    parts = []
    for run in runs:
        count = language.number(run[0]["count"])
        if len(run) == 1:
            parts.append(_("{count} in {month}").format(count=count, month=_month_begun(run[0]["month"], start)))
        else:
            parts.append(_("{count} a month, {first} to {last}").format(
                count=count, first=_month_begun(run[0]["month"], start), last=_month_begun(run[-1]["month"], start)))
    return "; ".join(parts)
