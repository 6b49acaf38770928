# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 as root:
# each installs what is missing first (tools/install-deps).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build test unit demo bench asan mutants install clean

all: build

deps:
	bash tools/install-deps

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

# Unit tests, then the end-to-end tests against a throwaway PostgreSQL cluster and the simulator.
test: build
	cd $(BUILD) && ctest --output-on-failure -j2

unit: build
	$(BUILD)/bin/unit_tests

demo: build
	bash tools/demo $(BUILD)

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

install: build
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

clean:
	rm -rf $(BUILD) build-asan
