# Two commands: `make book` builds the HTML book into _build/html, `make test` runs every test.
# Each sets itself up on a fresh machine (a .venv with requirements.txt and d2lmini).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test book lab benchmark student clean

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest tests
	$(BIN)/pytest --nbval --nbval-cell-timeout=1800 -p no:cacheprovider notebooks

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

lab: $(STAMP)
	$(BIN)/pip install -q jupyterlab
	$(BIN)/jupyter lab notebooks

benchmark: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf _build student
