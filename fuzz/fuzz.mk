# Fuzzing targets, included by the top-level Makefile (fuzz/README.md says what each target does).
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_ARGS=-max_len=64]
#                                 build, then fuzz every target for FUZZ_SECONDS on a copy of its corpus
#                                 (FUZZ_ARGS: more libFuzzer flags)
#   make fuzz-smoke               the same for 10 s each (what ctest's fuzz/* tests do, 15 s)
#   make fuzz-build               only build (fuzz/build.sh into $(FUZZ_OUT))
#   make fuzz-seeds               regenerate the hand-made seeds of fuzz/corpus/{hypercall,elf}
# Any finding fails the target; the input is kept in $(FUZZ_OUT)/findings/<target>/.
FUZZ_SECONDS ?= 60
FUZZ_OUT ?= build-fuzz
FUZZ_TARGETS ?= hypercall elf scenario
FUZZ_ARGS ?=

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-seeds

fuzz-build: deps
	OUT=$(FUZZ_OUT) fuzz/build.sh

fuzz: fuzz-build
	FUZZ_ARGS='$(FUZZ_ARGS)' tests/fuzz-smoke.sh --no-build --out $(FUZZ_OUT) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	FUZZ_ARGS='$(FUZZ_ARGS)' tests/fuzz-smoke.sh --no-build --out $(FUZZ_OUT) --seconds 10 $(FUZZ_TARGETS)

# The elf seeds include the bundled guests' headers when they are built ($(BUILD)/guests).
fuzz-seeds: deps
	mkdir -p $(FUZZ_OUT) fuzz/corpus/hypercall fuzz/corpus/elf
	clang -std=c11 -g -Wall -Wextra -Ihv/include -Itests/unit/support fuzz/mkseeds.c \
		fuzz/mkseeds_hc.c tests/unit/support/test_image.c -o $(FUZZ_OUT)/mkseeds
	$(FUZZ_OUT)/mkseeds fuzz/corpus $(wildcard $(BUILD)/guests/hello.elf \
		$(BUILD)/guests/hypercalls.elf $(BUILD)/guests/memory.elf $(BUILD)/guests/traps.elf \
		$(BUILD)/guests/rdtsc.elf)
