# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv on first use and re-install only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE ?= sample_experiments/digits_random.yaml

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test,samples]'
	@touch $(STAMP)

run: $(STAMP)
	@if [ -t 1 ]; then $(BIN)/hpotui run $(SAMPLE); \
	else $(BIN)/hpotui run $(SAMPLE) --no-ui; fi

test: $(STAMP)
	@$(BIN)/ruff check hpotui tests benchmarks
	@$(BIN)/python -m pytest -q

lint: $(STAMP)
	@$(BIN)/ruff check hpotui tests benchmarks

bench: $(STAMP)
	@$(BIN)/python -m pip install --quiet -e '.[bench]'
	@$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
