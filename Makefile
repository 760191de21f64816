# Two commands matter: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-faults install browser clean

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

# The browser tests drive Debian's Chromium; install it when we can (root with apt), else they say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && \
	   apt-get install -y -q chromium >/dev/null 2>&1)) ; } || echo "note: no Chromium; browser tests will be skipped"

test: $(STAMP) browser
	$(BIN)/pytest --ignore=tests/faults

# Killed workers, a database that goes away, turns read-only or fills up (slower; CI runs it on PostgreSQL).
test-faults: $(STAMP)
	$(BIN)/pytest tests/faults

clean:
	rm -rf $(VENV) instance/*.sqlite3
