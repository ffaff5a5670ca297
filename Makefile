# minewatch — every target does its own set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_DB ?= out/demo.duckdb
SYSTEM_PACKAGES = openjdk-17-jre-headless
SYSTEM_PACKAGES_BENCH = libndpi-bin tshark time

KERNEL  = src/minewatch/sources/_kernel_aot.hash

.PHONY: setup test test-fast demo bench bench-deps clean

setup: $(STAMP) $(KERNEL)

# the packet kernel compiled ahead of time (the JIT fallback needs no build, but costs ~0.5 s
# per process); rebuilt whenever its source changes
$(KERNEL): $(STAMP) src/minewatch/sources/_kernel.py src/minewatch/sources/_layout.py
	$(PY) -m minewatch.sources.build_kernel

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	scripts/system-deps.sh $(SYSTEM_PACKAGES)
	$(VENV)/bin/pip install -q -e '.[test,spark,eval,model]'
	$(VENV)/bin/pip install -q -e '.[test,spark,eval,model,verify]' || echo "warning: CryptoNight/RandomX bindings did not build; XMR shares will be 'unverifiable'"
	rm -f $(VENV)/.installed-*; touch $@

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

demo: setup
	@mkdir -p out
	rm -f $(DEMO_DB)
	$(VENV)/bin/minewatch scan tests/data/real tests/data/synth --db $(DEMO_DB)
	$(VENV)/bin/minewatch evidence --db $(DEMO_DB) --kind ip
	$(VENV)/bin/minewatch meters ingest tests/data/meters/population_small/readings.parquet \
		--register tests/data/meters/population_small/register.parquet --db $(DEMO_DB) > /dev/null
	$(VENV)/bin/minewatch meters score --db $(DEMO_DB) --limit 15

bench-deps:
	scripts/system-deps.sh $(SYSTEM_PACKAGES_BENCH)

bench: setup bench-deps
	$(PY) bench/bench_detection.py
	$(PY) bench/bench_throughput.py

clean:
	rm -rf $(VENV) out bench/out .pytest_cache src/minewatch/sources/_kernel_aot*
