# The two commands of the README: `make demo` (screen a demonstration batch end to end) and `make test`.
# Both create what they need: the virtual environment, the dependencies and the embedded services.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# gettext catalogues of the letters and pages: the .po files are committed, the .mo files compiled here
PO := $(wildcard screening/locale/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: demo test lint bench clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pybabel -q compile -d screening/locale -D messages
	# the package's bytecode, as a non-editable install has it (a shell with PYTHONDONTWRITEBYTECODE
	# set would otherwise compile ~25 modules again in every `screening` process: ~70 ms)
	$(BIN)/python -m compileall -q screening
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

# after changing a user-facing string: re-extract the template and merge it into each .po
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -o screening/locale/messages.pot --no-location --sort-output \
	  --project newborn-screening --copyright-holder "newborn-screening contributors" .
	$(BIN)/pybabel -q update -i screening/locale/messages.pot -d screening/locale -D messages --no-fuzzy-matching \
	  --ignore-obsolete

demo: $(STAMP) $(MO)
	$(BIN)/screening demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) $(MO) lint
	bash scripts/ensure-system-packages
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_screen.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache $(MO)
