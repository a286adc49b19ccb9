# The two commands of the README: `make run` and `make test`, each self-sufficient
# on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test build check lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 ou plus récent est nécessaire (trouvé : " + sys.version.split()[0] + ").")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/pmo-portal build
	$(BIN)/pmo-portal serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "Échec : aucun test n'a été exécuté." >&2; exit 1; fi; exit $$rc

build: $(STAMP)
	$(BIN)/pmo-portal build

check: $(STAMP)
	$(BIN)/pmo-portal check

lint: $(STAMP)
	$(BIN)/ruff check portal tests benchmarks

clean:
	rm -rf site var/builds var/current var/index
