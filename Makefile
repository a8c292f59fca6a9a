# Vool — developer commands. `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV_VERSION := 0.9.30
UV := $(TOOLS)/bin/uv
VOOL := $(VENV)/bin/vool
DEMO_CUSTOMERS ?= 2000
DEMO_SEED ?= 42
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_PYTHON := $(shell command -v $(PYTHON))
export UV_LINK_MODE := copy

.PHONY: install demo test fuzz lint audit bench clean migrate system-deps

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --quiet
	touch $@

install: $(VENV)/.installed

migrate: install
	$(VOOL) migrate --no-input

## demo: set up, migrate the SQLite database, seed a demo supplier, serve on 127.0.0.1:8000
demo: install
	$(VOOL) demo up --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED)
	$(VOOL) runserver $(HOST):$(PORT)

## system-deps: Debian packages the tests need (Chromium for the browser tests, poppler-utils
## for reading the invoice PDFs: pdftotext, pdftoppm; gettext: the catalogues are checked
## against the messages xgettext finds in the code)
system-deps:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null && \
	  command -v xgettext >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils gettext \
	    >/dev/null; \
	  else echo "Missing: sudo apt-get install chromium poppler-utils gettext" >&2; exit 1; fi; }

## test: install what the tests need, run the whole suite (DATABASE_URL picks the database)
test: install system-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## fuzz: the importers' fuzz suite at length (FUZZ_EXAMPLES per importer; `make test` runs 15)
FUZZ_EXAMPLES ?= 500
fuzz: install
	VOOL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -q tests/fuzz $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests benchmarks tools
	$(VENV)/bin/ruff format --check src tests benchmarks tools
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## audit: the locked dependencies (uv.lock, all groups) against known vulnerabilities with
## pip-audit; findings fail unless security-audit.toml accepts them (tools/security_audit.py)
AUDIT_DIR := var/audit
audit: install
	@mkdir -p $(AUDIT_DIR) && rm -f $(AUDIT_DIR)/pip-audit.json
	$(UV) export --frozen --format requirements-txt --all-groups --no-emit-project --quiet \
	  -o $(AUDIT_DIR)/requirements.txt
	-$(VENV)/bin/pip-audit --requirement $(AUDIT_DIR)/requirements.txt --disable-pip \
	  --require-hashes --vulnerability-service pypi --progress-spinner off \
	  --format json --output $(AUDIT_DIR)/pip-audit.json
	$(VENV)/bin/python tools/security_audit.py $(AUDIT_DIR)/pip-audit.json \
	  --accepted security-audit.toml --requirements $(AUDIT_DIR)/requirements.txt

bench: install
	$(VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) var/vool.sqlite3*
