# irisgate: `make run` serves the gateway (SQLite in ./data, port 8080); `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
APP_DIR ?= ./data
CONFIG ?= $(wildcard config.yaml config.yml config.json)

.PHONY: run test lint simulate clean

$(BIN)/irisgate: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/irisgate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/irisgate
	mkdir -p $(APP_DIR)
	$(BIN)/irisgate serve --app-dir $(APP_DIR) --host $(HOST) --port $(PORT) $(if $(CONFIG),--config $(firstword $(CONFIG)))

simulate: $(BIN)/irisgate
	$(BIN)/irisgate simulate

test: $(VENV)/.test-deps
	bash scripts/test.sh

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

# The performance suite (bench/README.md): needs wrk, nginx and curl (apt-get install wrk nginx-light curl);
# LiteLLM is measured when bench/.venv-litellm exists. BENCH_ARGS passes options, e.g. "--duration 10".
.PHONY: bench
bench: $(BIN)/irisgate
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
