# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := dovecot-imapd dovecot-pop3d tmux

.PHONY: run test lint typecheck unit integration system-deps clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Dovecot is the real IMAP/POP3 server the integration tests start on loopback ports.
system-deps:
	@if ! command -v dovecot >/dev/null || ! command -v doveadm >/dev/null \
	    || ! command -v tmux >/dev/null; then \
	  echo "Installing $(APT_PACKAGES) from Debian's packages"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi
	@command -v dovecot >/dev/null || { echo "dovecot is required for the tests" >&2; exit 1; }

run: $(BIN)/.installed
	$(BIN)/tui-mail

lint: $(BIN)/.installed
	$(BIN)/ruff check tui_mail tests
	$(BIN)/ruff format --check tui_mail tests

typecheck: $(BIN)/.installed
	$(BIN)/mypy

test: $(BIN)/.installed system-deps lint typecheck
	$(BIN)/pytest -p no:cacheprovider

unit: $(BIN)/.installed
	$(BIN)/pytest tests/unit

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
