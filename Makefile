# The two commands: `make run` (set up and start the portal) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run demo setup test test-postgres lint messages install

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_admin
	@if [ "$(DEMO)" = "1" ]; then $(PY) manage.py load_demo; fi

# Web server and task cluster together on $BIND (default 127.0.0.1:8000). Ctrl-C stops both:
# honcho then exits with 130, and the shell waits for it (the trap) instead of dying first, so
# make reports no error for the normal way to stop the portal.
run: setup
	trap : INT; $(VENV)/bin/honcho start --procfile Procfile || test $$? -eq 130

# Not a recursive make: the inner make would die of the Ctrl-C and the outer one report it.
demo: DEMO = 1
demo: run

# Installs what the tests need (Python packages; system packages when run as root) and runs
# the whole suite on the configured database (SQLite unless DATABASE_URL is set).
test: install
	sh scripts/test-system-deps.sh
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

# The djangojs domain holds the admin's JavaScript strings its own catalog lacks
# (static/portal/third_party_strings.js).
messages: install
	$(PY) manage.py makemessages --locale vi --ignore .venv --ignore var --ignore staticfiles
	$(PY) manage.py makemessages --domain djangojs --locale vi --ignore .venv --ignore var --ignore staticfiles
	$(PY) manage.py compilemessages --locale vi --ignore .venv
