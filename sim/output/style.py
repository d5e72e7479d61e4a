"""How every figure of pilotsim looks and is written.

Figures are made with matplotlib's object API (``Figure``), never through
pyplot: pyplot keeps a global list of open figures and a global backend, so
importing pilotsim would either change a notebook's inline backend or leave
figures to pile up in a long command. A Figure drawn here shows in Jupyter
like any other, and is written to PNG by the Agg canvas, chosen only when a
file is written."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim import language
from sim.language import _

#: Okabe and Ito's palette: told apart by people with any common kind of
#: colour blindness, and in grey print by lightness.
PALETTE = {"blue": "#0072B2", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
           "vermilion": "#D55E00", "purple": "#CC79A7", "grey": "#999999", "black": "#000000"}

#: The spread over runs (bands, histograms, intervals).
BAND_COLOUR = PALETTE["blue"]
#: Targets and published figures: what the runs are held against.
TARGET_COLOUR = PALETTE["vermilion"]
#: Secondary intervals (an unpaired interval beside the paired one).
MUTED_COLOUR = PALETTE["grey"]
#: Gains and losses in money.
GAIN_COLOUR, LOSS_COLOUR = PALETTE["green"], PALETTE["vermilion"]
#: A scale for chances (sweeps), dark blue to yellow, read alike by people with colour blindness.
CHANCE_COLOURS = "cividis"
#: Lines told apart: several scenarios or values in one plot.
SERIES_COLOURS = (PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["vermilion"], PALETTE["purple"],
                  PALETTE["sky"], PALETTE["black"])

#: Resolution of the PNG files: sharp on a screen and in a printed report.
DPI = 120

#: Text sizes: a figure is read at about 8 cm wide in a printed report.
TITLE_SIZE, NOTE_SIZE = 11, 8


class Chart(Figure):
    """A figure that shows itself in Jupyter as PNG, whatever the notebook's
    backend: the inline backend registers its display only once pyplot has
    drawn something, and pilotsim's figures never pass through pyplot.

    Axis numbers are formatted when the chart is drawn, which may be after
    the language it was made in is left (a notebook shows a Dutch chart
    after its ``speaking("nl")`` block): a chart is drawn in its own."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.made_in = language.current()

    def draw(self, renderer) -> None:
        with language.speaking(self.made_in):
            super().draw(renderer)

    def savefig(self, *args, **kwargs) -> None:
        with language.speaking(self.made_in):  # the tight bounding box measures the same numbers
            super().savefig(*args, **kwargs)

    def _repr_png_(self) -> bytes:
        return png_bytes(self)


def save_figure(figure: Figure, path: Path) -> Path:
    """Write a figure as PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(figure))
    return path


def png_bytes(figure: Figure) -> bytes:
    """A figure as a PNG file's bytes."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


# --- axes a person reads ------------------------------------------------------------


def count_axis(axis) -> None:
    """Whole people, with the language's thousands separator."""
    axis.set_major_locator(MaxNLocator(nbins=7, integer=True))  # few enough that 1,275 and 1,300 never touch
    axis.set_major_formatter(FuncFormatter(lambda value, _position: language.number(value)))


def percent_axis(axis, share: bool = True) -> None:
    """Percentages (``share``: the values are shares 0-1, else already percent)."""
    scale = 1 if share else 0.01
    axis.set_major_formatter(FuncFormatter(lambda value, _position: language.percent(value * scale)))


def thousands_axis(axis) -> None:
    """Euros in thousands: the label says so, the ticks are plain numbers (1,888; 1.888)."""
    axis.set_major_formatter(FuncFormatter(lambda value, _position: language.number(value)))


def calendar_axis(axes, start: str | None, last_month: float) -> None:
    """Months on the x axis by their calendar names (the tick at month m is
    the month that begins there), every 3, 6 or 12 months so that labels
    never run together; "months since the start" without a calendar."""
    if start is None:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(_("months since the start of the programme"))
        return
    # A label such as "Sept 2025" takes about an inch at this size.
    room = axes.figure.get_figwidth() * axes.get_position().width / 1.0
    step = next((step for step in (1, 2, 3, 6, 12, 24, 60) if last_month / step + 1 <= room), 120)
    axes.set_xticks(np.arange(0, last_month + 1, step))
    axes.xaxis.set_major_formatter(FuncFormatter(
        lambda value, _position: language.calendar_month(start, int(round(value)) + 1)))
    for label in axes.get_xticklabels():
        label.set_rotation(0)
    axes.set_xlabel("")


def finish(figure: Figure, replications: int, seed: int | None, with_uncertainty: bool = False, note: str = "",
           per_point: bool = False) -> None:
    """Lay the figure out with a footnote under everything: ``note`` (what a
    reader needs to read it right), then how many runs, which seed, and
    whether what is not known of the assumptions is in the spread."""
    if per_point:  # a sweep, a sizing: the runs of each point
        runs = _("{runs} runs per point, seed {seed}").format(runs=language.number(replications), seed=seed)
    elif seed is not None:
        runs = _("{runs} runs, seed {seed}").format(runs=language.number(replications), seed=seed)
    else:
        runs = _("{runs} runs").format(runs=language.number(replications))
    if with_uncertainty:
        runs += "; " + _("the uncertain assumptions drawn anew for each run")
    text = "\n".join(textwrap.wrap(f"{note} {runs}." if note else f"{runs}.",
                                   width=int(figure.get_figwidth() * 15)))
    lines = text.count("\n") + 1
    height = (lines * NOTE_SIZE * 1.5 + 6) / 72 / figure.get_figheight()  # points to a share of the figure
    figure.text(0.01, 0.01, text, ha="left", va="bottom", fontsize=NOTE_SIZE, color="dimgrey")
    figure.tight_layout(rect=(0, height, 1, 1))


def legend_outside(axes, **options) -> None:
    """The legend under the plot, below its axis label, where it covers nothing."""
    height = axes.figure.get_figheight() * 72 * axes.get_position().height  # the axes' height in points
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -38 / height), ncol=options.pop("ncol", 2), frameon=False,
                fontsize=NOTE_SIZE, **options)


def outcome_axis(axis, shown) -> str:
    """An axis for the values of a column of the registry (``shown``), in its
    unit: euros in thousands, shares in percent, people whole. Returns the
    axis label."""
    if shown.unit == "EUR":
        axis.set_major_formatter(FuncFormatter(lambda value, _position: language.number(value / 1000)))
        return _("{label}, € thousand").format(label=shown.words)
    if shown.unit == "share":
        percent_axis(axis)
        return shown.words
    if shown.unit == "people":
        count_axis(axis)
        return shown.words
    axis.set_major_formatter(FuncFormatter(lambda value, _position: language.significant(value)))
    return _("{label}, months").format(label=shown.words) if shown.unit == "months" else shown.words
