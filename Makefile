# Two commands on a fresh machine:
#   make plan    set up, then show what the example stack would deploy (offline)
#   make test    set up, then run every check CI runs
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STACK ?= existing-infra

.PHONY: setup plan test lint typecheck unit e2e bench snapshots clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

plan: setup
	$(BIN)/python -m plan --stack $(STACK)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/pyright

unit: setup
	$(BIN)/pytest -m "not e2e"

# The pinned server run on the derived configuration (tests/e2e/run.sh says what it needs).
e2e: setup
	tests/e2e/run.sh $(BIN)

test: lint typecheck unit e2e

# Static check of .github (workflows and local actions), offline: zizmor's auditor persona,
# failing on any medium or high finding that has no `zizmor: ignore[...]` with its reason.
.PHONY: workflows
test: workflows
workflows: setup
	$(BIN)/zizmor --offline --persona auditor --min-severity medium .github/

# Refresh snapshots/ after an intended change to what the example stacks deploy.
snapshots: setup
	$(BIN)/python -m plan.snapshots --update

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
