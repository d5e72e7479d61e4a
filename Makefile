# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    install into .venv, run the reference pilot, write results/
#   make test   install into .venv (with test tools) and run the test suite
# The install includes the dask extra, so the cluster executor is tested too.
PYTHON ?= $(shell command -v python3 || command -v python)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test benchmark messages clean

run: $(INSTALLED)
	$(BIN)/pilotsim run

test: $(INSTALLED)
	$(BIN)/python -m pytest --durations=15

benchmark: $(INSTALLED)
	$(BIN)/python benchmarks/bench_reference.py

# The Dutch catalogue brought up to date with the words in the code: new
# messages arrive untranslated (the suite then names them), gone ones leave.
messages: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o sim/locale/pilotsim.pot .
	$(BIN)/pybabel update -i sim/locale/pilotsim.pot -d sim/locale -D pilotsim -w 120 --no-fuzzy-matching \
		--ignore-obsolete --omit-header
	rm sim/locale/pilotsim.pot

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	touch $(INSTALLED)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
