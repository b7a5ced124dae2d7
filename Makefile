# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
PORT ?= 8000
PYTHON ?= python3
UV := .tools/bin/uv
MANAGE := $(UV) run --locked python manage.py

.PHONY: run test setup lint format migrations-check worker beat demo-code stop-db clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

.venv/.synced: .tools/bin/uv pyproject.toml uv.lock
	$(UV) sync --locked
	touch $@

setup: .venv/.synced

## Start the app with demo data on http://127.0.0.1:$(PORT) (embedded PostgreSQL unless DATABASE_URL is set).
run: setup
	IPNB_ENV=$${IPNB_ENV:-development} $(MANAGE) migrate --noinput
	IPNB_ENV=$${IPNB_ENV:-development} $(MANAGE) seed_demo
	IPNB_ENV=$${IPNB_ENV:-development} $(MANAGE) runserver 127.0.0.1:$(PORT)

## Run the whole test suite (embedded PostgreSQL unless DATABASE_URL is set).
test: setup
	$(UV) run --locked pytest $(PYTEST_ARGS)

lint: setup
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .

format: setup
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

migrations-check: setup
	IPNB_ENV=test $(MANAGE) makemigrations --check --dry-run

## A real Celery worker and beat (set CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0).
worker: setup
	$(UV) run --locked celery -A ipnb_notes worker --loglevel=INFO

beat: setup
	$(UV) run --locked celery -A ipnb_notes beat --loglevel=INFO

## The current second-factor code of the demo accounts (they share a published TOTP secret).
demo-code: setup
	@IPNB_ENV=development $(UV) run --locked --quiet python manage.py shell -v 0 -c "from accounts.mfa import DEMO_TOTP_SECRET, totp_code; print(totp_code(DEMO_TOTP_SECRET))"

## Stop the embedded PostgreSQL server.
stop-db:
	@if [ -f .data/postgres/postmaster.pid ]; then kill $$(head -1 .data/postgres/postmaster.pid) && echo "embedded PostgreSQL stopped"; fi

clean: stop-db
	rm -rf .venv .tools .data
