# Every routine task has a target; `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
# Python 3.10 from pyenv if present, else python3.10 on PATH (Rasa 3.6 needs <= 3.10).
BASE_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python3) $(shell command -v python3.10 2>/dev/null))
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(PY) -m rasa
INSTALLED := $(VENV)/.installed-stamp
SPACY_PIPELINE := build/spacy/support_en/meta.json
MODEL := models/triage.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find data lexicon -type f -name '*.yml' 2>/dev/null) \
	$(wildcard bot/nlu/*.py)
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
# Rasa's telemetry and crash reports go to the internet: never from here.
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# make run PROFILE=production: PostgreSQL, Redis and RabbitMQ instead of SQLite (docs/deploy.md)
PROFILE ?= embedded
export PROFILE

.PHONY: help install spacy train run test test-unit validate test-nlu test-stories record-stories bench bench-ratio fuzz soak mutations mutations-quick lint format typecheck lock clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml requirements.lock .python-version
	@if [ -z "$(BASE_PYTHON)" ]; then \
		echo "error: Python $(PYTHON_VERSION) not found. Install it with: pyenv install $(PYTHON_VERSION)"; exit 1; fi
	@test -x $(PY) || { echo "Creating $(VENV) with $(BASE_PYTHON)"; $(BASE_PYTHON) -m venv $(VENV); }
	@echo "Installing pinned dependencies (first time: a few minutes)..."
	$(PY) -m pip install --quiet --upgrade "pip<24.1"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# Debian's Chromium drives the desk's browser test (nothing downloads a browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests..."
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	else echo "error: run 'sudo apt-get install chromium' (needed by the desk's browser test)"; exit 1; fi

# The rasa-webchat widget for /chat, pinned by web/package-lock.json and served locally.
WEBCHAT := web/node_modules/rasa-webchat/lib/index.js
$(WEBCHAT): web/package.json web/package-lock.json
	@echo "Installing the web chat widget (npm)..."
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(INSTALLED) $(CHROMIUM) $(WEBCHAT) ## Create the virtualenv, install pinned dependencies, Chromium and the web chat widget

$(SPACY_PIPELINE): $(INSTALLED) lexicon/entity_patterns.yml bot/nlu/spacy_pipeline.py
	$(PY) -m bot.nlu.spacy_pipeline --patterns lexicon/entity_patterns.yml --output build/spacy/support_en

spacy: $(SPACY_PIPELINE) ## Build the spaCy pipeline from lexicon/entity_patterns.yml

$(MODEL): $(INSTALLED) $(SPACY_PIPELINE) $(TRAINING_INPUTS)
	@echo "Training (data or config changed)..."
	$(RASA) train --fixed-model-name triage --out models --force
	@touch $@

train: $(MODEL) ## Train the model if data, domain, config or lexicon changed

run: $(MODEL) $(WEBCHAT) ## Set up everything, then run the bot on embedded defaults
	$(PY) -m bot.launcher

test: lint typecheck validate test-unit test-stories mutations-quick ## Everything CI runs

test-unit: $(MODEL) $(CHROMIUM) $(WEBCHAT) ## pytest (starts real servers on loopback)
	$(PY) -m pytest

validate: $(INSTALLED) $(SPACY_PIPELINE) ## rasa data validate; warnings fail
	$(PY) -m bot.tools.validate

test-nlu: $(MODEL) ## Held-out intent/entity reports and confusion matrices in results/nlu
	$(PY) -m bot.tools.nlu_report --model $(MODEL) --out results/nlu

test-stories: $(MODEL) ## Test stories predicted by the patched policies, then replayed through the REST channel and stores customers get
	$(PY) -m bot.rasa_cli test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/stories
	$(PY) -m bot.tools.record_stories --check

record-stories: $(MODEL) ## Re-record test stories from tests/stories/conversations.yml (review the diff!)
	$(PY) -m bot.tools.record_stories

# Rasa's stock `rasa init` configuration on the same data, for `make bench` (about 20 min to train here).
STOCK_MODEL := models/stock.tar.gz
$(STOCK_MODEL): $(INSTALLED) bench/stock/config.yml domain.yml $(shell find data -type f -name '*.yml' 2>/dev/null)
	@echo "Training Rasa's stock configuration for the comparison (DIET and TED: about 20 minutes on 2 cores)..."
	$(RASA) train --config bench/stock/config.yml --fixed-model-name stock --out models --force
	@touch $@

bench: $(MODEL) $(STOCK_MODEL) $(WEBCHAT) ## Benchmark against stock Rasa; table and plot in bench/results/ (about 25 min)
	$(PY) -m bench.run

fuzz: $(MODEL) $(CHROMIUM) $(WEBCHAT) ## 2,000 generated bad inputs at every endpoint of every process (make test runs a quick form)
	FUZZ_PROBES=250 $(PY) -m pytest tests/fuzz -q

mutations: $(MODEL) ## Each Rasa patch disabled, each subclass part put back to Rasa's, in turn: its tests must fail (about 3 min)
	$(PY) -m bot.tools.mutation_check

mutations-quick: $(MODEL) ## make test's form: each patch in turn, each subclass's changes at once (about 1.5 min)
	$(PY) -m bot.tools.mutation_check --quick

bench-ratio: $(MODEL) $(STOCK_MODEL) ## Only the interleaved ours / stock throughput ratio (about 5 min): run it before and after a change on the message path
	$(PY) -m bench.run --ratio-only

bench-analytics: $(INSTALLED) ## Analytics: report over 100,000 generated conversations, consumer at 200 msg/s (results/bench/analytics.json; first run ~12 min)
	$(PY) -m bench.analytics

bench-analytics-quick: $(INSTALLED) ## The same on 2,000 conversations and 5 s of traffic (make test runs it as tests/bench/test_analytics_quick.py)
	$(PY) -m bench.analytics --quick

soak: $(MODEL) ## 200 customers for 5 min on the production profile while Rasa, Redis, RabbitMQ and PostgreSQL fail
	$(PY) -m bench.reliability

# make report FROM=2026-11-01 TO=2026-11-30 [CHANNEL=sms INTENT=... QUEUE=...]: the last 7 days by default.
report: $(INSTALLED) ## Support-load report (Markdown, PNG charts, JSON, CSV) in results/report from the analytics store
	$(PY) -m analytics --from "$(FROM)" --to "$(TO)" --channel "$(CHANNEL)" --intent "$(INTENT)" --queue "$(QUEUE)" \
		--out results/report

lint: $(INSTALLED) ## ruff
	$(PY) -m ruff check analytics bot actions tests bench handoff reference_service privacy storage rasa_sdk_plugins mailcatcher

format: $(INSTALLED) ## Format and fix with ruff
	$(PY) -m ruff format analytics bot actions tests bench handoff reference_service privacy storage rasa_sdk_plugins mailcatcher
	$(PY) -m ruff check --fix analytics bot actions tests bench handoff reference_service privacy storage rasa_sdk_plugins mailcatcher

typecheck: $(INSTALLED) ## mypy on the backend boundary, the reference service, privacy rules, the hand-off, the channels and the Rasa layer
	$(PY) -m mypy analytics mailcatcher actions/backends actions/limits reference_service privacy handoff storage bot/channels bot/rasa_patches bot/rasa_guard.py bot/stores bot/brokers bot/policies bot/endpoint_classes.py bot/rasa_cli.py bench

lock: ## Re-pin requirements.lock from the current virtualenv
	$(PY) -m pip freeze --exclude-editable | grep -v '^support-triage' > requirements.lock

clean: ## Remove built artefacts (keeps the virtualenv)
	rm -rf build models results var/log .pytest_cache .mypy_cache .ruff_cache
