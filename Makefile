# Two commands: `make book` builds the HTML book into _build/html, `make test` runs every test.
# Each sets itself up on a fresh machine (a .venv with requirements.txt and d2lmini).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test book lab benchmark student execute clean

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

# The tests include a browser check of the built book (tests/test_book_browser.py), so the
# book is built first.
test: $(STAMP) book
	$(BIN)/ruff check .
	$(BIN)/pytest tests
	$(BIN)/pytest --nbval --nbval-cell-timeout=1800 -p no:cacheprovider notebooks

# --all rebuilds every page, so that a warning in an unchanged page still fails the build.
book: $(STAMP)
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going

lab: $(STAMP)
	$(BIN)/pip install -q jupyterlab
	$(BIN)/jupyter lab notebooks

# Re-run every notebook (or NB=notebooks/08_lenet.ipynb) top to bottom and store its outputs.
NB ?= notebooks/*.ipynb
execute: $(STAMP)
	$(BIN)/jupyter execute --inplace --timeout=1800 $(NB)

benchmark: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

# Student versions of the notebooks (solutions stubbed) in student/.
student: $(STAMP)
	$(BIN)/python -m d2lmini.student notebooks -o student

clean:
	rm -rf _build student
