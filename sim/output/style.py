"""How every figure of pilotsim looks and is written.

Figures are made with matplotlib's object API (``Figure``), never through
pyplot: pyplot keeps a global list of open figures and a global backend, so
importing pilotsim would either change a notebook's inline backend or leave
figures to pile up in a long command. A Figure drawn here shows in Jupyter
like any other, and is written to PNG by the Agg canvas, chosen only when a
file is written."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: The spread over replications (bands, histograms, intervals).
BAND_COLOUR = "#2a6f97"
#: Targets and published figures: what the runs are held against.
TARGET_COLOUR = "#c1121f"
#: Secondary intervals (an unpaired interval beside the paired one).
MUTED_COLOUR = "#aaaaaa"

#: Resolution of the PNG files: sharp on a screen and in a printed report.
DPI = 120


class Chart(Figure):
    """A figure that shows itself in Jupyter as PNG, whatever the notebook's
    backend: the inline backend registers its display only once pyplot has
    drawn something, and pilotsim's figures never pass through pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        FigureCanvasAgg(self)
        self.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        return buffer.getvalue()


def save_figure(figure: Figure, path: Path) -> Path:
    """Write a figure as PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    return path
