"""A report on a finished run, for a council member: one self-contained HTML
file (plots embedded), readable on a phone and printable, or a PDF of it.

Everything it says comes from the results folder: every figure in the text
is a ``Fact`` read from a file there (summary.json, replications, the
scenario, the manifest) and carries where it came from in the page
(``data-source``), so a test can check each against its file. Method
constants (the 90 % range, the 95 % interval) are facts too, with the source
``method``.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from sim import language
from sim.errors import Problem, ScenarioError
from sim.language import N_, _, ngettext
from sim.measure.columns import column
from sim.measure.money import STILL_THERE, count_until_month, money_warnings, prices_in_words
from sim.measure.statistics import percent, promise
from sim.output.fields import BASES, SECTIONS, assumptions, describe, field_label, label, unit, value_in_words
from sim.output.folders import write_file_atomically
from sim.output.forecast import ALREADY_VARIES, ALREADY_VARIES_WITH_COSTS
from sim.output.run_folder import RunFolder
from sim.output.statements import TARGET_WORDS, counted_until
from sim.output.what_if import CHANGES_NAMED, WhatIf, is_what_if, open_what_if, written_by
from sim.state.records import STATUS_WORDS

#: Fixed parts of the method, shown as facts with the source "method".
METHOD = {"range": 90, "confidence": 95, "promise_high": 80, "promise_low": 90}

#: The languages a results folder may be drawn in, as a sentence names them.
LANGUAGE_NAMES = {"en": N_("English"), "nl": N_("Dutch")}

#: What each plot shows, in the order the report shows them.
PLOT_CAPTIONS = {
    "forecast.png": N_("From the records: the target as it looks now beside how it looked at the start, and savings "
                       "minus costs month by month, the months before the records already spent."),
    "placements.png": N_("What the programme promises: the spread over all runs, and the chance of at least each "
                         "number."),
    "uncertainty_placed.png": N_("The same with chance alone, and with the uncertain assumptions drawn as well."),
    "states_over_time.png": N_("Where everyone referred is, month by month."),
    "waiting_list.png": N_("The waiting list for a first place."),
    "place_utilisation.png": N_("How many people are in places, beside the number of places."),
    "npv.png": N_("Net present value: the spread over runs."),
    "cumulative_net_saving.png": N_("Savings minus costs, added up month by month."),
    "pays_for_itself.png": N_("The chance the net present value is at least each amount."),
    "waterfall.png": N_("From benefit not paid to the net result."),
}


@dataclass(frozen=True)
class Fact:
    """A figure as shown, with the file and field it comes from."""

    text: str
    source: str

    def __html__(self) -> Markup:
        return Markup('<span class="figure" data-source="{}">{}</span>').format(self.source, self.text)


#: In every report, in the HTML's head and in the PDF's title: how pilotsim
#: recognises a report it wrote, which it may replace.
MARK = "pilotsim report"


def build_report(folder: Path) -> str:
    """The HTML of the report on the results folder ``folder`` (of a run, or
    a comparison or sweep: then a what-if report), in the current language."""
    folder = Path(folder)
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("sim", "templates"), autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=False)
    command = written_by(folder)
    if command in ("size", "sensitivity", "calibrate", "replications", "validate"):
        raise ScenarioError([Problem(str(folder), None, None, "", f"written by pilotsim {command}: a report is made "
                                     "of the folder of pilotsim run, compare or sweep")])
    if is_what_if(folder):
        what_if = open_what_if(folder)
        template, writer, facts_of = "what_if.html.j2", "compare or sweep", lambda: _what_if_facts(what_if)
    else:
        run = RunFolder.open(folder)
        template, writer, facts_of = "report.html.j2", "run", lambda: _facts(folder, run)
    try:
        facts = facts_of()
    except (KeyError, TypeError, ValueError, OSError) as error:  # files that parse but are not what pilotsim writes
        raise ScenarioError([Problem(str(folder), None, None, "", f"its files are not as pilotsim {writer} writes "
                                     f"them (no {' '.join(str(error).split())[:200]})")]) from None
    return environment.get_template(template).render(mark=MARK, lang=language.current(), **facts)


def default_output(folder: Path, output_format: str) -> Path:
    return Path(folder) / f"report.{output_format}"


def write_report(folder: Path, output: Path | None = None, output_format: str = "html") -> Path:
    """Write the report (report.html or report.pdf in the results folder, or
    ``output``): a new file, or in place of a report pilotsim wrote."""
    folder = Path(folder)
    output = Path(output) if output else default_output(folder, output_format)
    browser = find_browser() if output_format == "pdf" else None
    if output_format == "pdf" and browser is None:
        raise ScenarioError([Problem("--format", None, None, "pdf",
                                     "a PDF is printed by Chromium, which is not installed; install Debian's "
                                     "chromium package, or use --format html and print from a browser")])
    html = build_report(folder)

    def write(path: Path) -> None:
        if output_format == "html":
            path.write_text(html, encoding="utf-8")
            return
        page = path.with_name("page.html")
        page.write_text(html, encoding="utf-8")
        subprocess.run([browser, *HEADLESS_FLAGS, f"--user-data-dir={path.parent}/profile", "--no-pdf-header-footer",
                        f"--print-to-pdf={path.resolve()}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)

    return write_file_atomically(output, write, recognised=is_report)


def is_report(path: Path) -> bool:
    """A report pilotsim wrote, which a new report may replace: an HTML page
    whose head carries the generator mark, or a PDF whose title ends with it
    (what Chromium makes of the page's title). Mentioning the words is not
    enough: a user's notes about pilotsim report are theirs."""
    try:
        if path.stat().st_size > 100e6:
            return False
        content = path.read_bytes()
    except OSError:
        return False
    if content.startswith(b"<!DOCTYPE html>"):
        head = content[:2000].decode("utf-8", errors="replace")
        return f'<meta name="generator" content="{MARK}">' in head
    if content.startswith(b"%PDF-"):
        # The title is PDF text, its parentheses escaped, or UTF-16 in
        # hexadecimal when it has letters beyond ASCII (as a Dutch title may).
        plain = f"\\({MARK}\\))".encode()
        in_hex = ("0028" + MARK.encode("utf-16-be").hex() + "0029>").upper().encode()
        return plain in content or in_hex in content.upper()
    return False


#: Chromium without a screen, and without reaching for the network.
HEADLESS_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


# --- what the report says, each figure with its source -------------------------------


def _facts(folder: Path, run: RunFolder) -> dict[str, Any]:
    summary, manifest, scenario = run.summary(), run.manifest, run.scenario
    replications = run.replication_rows()
    outcomes = summary["outcomes"]
    range_ = Fact(str(METHOD["range"]), "method#range")

    def outcome(name: str, statistic: str, decimals: int = 0) -> Fact:
        scale = column(name).scale  # euros in thousands, as the column registry shows them
        return Fact(language.number(outcomes[name][statistic] / scale, decimals),
                    f"summary.json#outcomes.{name}.{statistic}" + (f"/{scale:g}" if scale != 1 else ""))

    facts: dict[str, Any] = {
        "title": scenario.title or scenario.name,
        "meta": Markup(_("Scenario {name}: {runs} simulated runs, seed {seed}, written {written}.")).format(
            name=Fact(scenario.name, "scenario.yaml#name"), runs=Fact(language.number(summary["replications"]),
                                                                       "summary.json#replications"),
            seed=Fact(str(summary["seed"]), "summary.json#seed"),
            written=Fact(manifest["written_at"][:10], "manifest.json#written_at")),
        "summary": _summary(summary, scenario, replications, outcome, range_),
        "money_years": _money_years(folder, summary),
        "runs_range": Markup(_("the same, {range} % of runs")).format(range=range_),
        "money_note": Markup(_("Thousands of euros in {prices}, means over runs; costs and savings not discounted, "
                               "savings minus costs discounted; a first or last year covers only the months counted "
                               "in it.")).format(prices=Fact(prices_in_words(scenario),
                                                             "scenario.yaml#budget.benefit.norm_year"))
        if scenario.budget is not None else None,
        "plots": [(_(PLOT_CAPTIONS[name]), base64.b64encode((folder / "plots" / name).read_bytes()).decode())
                  for name in PLOT_CAPTIONS if (folder / "plots" / name).is_file()],
        "forecast": _forecast_facts(folder, scenario, manifest) if (folder / "forecast.json").is_file() else None,
    }
    if facts["forecast"] is not None:
        facts["meta"] += Markup(" ") + Markup(_("A forecast from the records as of {when}.")).format(
            when=facts["forecast"]["as_of"])
    return facts | _scenario_and_method(scenario, "scenario.yaml", manifest,
                                        Fact(str(summary["seed"]), "summary.json#seed"))


def _forecast_facts(folder: Path, scenario, run_manifest: dict) -> dict[str, Any]:
    """What a forecast adds (forecast.json): the records it continues, the
    chance of the target now and at the start, and what had happened by
    the month of the records against what is still to come."""
    document = json.loads((folder / "forecast.json").read_text())
    start, as_of = scenario.calendar_start, document["as_of_month"]
    when = (Fact(language.during(start, as_of), f"calendar#{start}+{as_of:g}") if start
            else _moment(start, as_of, "forecast.json#as_of_month"))
    end = _moment(start, scenario.horizon_months, "scenario.yaml#horizon_months")
    # The money: by the end of the last whole month before the records, and in all until it is no longer counted.
    spent_by = _moment(start, math.floor(as_of), "forecast.json#as_of_month")
    counted_until = _moment(start, count_until_month(scenario), "scenario.yaml#budget.count_until_month")
    counts = Markup(", ").join(
        Markup("{status} {count}").format(status=_(STATUS_WORDS.get(status, status)), count=Fact(
            language.number(count), f"forecast.json#people_by_status.{status}"))
        for status, count in document["people_by_status"].items())
    people = sum(document["people_by_status"].values())
    opening = Markup(_("This forecast continues the records of {people} people in {file} as of {when} ({counts})"
                       "{stays}. What they do not say is drawn from the scenario given what they do say: the rest "
                       "of a stay given the months spent, patience given the wait so far; referrals, jobs and money "
                       "go on as the scenario has them.")).format(
        people=Fact(language.number(people), "forecast.json#people_by_status@sum"),
        file=Fact(document["state_file"], "forecast.json#state_file"), when=when, counts=counts,
        stays=Markup(_(", with their stays in {file}")).format(file=Fact(document["stays_file"],
                                                                         "forecast.json#stays_file"))
        if document["stays_file"] else Markup(_("; without a stays file, the stays that had ended before then are "
                                                "not in the months before it")))
    chance = None
    if document["target"] is not None:
        target = document["target"]

        def runs(key: str) -> Markup:
            shown = target[key]
            return Markup(_("{hits} of {runs} runs ({share}; {confidence} % interval {low} to {high})")).format(
                confidence=Fact(str(METHOD["confidence"]), "method#confidence"),
                hits=Fact(language.number(shown["hits"]), f"forecast.json#target.{key}.hits"),
                runs=Fact(language.number(shown["runs"]), f"forecast.json#target.{key}.runs"),
                share=Fact(percent(shown["probability"]), f"forecast.json#target.{key}.probability*100"),
                low=Fact(percent(shown["ci95_low"]), f"forecast.json#target.{key}.ci95_low*100"),
                high=Fact(percent(shown["ci95_high"]), f"forecast.json#target.{key}.ci95_high*100"))

        chance = Markup(_("{target} or more {outcome} by {end}: from the records, in {now}; as it looked at the "
                          "start, in {then}.")).format(
            target=Fact(language.number(target["at_least"]), "forecast.json#target.at_least"),
            outcome=_(TARGET_WORDS[target["outcome"]]), end=end, now=runs("now"), then=runs("at_start"))

    def spread(values: dict, source: str, in_thousands: bool = False) -> Markup:
        shown, scale = (language.thousands, "/1000") if in_thousands else (language.number, "")
        mean = Fact(shown(values["mean"]), f"forecast.json#{source}.mean{scale}")
        if shown(values["p5"]) == shown(values["p95"]):
            return Markup("{mean}").format(mean=mean)
        return Markup(_("{mean} ({low} to {high})")).format(
            mean=mean, low=Fact(shown(values["p5"]), f"forecast.json#{source}.p5{scale}"),
            high=Fact(shown(values["p95"]), f"forecast.json#{source}.p95{scale}"))

    rows = [{"name": _(words), "already": Fact(language.number(document["people"][name]["already"]),
                                               f"forecast.json#people.{name}.already"),
             "to_come": spread(document["people"][name]["to_come"], f"people.{name}.to_come"),
             "total": spread(document["people"][name]["total"], f"people.{name}.total")}
            for name, words in (("referred", N_("referred")), ("started", N_("started")),
                                ("placed", N_("placed in work")))]
    money = None
    if document["money"] is not None:
        money = []
        for name, words in (("net_savings", N_("net savings on benefits")), ("total_costs", N_("costs")),
                            ("net_result", N_("savings minus costs"))):
            parts = document["money"][name]
            if isinstance(parts, str):
                money.append({"name": _(words), **dict.fromkeys(("already", "to_come", "total"), _("not estimated"))})
                continue
            money.append({"name": _(words), **{part: spread(parts[part], f"money.{name}.{part}", in_thousands=True)
                                               for part in ("already", "to_come", "total")}})
    note = Markup(_("Means over runs, with the middle {range} % of runs in brackets.")).format(
        range=Fact(str(METHOD["range"]), "method#range"))
    if money is not None:
        varies = ALREADY_VARIES_WITH_COSTS if run_manifest.get("with_uncertainty") else ALREADY_VARIES
        note += Markup(" ") + _(varies)
    return {"opening": opening, "chance": chance, "people": rows, "money": money, "as_of": when, "note": note,
            "already": Markup(_("by {when}")).format(when=when), "total": Markup(_("in all by {end}")).format(end=end),
            "money_already": Markup(_("by {when}")).format(when=spent_by),
            "money_total": Markup(_("in all by {end}")).format(end=counted_until)}


def _moment(start: str | None, months: float, source: str) -> Fact:
    """A moment of the programme as the report dates it: by the calendar
    when the scenario has a start, else by the field ``source`` names."""
    if start is not None:
        return Fact(language.moment(start, months), f"calendar#{start}+{months:g}")
    return Fact(_("month {number}").format(number=language.number(months)), source)


def _scenario_and_method(scenario, scenario_file: str, manifest: dict, seed: Fact) -> dict[str, Any]:
    """What every report says of its scenario and method: the description and
    start, the assumptions, the limitations, and how to reproduce it."""
    start = scenario.calendar_start
    range_ = Fact(str(METHOD["range"]), "method#range")
    facts = {
        "description": Fact(scenario.description, f"{scenario_file}#description") if scenario.description else None,
        "assumptions": _assumptions(scenario, scenario_file),
        "limitations": [_(text) for text in LIMITATIONS],
        "assumptions_note": Markup(_("Each figure with what the scenario file says of it: its source, or that it is "
                                     "an assumption (no source gives it), or that it was fitted to published "
                                     "figures. Where a figure is uncertain, the range it probably lies in "
                                     "({range} %).")).format(range=range_),
        "sources": [Fact(text, f"{scenario_file}#sources.{index}") for index, text in enumerate(scenario.sources)],
        "command": Fact(" ".join(manifest.get("command") or []), "manifest.json#command"),
        "reproduce": Markup(_("Seed {seed}, {engine} engine, Python {python}, {versions}. The same command, seed and "
                              "versions give the same figures.")).format(
            seed=seed,
            engine=Fact(manifest.get("engine", "fast"), "manifest.json#engine"),
            python=Fact(manifest.get("python", ""), "manifest.json#python"),
            versions=Markup(", ").join(Fact(f"{package} {version}", f"manifest.json#versions.{package}")
                                       for package, version in (manifest.get("versions") or {}).items()
                                       if version)),
        # The pictures are drawn when the run is made, in the language of that command.
        "plots_language": None if manifest.get("language", "en") == language.current() else _(
            "The pictures were drawn in {language} when the results were made; the same command with --lang {code} "
            "draws them in this language.").format(
                language=_(LANGUAGE_NAMES.get(manifest.get("language", "en"), "")), code=language.current()),
        "calendar": None,
    }
    if start is not None:
        facts["calendar"] = Markup(_("The programme starts in {month}.")).format(
            month=Fact(language.calendar_month(start, 1), "calendar#" + start + "+1"))
    return facts


#: The outcomes of a comparison's table of differences, when it has them.
DIFFERENCES_SHOWN = ("placed", "off_assistance", "net_into_work", "sustained", "mean_wait_months", "slot_utilisation",
                     "total_costs", "npv")


def _what_if_facts(what_if: WhatIf) -> dict[str, Any]:
    """What a what-if report says: the options side by side, each figure
    traced to what_if.csv, comparison.csv or a scenario file of the folder."""
    baseline, manifest, table = what_if.baseline, what_if.manifest, what_if.table
    base_file = f"scenarios/{baseline.name}.yaml" if what_if.kind == "compare" else "scenario.yaml"
    range_ = Fact(str(METHOD["range"]), "method#range")
    runs = Fact(language.number(int(table["runs"].iloc[0])), "what_if.csv#0.runs")
    seed = Fact(str(manifest["seed"]), "manifest.json#seed")

    def cell(row: int, name: str, statistic: str) -> Fact:
        value = table.at[row, f"{name}_{statistic}"]
        if pd.isna(value):
            return Fact(_("not estimated"), f"what_if.csv#{row}.{name}_{statistic}")
        shown = column(name)
        return Fact(shown.formatted(value, spread=True),
                    f"what_if.csv#{row}.{name}_{statistic}" + (f"/{shown.scale:g}" if shown.scale != 1 else ""))

    def spread(row: int, name: str) -> Markup:
        if pd.isna(table.at[row, f"{name}_q50"]):
            return Markup(cell(row, name, "q50"))
        return Markup(_("{median} ({low} to {high})")).format(median=cell(row, name, "q50"),
                                                              low=cell(row, name, "q05"), high=cell(row, name, "q95"))

    def chance(row: int) -> Markup:
        return _runs({"hits": int(table.at[row, "target_hits"]), "runs": int(table.at[row, "runs"]),
                      "probability": table.at[row, "target_chance"], "ci95_low": table.at[row, "target_chance_low"],
                      "ci95_high": table.at[row, "target_chance_high"]},
                     f"what_if.csv#{row}", hits="target_hits", probability="target_chance",
                     low="target_chance_low", high="target_chance_high")

    def chance_in_a_cell(row: int) -> Markup:
        source = f"what_if.csv#{row}"
        return Markup(_("{hits} of {runs}")).format(
            hits=Fact(language.number(int(table.at[row, "target_hits"])), f"{source}.target_hits"),
            runs=Fact(language.number(int(table.at[row, "runs"])), f"{source}.runs")) + Markup(
            '<br><span class="note">{}</span>').format(Markup(_("({low} to {high})")).format(
                low=Fact(percent(table.at[row, "target_chance_low"]), f"{source}.target_chance_low*100"),
                high=Fact(percent(table.at[row, "target_chance_high"]), f"{source}.target_chance_high*100")))

    option_names = [Markup(_option(what_if, row, words)) for row, words in enumerate(what_if.options())]
    headings = [column(name).table_label for name in what_if.outcomes]
    has_target = what_if.target is not None and "target_hits" in table.columns
    if has_target:
        headings.append(_("runs reaching the target"))
    options = []
    for row in range(len(table)):
        cells = [spread(row, name) for name in what_if.outcomes] + ([chance_in_a_cell(row)] if has_target else [])
        changes = []
        if what_if.kind == "compare" and row > 0:
            changes = _changes_in_words(what_if, table.at[row, "alternative"], base_file)
        options.append({"option": option_names[row], "cells": cells, "changes": changes})

    summary = [_what_if_opening(what_if, runs, seed, option_names)]
    if has_target:
        summary.append(_target_paragraph(what_if, option_names, chance))
    if what_if.kind == "compare":
        summary += _differences_in_short(what_if, option_names)
    summary.append(Markup(_("Uncertainty about the assumptions is not included: every run uses its option's values, "
                            "so the spread shows chance alone.")))

    folder = what_if.folder
    captions = {"differences.png": _("Each option against the baseline, run by run on the same random numbers."),
                "target_chance.png": _("The chance of the target at each combination tried.")}
    for path in what_if.varied:
        captions[f"against_{path.replace('.', '_')}.png"] = _(
            "The outcomes at each value of {field} tried, with their spread over runs.").format(field=label(path))
    plots = [(caption, base64.b64encode((folder / "plots" / name).read_bytes()).decode())
             for name, caption in captions.items() if (folder / "plots" / name).is_file()]
    prices = (Fact(prices_in_words(baseline), f"{base_file}#budget.benefit.norm_year")
              if baseline.budget is not None else None)
    facts: dict[str, Any] = {
        "title": Fact(baseline.title or baseline.name, f"{base_file}#title" if baseline.title else f"{base_file}#name"),
        "meta": Markup(_("{options} options, {runs} simulated runs each on the same random numbers, seed {seed}, "
                         "written {written}.")).format(
            options=Fact(language.number(len(table)), "what_if.csv@count"), runs=runs, seed=seed,
            written=Fact(manifest["written_at"][:10], "manifest.json#written_at")),
        "summary": summary,
        "option_headings": headings,
        "options": options,
        "options_note": Markup(_("The median over runs, and in brackets the range of {range} % of runs; the chance "
                                 "of the target as a count of runs, and in brackets its {confidence} % interval."
                                 )).format(
            range=range_, confidence=Fact(str(METHOD["confidence"]), "method#confidence"))
        + (" " + Markup(_("Money in thousands of euros in {prices}.")).format(prices=prices) if prices else ""),
        "differences": _differences(what_if, option_names) if what_if.kind == "compare" else None,
        "difference_heading": Markup(_("difference ({confidence} % interval)")).format(
            confidence=Fact(str(METHOD["confidence"]), "method#confidence")),
        "differences_note": Markup(_("Means over runs. Each difference is paired: run by run, the same people with "
                                     "the same luck under both options, with its {confidence} % interval; better in: "
                                     "the share of runs in which the option does better (ties count half).")).format(
            confidence=Fact(str(METHOD["confidence"]), "method#confidence")),
        "plots": plots,
    }
    return facts | _scenario_and_method(baseline, base_file, manifest, seed)


def _option(what_if: WhatIf, row: int, words: str) -> Markup:
    """An option's name as a fact: a scenario's title, or a sweep point's values."""
    name = what_if.table.at[row, "alternative"]
    if what_if.kind == "compare":
        scenario = what_if.scenarios[name]
        return Markup(Fact(words, f"scenarios/{name}.yaml#" + ("title" if words == scenario.title else "name")))
    return Markup("; ").join(
        Markup("{label}: {value}").format(label=label(path), value=Fact(
            what_if.value_in_words(path, what_if.table.at[row, path]), f"what_if.csv#{row}.{path}"))
        for path in what_if.varied)


def _changes_in_words(what_if: WhatIf, name: str, base_file: str) -> list[Markup]:
    start = what_if.baseline.calendar_start
    changes = what_if.changes(name)
    shown = []
    for path, before, after in changes[:CHANGES_NAMED]:
        def value(value: Any, file: str, path: str = path) -> Markup:
            return Markup(Fact(describe(path, value, start), f"{file}#{path}" + _scale(path))) if value is not None \
                else Markup(_("not set"))
        shown.append(Markup("{label}: {before} → {after}").format(
            label=label(path), before=value(before, base_file), after=value(after, f"scenarios/{name}.yaml")))
    if len(changes) > CHANGES_NAMED:
        shown.append(Markup(ngettext("and {count} more figure (the scenario files are in the folder's scenarios/)",
                                     "and {count} more figures (the scenario files are in the folder's scenarios/)",
                                     len(changes) - CHANGES_NAMED)).format(
            count=Fact(language.number(len(changes) - CHANGES_NAMED), f"scenarios/{name}.yaml@changes-"
                                                                       f"{CHANGES_NAMED}")))
    return shown


def _what_if_opening(what_if: WhatIf, runs: Fact, seed: Fact, option_names: list[Markup]) -> Markup:
    if what_if.kind == "compare":
        return Markup(ngettext("{baseline} (the baseline) against {count} other option, {runs} runs each on the "
                               "same random numbers (seed {seed}): each run sees the same people with the same luck "
                               "under every option, so the differences are the options' own.",
                               "{baseline} (the baseline) against {count} other options, {runs} runs each on the "
                               "same random numbers (seed {seed}): each run sees the same people with the same luck "
                               "under every option, so the differences are the options' own.",
                               len(option_names) - 1)).format(
            baseline=option_names[0], count=Fact(language.number(len(option_names) - 1), "what_if.csv@count-1"),
            runs=runs, seed=seed)
    return Markup(ngettext("{fields}: {count} value tried, {runs} runs each on the same random numbers (seed "
                           "{seed}).", "{fields}: {count} values tried, {runs} runs each on the same random numbers "
                           "(seed {seed}).", len(option_names))).format(
        count=Fact(language.number(len(option_names)), "what_if.csv@count"),
        fields=Markup(_(" and ")).join(label(path) for path in what_if.varied), runs=runs, seed=seed)


def _target_paragraph(what_if: WhatIf, option_names: list[Markup], chance) -> Markup:
    """Which options reach the target with the certainty a promise needs."""
    outcome, level = what_if.target
    table, baseline = what_if.table, what_if.baseline
    base_file = f"scenarios/{baseline.name}.yaml" if what_if.kind == "compare" else "scenario.yaml"
    start = baseline.calendar_start
    when = _moment(start, baseline.horizon_months, f"{base_file}#horizon_months")
    target = Markup(_("The target, {level} {outcome} by {when}")).format(
        level=Fact(language.number(level), "what_if.csv#0.target_at_least"), outcome=_(TARGET_WORDS[outcome]),
        when=when)
    certainty = Fact(str(METHOD["promise_high"]), "method#promise_high")
    sure = [option_names[row] for row in range(len(table))
            if table.at[row, "target_chance"] >= METHOD["promise_high"] / 100]
    if sure:
        return Markup(_("{target}, is reached in at least {certainty} % of runs with: {options}.")).format(
            target=target, certainty=certainty, options=Markup("; ").join(sure))
    best = int(table["target_chance"].to_numpy().argmax())
    if table.at[best, "target_hits"] == 0:
        return Markup(_("{target}, is not reached in any run of any option.")).format(target=target)
    return Markup(_("{target}, is reached in {certainty} % of runs by none of the options; most often with "
                    "{option}: {chance}.")).format(target=target, certainty=certainty, option=option_names[best],
                                                   chance=chance(best))


def _differences_in_short(what_if: WhatIf, option_names: list[Markup]) -> list[Markup]:
    """Each alternative's paired difference in the outcome the target counts (else placements)."""
    outcome = what_if.target[0] if what_if.target else "placed"
    rows = pd.read_csv(what_if.folder / "comparison.csv")
    paragraphs = []
    for row_number in range(1, len(what_if.table)):
        name = what_if.table.at[row_number, "alternative"]
        match = rows[(rows["scenario"] == name) & (rows["outcome"] == outcome)]
        if match.empty:
            continue
        index = match.index[0]

        def fact(key: str, index: int = index) -> Fact:
            shown = column(outcome)
            return Fact(shown.formatted(rows.at[index, key]), f"comparison.csv#{index}.{key}")

        paragraphs.append(Markup(_("{option} against the baseline: {difference} {outcome} on average ({low} to "
                                   "{high}, {confidence} % interval); more in {better} of runs.")).format(
            option=option_names[row_number], difference=fact("difference"), outcome=_(TARGET_WORDS[outcome]),
            low=fact("ci95_low"), high=fact("ci95_high"),
            confidence=Fact(str(METHOD["confidence"]), "method#confidence"),
            better=Fact(percent(rows.at[index, "chance_better"]), f"comparison.csv#{index}.chance_better*100")))
    return paragraphs


def _differences(what_if: WhatIf, option_names: list[Markup]) -> list[dict[str, Any]]:
    """A comparison's paired differences, a table per alternative."""
    rows = pd.read_csv(what_if.folder / "comparison.csv")
    blocks = []
    for row_number in range(1, len(what_if.table)):
        name = what_if.table.at[row_number, "alternative"]
        lines = []
        for outcome in DIFFERENCES_SHOWN:
            match = rows[(rows["scenario"] == name) & (rows["outcome"] == outcome)]
            if match.empty:
                continue
            index, shown = match.index[0], column(outcome)

            def fact(key: str, index: int = index, shown=shown, option: int = row_number) -> Fact | str:
                value, source = rows.at[index, key], f"comparison.csv#{index}.{key}"
                # A mean the pairing leaves out (estimated for one side only) is still the scenario's own mean.
                row = {"baseline_mean": 0, "alternative_mean": option}.get(key)
                if pd.isna(value) and row is not None and f"{shown.name}_mean" in what_if.table.columns:
                    value, source = what_if.table.at[row, f"{shown.name}_mean"], f"what_if.csv#{row}.{shown.name}_mean"
                if pd.isna(value):
                    return _("not estimated")
                if shown.unit == "share":  # shown in percent, and shares apart in percentage points
                    words = shown.formatted_difference(value) if key.startswith(("difference", "ci95")) \
                        else shown.formatted(value)
                    return Fact(words, source + "*100")
                return Fact(shown.formatted(value), source + (f"/{shown.scale:g}" if shown.scale != 1 else ""))

            better = rows.at[index, "chance_better"]
            if rows.at[index, "chance_same"] == 1:
                better = _("same in every run")
            difference = fact("difference") if pd.isna(rows.at[index, "ci95_low"]) else Markup(
                _("{median} ({low} to {high})")).format(median=fact("difference"), low=fact("ci95_low"),
                                                         high=fact("ci95_high"))
            lines.append({
                "outcome": shown.table_label, "baseline": fact("baseline_mean"), "option": fact("alternative_mean"),
                "difference": difference,
                "better": better if isinstance(better, str) else "" if pd.isna(better) else Fact(
                    percent(better), f"comparison.csv#{index}.chance_better*100"),
            })
        blocks.append({"title": Markup(_("{option} against the baseline")).format(option=option_names[row_number]),
                       "rows": lines})
    return blocks


def _runs(chance: dict, source: str, **columns: str) -> Markup:
    """A chance as a count of runs with its 95 % interval, each figure traced;
    ``columns``: where the source names the hits, probability, low and high
    otherwise than the chance does."""
    def share(key: str, name: str) -> Fact:
        return Fact(percent(chance[key]), f"{source}.{columns.get(name, key)}*100")
    return Markup(_("{hits} of {runs} runs ({share}; {confidence} % interval {low} to {high})")).format(
        hits=Fact(language.number(chance["hits"]), f"{source}.{columns.get('hits', 'hits')}"),
        runs=Fact(language.number(chance["runs"]), f"{source}.runs"), share=share("probability", "probability"),
        confidence=Fact(str(METHOD["confidence"]), "method#confidence"), low=share("ci95_low", "low"),
        high=share("ci95_high", "high"))


def _summary(summary: dict, scenario, replications, outcome, range_: Fact) -> list[Markup]:
    """The first paragraph, in plain words: what the plan says, how likely it
    is, what can be promised, what it costs and saves, and whether the
    spread includes what is not known of the assumptions."""
    paragraphs = []
    start = scenario.calendar_start
    horizon = _moment(start, scenario.horizon_months, "scenario.yaml#horizon_months")
    target = summary.get("target")
    promised = target["outcome"] if target else "placed"
    words = _(TARGET_WORDS[promised])
    if target:
        participants = scenario.referrals.max_participants
        at_least = Fact(language.number(target["at_least"]), "summary.json#target.at_least")
        if participants:
            plan = Markup(_("The plan: {target} {outcome} by {when}, of {participants} participants ({share}).")
                          ).format(
                target=at_least, outcome=words, when=horizon,
                participants=Fact(language.number(participants), "scenario.yaml#referrals.max_participants"),
                share=Fact(language.percent(target["at_least"] / participants),
                           "scenario.yaml#target.off_assistance/referrals.max_participants*100"
                           if promised == "off_assistance" else
                           "scenario.yaml#target.placed/referrals.max_participants*100"))
        else:
            plan = Markup(_("The plan: {target} {outcome} by {when}.")).format(target=at_least, outcome=words,
                                                                               when=horizon)
        paragraphs.append(plan + " " + Markup(_("The simulation reaches that in {chance}.")).format(
            chance=_runs(target, "summary.json#target")))
    if replications is not None and promised in replications:
        values = replications[promised].to_numpy()
        high, low = (promise(values, METHOD[key] / 100) for key in ("promise_high", "promise_low"))
        paragraphs.append(Markup(_("What can be promised: at least {high} {outcome} with {certainty_high} % "
                                   "certainty, at least {low} with {certainty_low} % certainty; on average {mean}, in "
                                   "{range} % of runs between {q05} and {q95}.")).format(
            high=Fact(language.number(high), f"replications#promise:{promised}:{METHOD['promise_high']}"),
            low=Fact(language.number(low), f"replications#promise:{promised}:{METHOD['promise_low']}"),
            certainty_high=Fact(str(METHOD["promise_high"]), "method#promise_high"),
            certainty_low=Fact(str(METHOD["promise_low"]), "method#promise_low"), outcome=words,
            mean=outcome(promised, "mean", 1), range=range_, q05=outcome(promised, "q05"),
            q95=outcome(promised, "q95")))
    reasons = summary.get("not_estimated", {})
    if "net_into_work" not in reasons:
        paragraphs.append(Markup(_("Compared with the same people without the programme, {net} more are in work on "
                                   "average (placements, less the jobs they would have found on their own).")).format(
            net=outcome("net_into_work", "mean", 1)))
    if "pays_for_itself" in summary:
        if summary.get("money_counted_until_drawn") is not None:
            until = Fact(counted_until(summary), "summary.json#money_counted_until_drawn")
        elif start is None:
            until = Fact(counted_until(summary), "summary.json#money_counted_until_month")
        else:
            until = Fact(counted_until(summary), f"calendar#{start}+{summary['money_counted_until_month']:g}")

        def amount(name: str) -> Markup:
            if name in reasons:
                return Markup(Fact(_(reasons[name]), f"summary.json#not_estimated.{name}"))
            return Markup(_("€ {amount} thousand")).format(amount=outcome(name, "mean"))

        prices = Fact(prices_in_words(scenario), "scenario.yaml#budget.benefit.norm_year")
        if "total_costs" in reasons or "net_savings" in reasons:
            money = Markup(_("Money, counted until {until}, in {prices}: what it costs and saves net is not "
                             "estimated ({reason}); benefit not paid while people work through the programme "
                             "(gross savings): {gross}.")).format(
                until=until, prices=prices, gross=amount("gross_savings"),
                reason=Fact(_(reasons.get("total_costs") or reasons["net_savings"]),
                            "summary.json#not_estimated." + ("total_costs" if "total_costs" in reasons
                                                             else "net_savings")))
        else:
            money = Markup(_("Money, counted until {until}, in {prices}: the programme costs {costs} and saves "
                             "{savings} on benefits, net of what would have happened anyway (means over runs, not "
                             "discounted; per calendar year below).")).format(
                until=until, prices=prices, costs=amount("total_costs"), savings=amount("net_savings"))
        pays = summary["pays_for_itself"]
        if "not_estimated" in pays:
            money += " " + Markup(_("Whether it pays for itself: {reason}.")).format(
                reason=Fact(_(pays["not_estimated"]), "summary.json#pays_for_itself.not_estimated"))
        else:
            money += " " + Markup(_("It pays for itself (net present value above zero, discounted) in {chance}; "
                                    "the net present value is {npv} on average.")).format(
                chance=_runs(pays, "summary.json#pays_for_itself"), npv=amount("npv"))
            if "npv_at_pilot_end" not in reasons and start is not None:
                money += " " + Markup(_("At the end of the pilot ({when}), where the decision to continue falls, it "
                                        "is {npv}.")).format(
                    when=Fact(language.moment(start, summary["pilot_end_month"]),
                              f"calendar#{start}+{summary['pilot_end_month']:g}"), npv=amount("npv_at_pilot_end"))
            median = summary["outcomes"]["break_even_month"]["q50"]
            if "break_even_month" not in reasons and median is not None and start is not None:
                money += " " + Markup(_("Half of the runs have earned back the costs by {month}.")).format(
                    month=Fact(language.calendar_month(start, round(median)), f"calendar#{start}+{round(median)}"))
        paragraphs.append(money)
    if scenario.budget is None:
        paragraphs.append(Markup(_("Money is not estimated: the scenario gives no budget (benefit and costs).")))
    uncertain = len(scenario.uncertain)
    if summary.get("with_uncertainty"):
        paragraphs.append(Markup(ngettext("Uncertainty about the assumptions is included: each run draws the "
                                          "{count} uncertain assumption (listed below) anew.",
                                          "Uncertainty about the assumptions is included: each run draws the "
                                          "{count} uncertain assumptions (listed below) anew.", uncertain)).format(
            count=Fact(language.number(uncertain), "scenario.yaml#uncertain@count")))
    elif uncertain:
        paragraphs.append(Markup(ngettext("Uncertainty about the assumptions is not included: every run uses the "
                                          "values below, so the spread shows chance alone; the {count} uncertain "
                                          "assumption below could make it wider.",
                                          "Uncertainty about the assumptions is not included: every run uses the "
                                          "values below, so the spread shows chance alone; the {count} uncertain "
                                          "assumptions below could make it wider.", uncertain)).format(
            count=Fact(language.number(uncertain), "scenario.yaml#uncertain@count")))
    else:
        paragraphs.append(Markup(_("Uncertainty about the assumptions is not included, and the scenario names none: "
                                   "the spread shows chance alone.")))
    if summary.get("warnings"):
        # The same warnings as summary.json's, in the reader's language.
        still_there = sum(summary["outcomes"][name]["mean"] for name in STILL_THERE)
        for index, warning in enumerate(money_warnings(scenario, still_there)):
            paragraphs.append(Markup(_("Left out of the money: {warning}.")).format(
                warning=Fact(warning, f"summary.json#warnings.{index}")))
    return paragraphs


def _money_years(folder: Path, summary: dict) -> list[dict[str, Any]] | None:
    """Money per calendar year, means over runs in thousands of euros, and the
    months of each year the money covers."""
    path = folder / "money_per_year.csv"
    if not path.is_file():
        return None
    table = pd.read_csv(path, index_col="year")
    reasons = summary.get("not_estimated", {})
    rows = []
    for year, row in table.iterrows():
        source = f"money_per_year.csv#{year}"

        def cell(column: str, needs: str, row: pd.Series = row, source: str = source) -> Fact:
            if needs in reasons or pd.isna(row[column]):
                return Fact(_("not estimated"), f"summary.json#not_estimated.{needs}")
            return Fact(language.number(row[column] / 1000), f"{source}.{column}/1000")

        rows.append({
            "year": Fact(str(year), f"{source}.year"),
            "months": Fact(language.number(row["months_counted"], 0 if float(row["months_counted"]).is_integer()
                                           else 1), f"{source}.months_counted"),
            "costs": cell("costs_mean", "total_costs"),
            "savings": cell("net_savings_mean", "net_savings"),
            "net": cell("discounted_net_mean", "npv"),
            "net_range": Markup(_("{low} to {high}")).format(low=cell("discounted_net_q05", "npv"),
                                                             high=cell("discounted_net_q95", "npv")),
        })
    return rows


#: What the simulation does not count or cannot know: said in every report.
LIMITATIONS = (
    N_("Figures marked as an assumption have no published source; the sensitivity analysis (pilotsim "
       "sensitivity) shows which of them the answer depends on."),
    N_("The spread over runs is chance: who is referred when, who drops out, who finds a job. Uncertainty about the "
       "assumptions is in it only where the report says so."),
    N_("Money counts benefit, administration and the programme's costs. It does not count taxes paid on wages, "
       "health, or jobs that other people would otherwise have had."),
    N_("People who leave the scope (move away, another benefit) are counted as they would have been without the "
       "programme."),
    N_("The chance of losing a job is the same every month; jobs do not grow into other jobs."),
)

def _assumptions(scenario, scenario_file: str = "scenario.yaml") -> list[dict[str, Any]]:
    """The scenario's figures by section, each with its source or basis, as facts."""
    start = scenario.calendar_start
    sections: dict[str, dict[str, Any]] = {}
    for row in assumptions(scenario):
        title = SECTIONS.get(row.section, row.section)
        section = sections.setdefault(title, {"title": _(title), "rows": [], "note": None})
        if section["note"] is None and scenario.notes.get(row.section) and row.inherited:
            # The comment over a whole section, once, above its rows.
            section["note"] = Fact(scenario.notes[row.section], f"comment#{row.section}")
        uncertain = None
        if row.low is not None:
            key = row.uncertain_key
            uncertain = Markup(_("{low} to {high}")).format(
                low=Fact(value_in_words(row.path, row.low, start), f"{scenario_file}#uncertain.{key}@q05"
                         + _scale(row.path)),
                high=Fact(value_in_words(row.path, row.high, start), f"{scenario_file}#uncertain.{key}@q95"
                          + _scale(row.path)))
            if row.uncertain_part:
                uncertain = Markup(_("{part}: {range}")).format(part=row.uncertain_part, range=uncertain)
        section["rows"].append({
            "label": Markup(label(row.path, named=lambda words, path: Fact(words, f"{scenario_file}#{path}")))
            if field_label(row.path) else row.path,
            "value": Fact(describe(row.path, row.value, start), f"{scenario_file}#{row.path}" + _scale(row.path)),
            "kind": row.kind,
            "basis": _(BASES[row.kind]),
            "note": Fact(row.note, f"comment#{row.path}") if row.note else None,
            "inherited": row.inherited is not None,
            "uncertain": uncertain,
        })
    return list(sections.values())


def _scale(path: str) -> str:
    """How the shown value relates to the file's: shares are shown in percent."""
    return "*100" if unit(path).startswith("share") else ""
