# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := dovecot-imapd dovecot-pop3d tmux gnupg gpg-agent openssl
BENCH_PEERS := aerc neomutt

.PHONY: run test lint typecheck unit system-deps clean screenshots bench bench-smoke test-faults-long

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Dovecot is the real IMAP/POP3 server the integration tests start on loopback ports; gpg
# (with its agent) and openssl are the real binaries the signed and encrypted mail tests use.
system-deps:
	@if ! command -v dovecot >/dev/null || ! command -v doveadm >/dev/null \
	    || ! command -v tmux >/dev/null || ! command -v gpg-agent >/dev/null \
	    || ! command -v openssl >/dev/null; then \
	  echo "Installing $(APT_PACKAGES) from Debian's packages"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi
	@command -v dovecot >/dev/null || { echo "dovecot is required for the tests" >&2; exit 1; }

# The demo needs no account and no server: a generated mailbox in the data directory.
run: $(BIN)/.installed
	$(BIN)/tui-mail --demo

lint: $(BIN)/.installed
	$(BIN)/ruff check tui_mail tests benchmarks screenshots
	$(BIN)/ruff format --check tui_mail tests benchmarks screenshots

typecheck: $(BIN)/.installed
	$(BIN)/mypy

test: $(BIN)/.installed system-deps lint typecheck
	$(BIN)/pytest -p no:cacheprovider

# The unit tests alone: no server to start, no terminal.
unit: $(BIN)/.installed
	$(BIN)/pytest tests/unit

# The long fault cases: the hostile server's slow ones (skipped by `make test`: a 400 MiB
# literal, the default 60 s deadline) and the kill -9 loop with many iterations (`make test`
# runs a few). Seed: TUI_MAIL_FAULT_SEED.
test-faults-long: $(BIN)/.installed system-deps
	TUI_MAIL_FAULTS_LONG=1 TUI_MAIL_FAULT_ITERATIONS=$${TUI_MAIL_FAULT_ITERATIONS:-60} \
	  $(BIN)/pytest -p no:cacheprovider -m "faults or faults_long" tests

# screenshots/*.svg from the demo mailbox: the same scenes the snapshot tests check.
screenshots: $(BIN)/.installed
	$(BIN)/python -m screenshots.make

# The benchmark suite (docs/BENCHMARKS.md): tui-mail against the wire, aerc and neomutt.
# Only `make bench` installs the peers; `make test` runs the smoke mode without them.
bench: $(BIN)/.installed system-deps
	@if ! command -v aerc >/dev/null || ! command -v neomutt >/dev/null; then \
	  echo "Installing $(BENCH_PEERS) from Debian's packages"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $(SUDO) apt-get install -y -qq $(BENCH_PEERS) >/dev/null; \
	fi
	$(SUDO) $(BIN)/python -m benchmarks --output docs/BENCHMARKS.md

bench-smoke: $(BIN)/.installed system-deps
	$(SUDO) $(BIN)/python -m benchmarks --smoke

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
