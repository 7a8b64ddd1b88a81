# Every target sets up .venv itself, so each works from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install lint typecheck test test-matrix demo emulator reliability bench bench-budget acceptance sweep clean

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[emulator,dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Each example is its own Pulumi program with a __main__.py: type-check them one by one.
typecheck: $(STAMP)
	$(PY) -m mypy sg_snapshot_provider sg_snapshot_harness tests scripts
	for example in examples/*/; do $(PY) -m mypy "$$example" || exit 1; done

test: lint typecheck
	$(PY) -m pytest

# The tests at each end of the declared version ranges and on each Python the classifiers name,
# every lane in its own venv under .matrix/ (scripts/matrix.py says which versions and why).
test-matrix: $(STAMP)
	$(PY) scripts/matrix.py $(LANES)

demo: $(STAMP)
	$(PY) scripts/demo.py

reliability: $(STAMP)
	$(PY) scripts/reliability.py

# The lifecycle of every resource through the real plugin: against a local emulator, or, with
# SG_ACCEPTANCE_VOLUME_ARN, a real account (docs/acceptance.md). ARGS=--yes skips the question.
acceptance: $(STAMP)
	$(PY) scripts/acceptance.py $(ARGS)

# What earlier acceptance runs left in the account; ARGS=--delete deletes it.
sweep: $(STAMP)
	$(PY) scripts/sweep.py $(ARGS)

# The aws CLI the bench compares against lives in its own venv (gitignored), built here once so
# that the bench itself installs nothing; without it the bench omits the aws CLI column.
AWSCLI_VENV := .bench/awscli-venv
AWSCLI_STAMP := $(AWSCLI_VENV)/.installed

$(AWSCLI_STAMP): | $(STAMP)
	rm -rf $(AWSCLI_VENV)
	$(PY) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/python -m pip install --quiet 'awscli>=1.32'
	touch $(AWSCLI_STAMP)

bench: $(STAMP) $(AWSCLI_STAMP)
	$(PY) scripts/bench.py
	$(PY) scripts/bench_budget.py

# Only the fleet-under-throttling section (a few minutes): rerun it without the rest.
bench-budget: $(STAMP)
	$(PY) scripts/bench_budget.py

emulator: $(STAMP)
	$(PY) -m sg_snapshot_provider.emulator --volume arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12A3456B/volume/vol-1122AABB

clean:
	rm -rf $(VENV) .bench .matrix .pytest_cache .mypy_cache .ruff_cache .hypothesis
