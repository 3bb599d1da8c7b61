# IKZ engine. Quick start: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install run test test-fast lint format typecheck check bench bench-quick clean messages screenshots

DEV_STAMP := $(VENV)/.dev-installed

# runtime dependencies only (make run); make test adds the dev extras and SpiffWorkflow (the tests parse the exported
# BPMN with it, and the bench smoke tests run it), make bench adds wrk
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

var:
	mkdir -p var

## run: the product on SQLite with in-process jobs; a timer loop runs beside the server. Development mode
## (DEBUG=1: demo password, console mail, http and local webhook receivers) unless DEBUG is set.
run messages typecheck: export DEBUG ?= 1
run: $(STAMP) var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	@echo "IKZ-Engine: http://$(HOST):$(PORT)/  (Anmeldung z. B. pm.mkk / demo)"
	$(PY) manage.py timer_loop --interval 30 & TIMER=$$!; \
	trap 'kill $$TIMER 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

## test: the whole suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set, else SQLite).
test: $(DEV_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

.PHONY: test-faults-full test-reliability

## test-faults-full: the fault tests at full count (20 SIGKILLs of a worker mid-job; own PostgreSQL and Redis).
test-faults-full: $(DEV_STAMP)
	FAULT_KILLS=20 FAULT_FULL=1 $(PY) -m pytest tests/reliability -s $(PYTEST_ARGS)

## test-reliability: the reliability and security suites only (reduced counts, as in the normal suite).
test-reliability: $(DEV_STAMP)
	$(PY) -m pytest tests/reliability tests/security $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy .

check: lint typecheck test

messages: $(DEV_STAMP)
	$(PY) manage.py makemessages -l de -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(DEV_STAMP) pyproject.toml
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || echo "wrk could not be installed; the HTTP benchmark will report an error"
	touch $(BENCH_STAMP)

## bench-quick: every benchmark at its smallest size (CI); bench: full size (BENCH_SCALE=large for 10^7 tasks).
bench-quick: $(BENCH_STAMP)
	$(PY) -m bench --size quick

bench: $(BENCH_STAMP)
	$(PY) -m bench --size full

## screenshots: the browser tests write screenshots of the main pages into docs/screenshots/.
screenshots: $(DEV_STAMP)
	test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund
	SCREENSHOT_DIR=docs/screenshots $(PY) -m pytest tests/e2e -q

clean:
	rm -rf var/db.sqlite3 .pytest_cache
