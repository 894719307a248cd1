# Two commands matter: `make run` (the whole demo system on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run`'s broker: Redis when REDIS_URL is set, else an SQLite file (Kombu's SQLAlchemy transport).
RUN_BROKER_URL := $(if $(REDIS_URL),$(REDIS_URL),sqla+sqlite:///$(CURDIR)/var/broker.sqlite3)

.PHONY: run test install install-test migrate seed lint audit bench worker beat clean cluster-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# The web server, a Celery worker and Celery beat (Procfile.dev), under honcho: one Ctrl-C stops all three.
run: seed
	@mkdir -p var
	@echo "Serving the portal at http://$(HOST):$(PORT)/ (sign in as alice@acme.test / portal-demo-2026)"
	@echo "Worker and beat use the broker $(RUN_BROKER_URL); /healthz says whether they are up."
	@# The queues exist before the three start: on a new SQLite broker two of them could create one at once.
	CELERY_BROKER_URL=$(RUN_BROKER_URL) $(BIN)/python manage.py declare_broker_queues
	exec env HOST=$(HOST) PORT=$(PORT) CELERY_BROKER_URL=$(RUN_BROKER_URL) $(BIN)/honcho -f Procfile.dev start

test: install-test
	@if [ -x /usr/bin/chromium ]; then \
		echo "Chromium found at /usr/bin/chromium: the browser journeys (tests/browser) run too."; \
	else \
		echo "NOTE: /usr/bin/chromium is missing, so the browser journeys (tests/browser) are NOT run."; \
		echo "      Install Debian's package with: sudo apt-get install chromium   (with CI set, they fail instead)"; \
	fi
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

audit: install-test
	$(BIN)/pip-audit --progress-spinner off --skip-editable

bench: install-test
	$(BIN)/python bench/business_hours.py

# One process of `make run` alone (the same broker: Redis with REDIS_URL, else the SQLite file in var/).
worker: install
	@mkdir -p var
	CELERY_BROKER_URL=$(RUN_BROKER_URL) $(BIN)/celery -A config worker --loglevel=info

beat: install
	@mkdir -p var
	CELERY_BROKER_URL=$(RUN_BROKER_URL) $(BIN)/celery -A config beat --loglevel=info --schedule=var/celerybeat-schedule

# The production layout on this machine (two web servers, two workers, one beat on PostgreSQL and Redis)
# under a load; needs DATABASE_URL and REDIS_URL. Prints throughput and latencies, checks invariants.
CLUSTER_SECONDS ?= 60
cluster-test: install
	$(BIN)/python ops/cluster_test.py --seconds $(CLUSTER_SECONDS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles test-artifacts .pytest_cache var
