# make coverage, make coverage-check: gcov build in build-cov, tests and fuzz corpora, lcov report, floors.
# Included by the top-level Makefile; everything happens in coverage/run.sh.
COV_BUILD ?= build-cov

.PHONY: coverage coverage-check

# The report: $(COV_BUILD)/coverage-html/index.html, copied to $(BUILD)/coverage/index.html.
coverage: deps
	coverage/run.sh --build $(COV_BUILD) --jobs $(JOBS) --html $(BUILD)/coverage

# For CI: the same measurement and floors, without writing into $(BUILD).
coverage-check: deps
	coverage/run.sh --build $(COV_BUILD) --jobs $(JOBS)
