# aftersales — `make run` runs the whole system on SQLite; `make test` runs every test.
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
# Local settings (see .env.example) reach every command make runs.
-include .env
export
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Evaluated when used: installs uv from PyPI on a machine without it.
UV = $(shell scripts/ensure-uv.sh)
APP_PYTHON = $(shell scripts/find-python.sh 3.11 3.12 3.13)
BOT_PYTHON = $(shell scripts/find-python.sh 3.10)
MODEL := models/aftersales.tar.gz
# The NLU components of our own are inputs too (the pipeline in config.yml names them).
MODEL_INPUTS := config.yml domain.yml $(shell find data -type f 2>/dev/null) bot_extensions/nlu.py bot_extensions/language.py \
	bot_extensions/linear_nlu.py bot_extensions/text.py bot_extensions/estimator_files.py
HELDOUT_ZH := $(sort $(wildcard tests/nlu/heldout_zh*.yml))
HELDOUT_EN := $(sort $(wildcard tests/nlu/heldout_en*.yml))
# The real shoppers' dev set: our labels, their lines read from ../shared at run time (docs/labelling-guide.md).
REAL_LABELS := tests/nlu/real/labels.tsv
# Gates of `make test`, at the figures this model reaches (reports/nlu.md says which targets they miss).
GATE_REAL := 0.70
GATE_ZH := 0.95
GATE_EN := 0.93

.PHONY: help install run run-scaled train test test-faults test-fast lint db demo clean nlu-report language-report bench

help:
	@echo "make run     install what is missing, migrate + seed the SQLite demo, train if data changed, start everything"
	@echo "make test    install what is missing, run every test (PostgreSQL required)"
	@echo "make run-scaled   PostgreSQL + Redis locks + 2 rasa replicas and 2 action servers behind nginx"
	@echo "make train   train the Rasa model if its inputs changed"
	@echo "make lint    ruff"
	@echo "make nlu-report   real shoppers' dev set + held-out sets, three engines → reports/nlu.md (~20 min)"
	@echo "make language-report   one model for both languages vs one per language → reports/languages.md"
	@echo "make bench   whole-system benchmark beside Rasa's starter bot → bench/results/, README table (~12 min)"

# -- environments (from the lock files) ---------------------------------------------------------
# .bytecode (uv's --compile-bytecode): every start of a server otherwise compiles each module it imports
# again wherever Python may not write __pycache__ (PYTHONDONTWRITEBYTECODE, a read-only install) — ~7 s
# of the rasa server's 17 s load on 2 cores; compiled once here (~20 s for the bot's environment).
.venv/.installed: pyproject.toml uv.lock
	@test -n "$(APP_PYTHON)" || { scripts/find-python.sh 3.11 3.12 3.13; exit 1; }
	UV_PROJECT_ENVIRONMENT=.venv $(UV) sync --frozen --python "$(APP_PYTHON)"
	@touch $@

.venv-bot/.installed: envs/bot/pyproject.toml envs/bot/uv.lock
	@test -n "$(BOT_PYTHON)" || { scripts/find-python.sh 3.10; exit 1; }
	cd envs/bot && UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venv-bot $(UV) sync --frozen --python "$(BOT_PYTHON)"
	@touch $@

# A stamp of its own, so environments installed before this compile once too.
.venv/.bytecode: .venv/.installed
	UV_PROJECT_ENVIRONMENT=.venv $(UV) sync --frozen --compile-bytecode --python "$(APP_PYTHON)"
	@touch $@

.venv-bot/.bytecode: .venv-bot/.installed
	cd envs/bot && UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venv-bot $(UV) sync --frozen --compile-bytecode --python "$(BOT_PYTHON)"
	@touch $@

install: .venv/.bytecode .venv-bot/.bytecode
	@$(UV) pip check --python .venv/bin/python
	@$(UV) pip check --python .venv-bot/bin/python

# -- the model: retrained only when its inputs change ---------------------------------------------
# Rasa's own data validation is left to `make test` (scripts/validate_data.py, which fails on warnings).
$(MODEL): $(MODEL_INPUTS) .venv-bot/.installed
	.venv-bot/bin/rasa train --skip-validation --fixed-model-name aftersales --out models
	@touch $@

train: $(MODEL)

# -- run -------------------------------------------------------------------------------------------
db: install
	.venv/bin/aftersales db upgrade

demo: db
	.venv/bin/aftersales demo seed

run: install train demo
	.venv/bin/python scripts/run.py

# The production-like profile on loopback (README "Scale-out"): PostgreSQL for orders and
# conversations, Redis locks, 2 rasa replicas and 2 action servers behind nginx.
SCALED_DATABASE_URL := $(or $(DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/aftersales)
run-scaled: install train
	scripts/ensure-services.sh --with-redis
	DATABASE_URL=$(SCALED_DATABASE_URL) .venv/bin/aftersales db upgrade
	DATABASE_URL=$(SCALED_DATABASE_URL) .venv/bin/aftersales demo seed
	DATABASE_URL=$(SCALED_DATABASE_URL) .venv/bin/python scripts/run.py --replicas $(or $(RASA_REPLICAS),2)

# -- tests -----------------------------------------------------------------------------------------
lint: install
	.venv/bin/ruff check aftersales actions bot_extensions tests scripts bench
	.venv/bin/mypy

test: install train lint
	scripts/ensure-system-packages.sh
	scripts/ensure-services.sh
	.venv-bot/bin/python scripts/validate_data.py
	.venv-bot/bin/python -m pytest -c tests/bot_runtime/pytest.ini tests/bot_runtime
	.venv-bot/bin/python scripts/test_conversations.py tests/conversations results/conversations
	.venv-bot/bin/python scripts/evaluate_nlu.py $(HELDOUT_ZH) --min-accuracy $(GATE_ZH) --report results/nlu-heldout.md
	.venv-bot/bin/python scripts/evaluate_nlu.py $(HELDOUT_EN) --min-accuracy $(GATE_EN) --report results/nlu-heldout-en.md
	.venv-bot/bin/python scripts/evaluate_nlu.py --real $(REAL_LABELS) --min-accuracy $(GATE_REAL) \
		--max-false-money 0.02 --report results/nlu-real.md
	AFTERSALES_REQUIRE_POSTGRES=1 AFTERSALES_REQUIRE_E2E=1 .venv/bin/python -m pytest
	@$(MAKE) --no-print-directory test-faults

# The production-like profile broken on purpose (tests/faults): a rasa replica killed mid-conversation,
# the action servers and PostgreSQL restarted mid-form. Last, alone: it stops the PostgreSQL server.
test-faults: install train
	scripts/ensure-services.sh --with-redis
	AFTERSALES_REQUIRE_POSTGRES=1 AFTERSALES_REQUIRE_E2E=1 .venv/bin/python -m pytest -m faults tests/faults

# NLU quality report (reports/nlu.md + nlu-confusion.png): real shoppers' dev set (open and sealed
# parts) and our held-out sets, for our engine, Rasa's logistic regression and DIET, each trained from
# an empty cache. ~20 minutes on 2 cores (DIET's training); NLU_ENGINES=linear,rasa_lr for ~2.
NLU_ENGINES ?= linear,rasa_lr,diet
nlu-report: install
	.venv-bot/bin/python scripts/nlu_report.py --engines $(NLU_ENGINES) --gates $(GATE_REAL),$(GATE_ZH),$(GATE_EN)

# One NLU model for both languages against one per language: accuracy and parse latency on the
# held-out phrasings → reports/languages.md (~15 min: three trainings).
language-report: install
	.venv-bot/bin/python scripts/compare_language_models.py reports/languages.md

# Simulated shoppers at 1, 10 and 50 concurrent conversations against the whole system and against
# Rasa's starter bot, plus training and load times (bench/run.py). Not part of `make test`.
bench: install train
	.venv/bin/python bench/run.py

# Unit and database tests only (no model, no servers): the quick loop while coding.
test-fast: install
	.venv/bin/python -m pytest tests/unit tests/integration tests/cli

clean:
	rm -rf .venv .venv-bot models var .pytest_cache .ruff_cache
