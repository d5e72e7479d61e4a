"""Every notebook runs top to bottom as stored.

Notebooks are kept as jupytext ``py:percent`` files (reviewable diffs, no
outputs in the repository); here each is turned into a notebook and executed
by nbmake in a fresh kernel, as a reader would run it. nbmake fails a cell
that takes longer than the two minutes a whole notebook is meant to need.
"""

import subprocess
import sys

import jupytext
import pytest

from tests.conftest import PROJECT

NOTEBOOKS = sorted((PROJECT / "notebooks").glob("[0-9][0-9]_*.py"))


def test_there_is_a_notebook_for_each_kind_of_user():
    assert [path.stem for path in NOTEBOOKS] == ["01_planner_sizing", "02_budget_savings",
                                                 "03_researcher_assumptions"]


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(source, tmp_path):
    notebook = tmp_path / f"{source.stem}.ipynb"
    jupytext.write(jupytext.read(source), notebook)
    parameters = [cell for cell in jupytext.read(source).cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1 and "replications" in parameters[0].source  # one cell to make it quick or thorough
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbmake", "--nbmake-timeout=120", "-p", "no:cacheprovider", "-q",
         str(notebook)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]


def test_the_planners_chart_shows_in_the_notebook(monkeypatch):
    # Importing pilotsim must leave the notebook's inline backend alone: a
    # module that chose a backend of its own made the figure print as
    # "<Figure size ...>" instead of showing.
    import nbclient
    import nbformat

    source = PROJECT / "notebooks" / "01_planner_sizing.py"
    notebook = jupytext.read(source)
    chart = next(index for index, cell in enumerate(notebook.cells)
                 if cell.cell_type == "code" and 'figures(result)["placements.png"]' in cell.source)
    notebook.cells = notebook.cells[: chart + 1]
    # And the notebook's own backend is still the inline one after pilotsim
    # has been imported and has drawn (a Chart shows itself whatever it is).
    notebook.cells.append(nbformat.v4.new_code_cell("import matplotlib\nprint(matplotlib.get_backend())"))
    for cell in notebook.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = "replications = 20"
    # The kernel inherits this process's settings, and importing Streamlit's
    # test tools (tests/web) sets MPLBACKEND=Agg for the whole process.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(PROJECT)}}).execute()
    outputs = notebook.cells[chart].outputs
    assert any("image/png" in output.get("data", {}) for output in outputs), outputs
    backend = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    assert "inline" in backend, backend
