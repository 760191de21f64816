# Two commands matter: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	HCCPAY_DEMO=1 $(BIN)/hccpay db upgrade
	HCCPAY_DEMO=1 $(BIN)/hccpay demo seed
	HCCPAY_DEMO=1 $(BIN)/hccpay serve

test: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance/*.sqlite3
