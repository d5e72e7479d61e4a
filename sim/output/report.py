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
import numpy as np
from ruamel.yaml import YAML

from sim.errors import Problem, ScenarioError
from sim.measure.columns import column
from sim.measure.statistics import percent
from sim.output.folders import write_file_atomically
from sim.output.run_folder import RunFolder
from sim.scenario.safe_yaml import read_text

#: Fixed parts of the method, shown as facts with the source "method".
METHOD = {"range": 90, "confidence": 95}

#: What each plot shows, in the order the report shows them.
PLOT_CAPTIONS = {
    "placements.png": "What the programme promises (people placed, or off assistance altogether): the spread over all "
                      "runs, with the target.",
    "uncertainty_placed.png": "Placements with chance alone, and with the uncertain assumptions drawn as well.",
    "states_over_time.png": "Where people are, month by month (median and spread over runs).",
    "waiting_list.png": "The waiting list over time.",
    "place_utilisation.png": "How many people are in places, beside the number of places.",
    "npv.png": "Net present value: the spread over runs.",
    "cumulative_net_saving.png": "Net saving added up month by month, discounted, against the costs.",
    "pays_for_itself.png": "The chance the programme stays within what the municipality is willing to put in.",
    "waterfall.png": "From gross benefit savings to the net present value.",
}

#: Scenario fields in the assumptions table: label, path.
ASSUMPTIONS = (
    ("Referrals a month", "referrals.rate_per_month"),
    ("Accepted at intake", "referrals.acceptance"),
    ("Participants at most", "referrals.max_participants"),
    ("Waiting list at most", "referrals.waiting_list_limit"),
    ("Own chance of finding work a year, without the programme", "counterfactual.own_job_chance_per_year"),
    ("Part-time share of jobs", "employment.part_time_share"),
    ("Job loss a month", "employment.job_loss_hazard_per_month"),
    ("Discount rate", "budget.discount_rate"),
    ("Training cost per participant (EUR)", "budget.costs.per_participant"),
    ("Job coaching after placement, months", "employment.support.months"),
    ("Job loss while coached, times the usual", "employment.support.job_loss_factor"),
    ("People coached at once, at most", "employment.support.slots"),
    ("Coaching cost a month (EUR)", "employment.support.cost_per_month"),
)


@dataclass(frozen=True)
class Fact:
    """A figure as shown, with the file and field it comes from."""

    text: str
    source: str


#: In every report, in the HTML's head and in the PDF's title: how pilotsim
#: recognises a report it wrote, which it may replace.
MARK = "pilotsim report"


def build_report(folder: Path) -> str:
    """The HTML of the report on the results folder ``folder``."""
    folder = Path(folder)
    results = _read_results(folder)
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("sim", "templates"), autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    try:
        facts = _facts(folder, results)
    except (KeyError, TypeError, ValueError) as error:  # files that parse but are not what a run writes
        raise ScenarioError([Problem(str(folder), None, None, "", "its files are not as pilotsim run writes them "
                                     f"(no {' '.join(str(error).split())[:200]})")]) from None
    return environment.get_template("report.html.j2").render(mark=MARK, **facts)


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


# --- reading the results folder ---------------------------------------------------


def _read_results(folder: Path) -> dict[str, Any]:
    """The files of the results folder the report shows, each checked."""
    run = RunFolder.open(folder)
    summary = run.summary()
    table = run.replication_rows()
    # The scenario as its file has it (checked above by loading it).
    scenario = YAML(typ="safe", pure=True).load(read_text(folder / "scenario.yaml"))
    return {"summary": summary, "scenario": scenario, "manifest": run.manifest, "replications": table}


def _field(data: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def _facts(folder: Path, results: dict[str, Any]) -> dict[str, Any]:
    summary, scenario, manifest = results["summary"], results["scenario"], results["manifest"]
    outcomes = summary["outcomes"]

    def outcome(name: str, statistic: str, decimals: int = 0) -> Fact:
        # Euros in thousands, as the column registry shows them.
        scale = column(name).scale
        return Fact(_number(outcomes[name][statistic] / scale, decimals),
                    f"summary.json#outcomes.{name}.{statistic}" + (f"/{scale:g}" if scale != 1 else ""))

    def share_of_runs(name: str, above: float) -> Fact | None:
        table = results["replications"]
        if table is None or name not in table:
            return None
        return Fact(_number(100 * float(np.mean(table[name] > above))), f"replications#{name}>{above:g}")

    def field(path: str) -> Fact | None:
        value = _field(scenario, path)
        if value is None or isinstance(value, (dict, list)):
            return None
        return Fact(f"{value:,.4g}" if isinstance(value, float) else str(value), f"scenario.yaml#{path}")

    facts: dict[str, Any] = {
        "title": scenario.get("title") or scenario["name"],
        "name": Fact(scenario["name"], "scenario.yaml#name"),
        "description": Fact(scenario["description"], "scenario.yaml#description") if scenario.get("description")
        else None,
        "horizon": Fact(_number(float(scenario["horizon_months"])), "scenario.yaml#horizon_months"),
        "replications": Fact(_number(summary["replications"]), "summary.json#replications"),
        "seed": Fact(str(summary["seed"]), "summary.json#seed"),
        "written_at": Fact(manifest["written_at"][:10], "manifest.json#written_at"),
        "range": Fact(str(METHOD["range"]), "method#range"),
        "confidence": Fact(str(METHOD["confidence"]), "method#confidence"),
        "placed": {statistic: outcome("placed", statistic, 1 if statistic == "mean" else 0)
                   for statistic in ("mean", "q05", "q95")},
        "net_into_work": (Fact(summary["not_estimated"]["net_into_work"], "summary.json#not_estimated.net_into_work")
                          if "net_into_work" in summary.get("not_estimated", {})
                          else outcome("net_into_work", "mean", 1)),
        "net_known": "net_into_work" not in summary.get("not_estimated", {}),
        "started": outcome("started", "mean", 1),
        "mean_wait": outcome("mean_wait_months", "mean", 1),
        "target": None,
        "money": None,
        "with_uncertainty": bool(summary.get("with_uncertainty")),
    }
    target = summary.get("target")
    if target:
        facts["target"] = {"at_least": Fact(str(target["at_least"]), "summary.json#target.at_least"),
                           "words": {"placed": "placed in paid work", "off_assistance": "off assistance"}[
                               target["outcome"]],
                           **_chance_facts(target, "summary.json#target")}
    if "pays_for_itself" in summary:
        facts["money"] = _money_facts(summary, outcome)
    facts["assumptions"] = [(label, fact) for label, path in ASSUMPTIONS if (fact := field(path)) is not None]
    facts["stages"] = [
        (Fact(name, f"scenario.yaml#stages.{name}"), _places(name, stage.get("slots")),
         Fact(_describe(stage.get("duration")), f"scenario.yaml#stages.{name}.duration"),
         Fact(", ".join(f"{route} {share:g}" for route, share in stage["outcomes"].items()),
              f"scenario.yaml#stages.{name}.outcomes") if stage.get("outcomes")
         else Fact(f"next: {stage.get('next')}", f"scenario.yaml#stages.{name}.next"))
        for name, stage in scenario["stages"].items()
    ]
    facts["uncertain"] = [(Fact(path, f"scenario.yaml#uncertain.{path}"),
                           Fact(_describe(spec), f"scenario.yaml#uncertain.{path}"))
                          for path, spec in (scenario.get("uncertain") or {}).items()]
    facts["sources"] = [Fact(text, f"scenario.yaml#sources.{index}")
                        for index, text in enumerate(scenario.get("sources") or [])]
    facts["command"] = Fact(" ".join(manifest.get("command") or []), "manifest.json#command")
    facts["versions"] = [Fact(f"{package} {version}", f"manifest.json#versions.{package}")
                         for package, version in (manifest.get("versions") or {}).items() if version]
    facts["python"] = Fact(manifest.get("python", ""), "manifest.json#python")
    facts["engine"] = Fact(manifest.get("engine", "fast"), "manifest.json#engine")
    facts["plots"] = [(PLOT_CAPTIONS[name], base64.b64encode((folder / "plots" / name).read_bytes()).decode())
                      for name in PLOT_CAPTIONS if (folder / "plots" / name).is_file()]
    return facts


def _chance_facts(chance: dict, source: str) -> dict[str, Fact]:
    """A chance as a count of runs with its 95 % interval, each figure traced."""
    def share(key: str) -> Fact:
        return Fact(percent(chance[key]).removesuffix(" %"), f"{source}.{key}*100")
    return {"hits": Fact(_number(chance["hits"]), f"{source}.hits"),
            "runs": Fact(_number(chance["runs"]), f"{source}.runs"),
            "probability": share("probability"), "low": share("ci95_low"), "high": share("ci95_high")}


def _money_facts(summary: dict, outcome) -> dict[str, Any]:
    """The money in words: amounts, or why they are not estimated; whether it
    pays for itself and when it breaks even, as counts of runs."""
    reasons = summary.get("not_estimated", {})

    def amount(name: str, statistic: str = "mean") -> dict[str, Fact | None]:
        if name in reasons:
            return {"value": None, "reason": Fact(reasons[name], f"summary.json#not_estimated.{name}")}
        return {"value": outcome(name, statistic), "reason": None}

    money: dict[str, Any] = {
        "counted_until": Fact(summary["money_counted_until"], "summary.json#money_counted_until"),
        "pilot_end": Fact(_number(summary["pilot_end_month"]), "summary.json#pilot_end_month"),
        "gross_savings": amount("gross_savings"), "net_savings": amount("net_savings"),
        "costs": amount("total_costs"), "npv": amount("npv"), "npv_q05": amount("npv", "q05"),
        "npv_q95": amount("npv", "q95"), "npv_at_pilot_end": amount("npv_at_pilot_end"),
        "pays": None, "break_even": None,
        "warnings": [Fact(text, f"summary.json#warnings.{index}") for index, text in enumerate(summary["warnings"])],
    }
    if "npv" not in reasons:
        money["pays"] = _chance_facts(summary["pays_for_itself"], "summary.json#pays_for_itself")
    if "break_even_month" not in reasons:
        row = summary["outcomes"]["break_even_month"]
        source = "summary.json#outcomes.break_even_month"

        def month(key: str) -> Fact | None:
            return Fact(_number(row[key]), f"{source}.{key}") if row[key] is not None else None
        money["break_even"] = {
            "by": Fact(summary["breaks_even"]["by"], "summary.json#breaks_even.by"),
            **_chance_facts(summary["breaks_even"], "summary.json#breaks_even"),
            "median": month("q50"), "q05": month("q05"), "q95": month("q95"),
        }
    return money


def _places(stage: str, slots: Any) -> Fact | None:
    """A stage's places: a number, or its schedule in words."""
    if slots is None:
        return None
    if isinstance(slots, list):
        slots = ", ".join(f"{period['places']} from month {period['from_month']:g}" for period in slots)
    return Fact(str(slots), f"scenario.yaml#stages.{stage}.slots")


def _describe(spec: Any) -> str:
    """A distribution as written in the scenario, in a few words."""
    if isinstance(spec, (int, float)):
        return f"{spec:g}"
    if not isinstance(spec, dict):
        return ""
    parameters = ", ".join(f"{key} {value:g}" for key, value in spec.items()
                           if key != "dist" and isinstance(value, (int, float)))
    return f"{spec.get('dist', '')} ({parameters})" if parameters else str(spec.get("dist", ""))
