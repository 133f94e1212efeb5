# Two commands: `make book` builds the HTML book into _build/html, `make test` runs every test.
# Each sets itself up on a fresh machine: a .venv with requirements.txt (which includes
# d2lmini, editable), at the versions pinned in constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test book lab benchmark student nbgrader execute pins clean

# Students install the ranges of requirements.txt; tests and the book use the pinned set,
# so that a new upstream release cannot change a result until `make pins` takes it in.
$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
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

# Student versions of the notebooks (solutions stubbed) in student/, and the same as an
# nbgrader source folder (graded cells marked) in nbgrader/.
student: $(STAMP)
	$(BIN)/python tools/student.py notebooks -o student

nbgrader: $(STAMP)
	$(BIN)/python tools/student.py notebooks --nbgrader -o nbgrader

# Take in new releases on purpose: upgrade .venv to the newest versions that
# requirements.txt and pyproject.toml allow, then record them in constraints.txt (with the
# older versions that Python 3.10 needs where a new release dropped it, and the versions
# of the other platforms' extra packages). Then `make test`, `make execute` if stored
# outputs changed, and commit constraints.txt with the notebooks.
pins: $(STAMP)
	$(BIN)/pip install -q --upgrade --upgrade-strategy eager uv -r requirements.txt
	$(BIN)/pip freeze --exclude-editable > constraints.txt
	$(BIN)/uv pip compile -q requirements.txt --universal --python-version 3.10 \
	  --no-emit-package d2lmini --no-annotate --custom-compile-command "make pins" -o constraints.txt
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
	touch $(STAMP)

clean:
	rm -rf _build student nbgrader
