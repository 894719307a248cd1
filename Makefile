# Two commands matter: `make run` (the demo on SQLite, tasks inline) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test migrate seed lint audit bench worker beat clean

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

run: seed
	@echo "Serving the portal at http://$(HOST):$(PORT)/ (sign in as alice@acme.test / portal-demo-2026)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

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

worker: install
	$(BIN)/celery -A config worker --loglevel=info

beat: install
	$(BIN)/celery -A config beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles test-artifacts .pytest_cache
