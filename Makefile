# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 as root: each
# installs what it is missing first (tools/install-deps demo|test); `make install` and `make deb`
# need only the build dependencies (no PostgreSQL server).
BUILD ?= build
JOBS ?= $(shell nproc)
# Release (-O2, no debug info): a clean build takes a third less time than RelWithDebInfo.
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release
# What the demo needs: the stages, the dispatcher and the simulator (not the unit tests).
DEMO_TARGETS = extract fetch plan apply ghl-backfill ghl-sim

.PHONY: all deps configure build test unit demo bench asan mutants install deb clean

all: build

deps:
	bash tools/install-deps build

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# Unit tests, then the end-to-end tests against a throwaway PostgreSQL cluster and the simulator.
# Three at a time on two cores: many e2e tests mostly wait (paced applies, time budgets, 429 windows).
test:
	bash tools/install-deps test
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j3

unit: build
	$(BUILD)/bin/unit_tests

demo:
	bash tools/install-deps demo
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS) --target $(DEMO_TARGETS)
	bash tools/demo $(BUILD)

# Benchmarks (tools/bench/run): figures printed and appended to $(BUILD)/bench/results.txt.
bench:
	bash tools/install-deps test
	$(MAKE) build
	bash tools/bench/run $(BUILD)

# The same tests under AddressSanitizer and UBSan, in their own build tree. A finding exits 86,
# never to be mistaken for an expected exit 1.
asan: export ASAN_OPTIONS = detect_leaks=1:exitcode=86
asan: export UBSAN_OPTIONS = halt_on_error=1:print_stacktrace=1:exitcode=86
asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DGHLB_SANITIZE=ON"

# Mutation testing: each mutation of tests/mutants/mutations.txt applied alone to a scratch copy of
# the tree (build-mutants/), then the tests; fails when a mutation of rule code survives.
mutants: deps
	bash tools/mutants

# Installs the executables, ghl-backfill(1), the bash completion and the README (PREFIX, default
# /usr/local). Builds with the build dependencies only: no database server is installed.
install: build
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

# A Debian package (build/ghl-backfill_VERSION_ARCH.deb) whose Depends are the runtime libraries.
deb: build
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) build-asan
