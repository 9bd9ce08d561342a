# The README's two commands. Each sets itself up from nothing: a virtualenv, the CPU build of
# torch first (a bare `torch` requirement would pull several GB of CUDA packages), then rl-lab.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,cluster]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rl-lab train bike_ride_ppo --overwrite

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/rl-lab bench

clean:
	rm -rf $(VENV) runs
