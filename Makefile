# hvsim: thin wrapper around CMake. `make run` and `make check` set up what is missing.
BUILD ?= build
BENCH_BUILD ?= build-bench
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run check bench iso format format-check clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DHVSIM_SANITIZE=ON

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job: every bundled scenario (and the scenario-language examples), with a results table.
run: build
	$(BUILD)/hvsim run scenarios/*.scn scenarios/harness/*.scn

# A bootable GRUB ISO of the bare-metal build (boot it: tools/qemu-boot $(BUILD)/hvsim.iso).
# By default every bundled scenario one boot can run (those that need the simulator are left out
# with a note): a GRUB entry per scenario, and one booting together all the scenarios that share
# a clock (the default entry). Or the ones named: make iso SCENARIO=scenarios/hello.scn
ifeq ($(origin SCENARIO),undefined)
SCENARIO = $(wildcard scenarios/*.scn)
ISO_SKIP = --skip-sim-only
endif
iso: build
	scripts/mkiso.sh -o $(BUILD)/hvsim.iso --build $(BUILD) $(ISO_SKIP) $(SCENARIO)
	@echo "iso: $(BUILD)/hvsim.iso"

# Every test: format, unit tests, scenarios, determinism, freestanding core.
check: build format-check
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory coverage-check

# Benchmarks use an optimised build without sanitizers.
bench: deps
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DHVSIM_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_BUILD) -j $(JOBS)
	$(BENCH_BUILD)/hvsim-bench
	bench/qemu-boot.sh $(BENCH_BUILD)
	bench/fuzz-rate.sh --seconds 3

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format: deps
	clang-format -i $(FORMAT_FILES)

format-check: deps
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: ok"

clean:
	rm -rf $(BUILD) $(BENCH_BUILD)

# Fuzzing (fuzz/fuzz.mk) and coverage (coverage/coverage.mk) bring their own targets.
-include fuzz/fuzz.mk
-include coverage/coverage.mk
