# The two commands of the README. Both set up what they need on a fresh machine and
# reuse it on the next run: a virtual environment in .venv, installed once per change
# of pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: book test install data outputs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

install: $(STAMP)

## make book: build the HTML book from the chapters' stored outputs (_build/html/index.html)
book: install
	$(BIN)/jupyter-book build book/

## make test: lint, unit tests, book tests (config, build with warnings as errors),
## then every chapter re-executed and compared with its stored outputs (nbval)
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests tests_book
	$(BIN)/python -m pytest --nbval book/

## make outputs PROFILE=quick: re-execute every chapter in place, storing fresh outputs
PROFILE ?= quick
outputs: install
	cd book && ALEXNET_PROFILE=$(PROFILE) ../$(BIN)/jupyter execute --inplace *.ipynb

## make data: CIFAR-10 into data/ (downloads the original; offline, see data/README.md)
data: install
	$(BIN)/python -c "from alexnet_lib.data import load_cifar10; load_cifar10('data')"

clean:
	rm -rf _build book/_build .pytest_cache
