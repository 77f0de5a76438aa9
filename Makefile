# The two entry points of the README: `make demo` (main job on the bundled
# corpus) and `make test`. Each creates .venv and installs the project.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint schema bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools announces every editable install of a mapped layout ("Editable
	@# installation ... folders with the same name as your package"): noise, filtered by text
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m virtconform.conformance.cli.demo corpus

# pytest-xdist: one worker per core (-n auto); the tests share no state but tmp dirs
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto

schema: $(STAMP)
	$(BIN)/virtconform schema compile

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
