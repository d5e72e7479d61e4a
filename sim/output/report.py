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
from sim.measure.money import STILL_THERE, money_warnings, prices_in_words
from sim.measure.statistics import percent, promise
from sim.output.fields import BASES, SECTIONS, assumptions, describe, field_label, label, unit, value_in_words
from sim.output.folders import write_file_atomically
from sim.output.run_folder import RunFolder
from sim.output.statements import TARGET_WORDS, counted_until

#: Fixed parts of the method, shown as facts with the source "method".
METHOD = {"range": 90, "confidence": 95, "promise_high": 80, "promise_low": 90}

#: What each plot shows, in the order the report shows them.
PLOT_CAPTIONS = {
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
    """The HTML of the report on the results folder ``folder``, in the
    current language."""
    folder = Path(folder)
    run = RunFolder.open(folder)
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("sim", "templates"), autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=False)
    try:
        facts = _facts(folder, run)
    except (KeyError, TypeError, ValueError) as error:  # files that parse but are not what a run writes
        raise ScenarioError([Problem(str(folder), None, None, "", "its files are not as pilotsim run writes them "
                                     f"(no {' '.join(str(error).split())[:200]})")]) from None
    return environment.get_template("report.html.j2").render(mark=MARK, lang=language.current(), **facts)


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
    start = scenario.calendar_start
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
        "description": Fact(scenario.description, "scenario.yaml#description") if scenario.description else None,
        "summary": _summary(summary, scenario, replications, outcome, range_),
        "money_years": _money_years(folder, summary),
        "assumptions": _assumptions(scenario),
        "limitations": [_(text) for text in LIMITATIONS],
        "runs_range": Markup(_("the same, {range} % of runs")).format(range=range_),
        "money_note": Markup(_("Thousands of euros in {prices}, means over runs; costs and savings not discounted, "
                               "savings minus costs discounted; a first or last year covers only the months counted "
                               "in it.")).format(prices=Fact(prices_in_words(scenario),
                                                             "scenario.yaml#budget.benefit.norm_year"))
        if scenario.budget is not None else None,
        "assumptions_note": Markup(_("Each figure with what the scenario file says of it: its source, or that it is "
                                     "an assumption (no source gives it), or that it was fitted to published "
                                     "figures. Where a figure is uncertain, the range it probably lies in "
                                     "({range} %).")).format(range=range_),
        "sources": [Fact(text, f"scenario.yaml#sources.{index}") for index, text in enumerate(scenario.sources)],
        "command": Fact(" ".join(manifest.get("command") or []), "manifest.json#command"),
        "reproduce": Markup(_("Seed {seed}, {engine} engine, Python {python}, {versions}. The same command, seed and "
                              "versions give the same figures.")).format(
            seed=Fact(str(summary["seed"]), "summary.json#seed"),
            engine=Fact(manifest.get("engine", "fast"), "manifest.json#engine"),
            python=Fact(manifest.get("python", ""), "manifest.json#python"),
            versions=Markup(", ").join(Fact(f"{package} {version}", f"manifest.json#versions.{package}")
                                       for package, version in (manifest.get("versions") or {}).items()
                                       if version)),
        "plots": [(_(PLOT_CAPTIONS[name]), base64.b64encode((folder / "plots" / name).read_bytes()).decode())
                  for name in PLOT_CAPTIONS if (folder / "plots" / name).is_file()],
        # The pictures are drawn when the run is made, in the language of that command.
        "plots_language": None if manifest.get("language", "en") == language.current() else _(
            "The pictures were drawn in {language} when the run was made; pilotsim run --lang {code} draws them in "
            "this language.").format(language=language.LANGUAGES.get(manifest.get("language", "en"), ""),
                                     code=language.current()),
    }
    if start is not None:
        facts["calendar"] = Markup(_("The programme starts in {month}.")).format(
            month=Fact(language.calendar_month(start, 1), "calendar#" + start + "+1"))
    else:
        facts["calendar"] = None
    return facts


def _runs(chance: dict, source: str) -> Markup:
    """A chance as a count of runs with its 95 % interval, each figure traced."""
    def share(key: str) -> Fact:
        return Fact(percent(chance[key]), f"{source}.{key}*100")
    return Markup(_("{hits} of {runs} runs ({share}; {confidence} % interval {low} to {high})")).format(
        hits=Fact(language.number(chance["hits"]), f"{source}.hits"),
        runs=Fact(language.number(chance["runs"]), f"{source}.runs"), share=share("probability"),
        confidence=Fact(str(METHOD["confidence"]), "method#confidence"), low=share("ci95_low"),
        high=share("ci95_high"))


def _summary(summary: dict, scenario, replications, outcome, range_: Fact) -> list[Markup]:
    """The first paragraph, in plain words: what the plan says, how likely it
    is, what can be promised, what it costs and saves, and whether the
    spread includes what is not known of the assumptions."""
    paragraphs = []
    start = scenario.calendar_start
    horizon = Fact(language.moment(start, scenario.horizon_months), "calendar#" + (start or "") + "+"
                   + f"{scenario.horizon_months:g}") if start else Fact(
        _("month {number}").format(number=language.number(scenario.horizon_months)), "scenario.yaml#horizon_months")
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

def _assumptions(scenario) -> list[dict[str, Any]]:
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
            uncertain = Markup(_("{low} to {high}")).format(
                low=Fact(value_in_words(row.path, row.low, start), f"scenario.yaml#uncertain.{row.path}@q05"
                         + _scale(row.path)),
                high=Fact(value_in_words(row.path, row.high, start), f"scenario.yaml#uncertain.{row.path}@q95"
                          + _scale(row.path)))
        section["rows"].append({
            "label": Markup(label(row.path, named=lambda words, path: Fact(words, f"scenario.yaml#{path}")))
            if field_label(row.path) else row.path,
            "value": Fact(describe(row.path, row.value, start), f"scenario.yaml#{row.path}" + _scale(row.path)),
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
