# Fuzzing targets, included by the top-level Makefile (fuzz/README.md says what each target does).
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_ARGS=-max_len=64]
#                                 build, then fuzz every target for FUZZ_SECONDS on a copy of its corpus
#                                 with the flags of fuzz/<target>_fuzzer.options (FUZZ_ARGS: more
#                                 libFuzzer flags, after those)
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

# One target at a time, each with the flags of its fuzz/<target>_fuzzer.options first
# (fuzz/options.sh; FUZZ_ARGS after them wins), all of them even when one finds something.
fuzz_run = status=0; for t in $(FUZZ_TARGETS); do \
	  FUZZ_ARGS="$$(fuzz/options.sh $$t) $(FUZZ_ARGS)" tests/fuzz-smoke.sh --no-build \
	    --out $(FUZZ_OUT) --seconds $(1) $$t || status=1; \
	done; exit $$status

fuzz: fuzz-build
	@$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	@$(call fuzz_run,10)

# The elf seeds include the bundled guests' headers when they are built ($(BUILD)/guests).
fuzz-seeds: deps
	mkdir -p $(FUZZ_OUT) fuzz/corpus/hypercall fuzz/corpus/elf
	clang -std=c11 -g -Wall -Wextra -Ihv/include -Itests/unit/support fuzz/mkseeds.c \
		fuzz/mkseeds_hc.c fuzz/mkseeds_dev.c tests/unit/support/test_image.c -o $(FUZZ_OUT)/mkseeds
	$(FUZZ_OUT)/mkseeds fuzz/corpus $(wildcard $(BUILD)/guests/hello.elf \
		$(BUILD)/guests/hypercalls.elf $(BUILD)/guests/memory.elf $(BUILD)/guests/traps.elf \
		$(BUILD)/guests/rdtsc.elf)
