# The two commands of the README: `make demo` (screen a demonstration batch end to end) and `make test`.
# Both create what they need: the virtual environment, the dependencies and the embedded services.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/screening demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) lint
	bash scripts/ensure-system-packages
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_screen.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
