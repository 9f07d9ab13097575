# The two commands a newcomer runs:
#   make demo     builds only what the demo runs (mi2, mi2-workload, the local
#                 plugin), then upgrades a sample instance on this machine
#   make test     builds everything and runs the whole test suite (ctest)
# Also: make test-sanitize (ASan+UBSan build and ctest in build-sanitize) and
#       make fuzz (libFuzzer targets, clang 14, in build-fuzz; FUZZ_SECONDS each).
# Both install missing Debian packages first.
#   make package  the release: build/mi2-<version>-linux-<arch>.tar.gz and a .deb
#   make bench-isolation  per-invoke cost of isolation: process vs in-process

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test test-sanitize fuzz demo demo-clean package format bench bench-isolation clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS); fi

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# ASan + UBSan (g++). SANITIZE_TARGETS / SANITIZE_TESTS narrow the build and
# the ctest -R regex (e.g. SANITIZE_TARGETS=mi2_core_tests SANITIZE_TESTS=mi2_core).
SANITIZE_BUILD ?= build-sanitize
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SANITIZE_TARGETS ?=
SANITIZE_TESTS ?=
test-sanitize: deps
	@if [ ! -f $(SANITIZE_BUILD)/build.ninja ]; then \
	  cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_C_FLAGS="$(SANITIZE_FLAGS)" -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS)" \
	    -DCMAKE_EXE_LINKER_FLAGS="$(SANITIZE_FLAGS)" \
	    -DCMAKE_SHARED_LINKER_FLAGS="$(SANITIZE_FLAGS)"; fi
	cmake --build $(SANITIZE_BUILD) -j $(JOBS) $(if $(SANITIZE_TARGETS),--target $(SANITIZE_TARGETS))
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) $(if $(SANITIZE_TESTS),-R '$(SANITIZE_TESTS)')

# libFuzzer targets (fuzz/README.md): built with clang++-14 in build-fuzz, each
# run for FUZZ_SECONDS on a copy of its seed corpus (fuzz/corpus/<target>).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := yaml_block_reader config_edit yaml_jv fleet_config describe journal
fuzz: deps
	@if [ ! -f $(FUZZ_BUILD)/build.ninja ]; then \
	  CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DMI2_FUZZ=ON \
	    -DMI2_BUILD_TESTS=OFF; fi
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t && cp -n fuzz/corpus/$$t/* $(FUZZ_BUILD)/corpus/$$t/; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/fuzz_$$t- $(FUZZ_BUILD)/corpus/$$t || exit 1; \
	done

demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target mi2_demo
	scripts/demo.sh $(BUILD)

demo-clean:
	scripts/demo.sh $(BUILD) --clean

package: configure
	cmake --build $(BUILD) -j $(JOBS) --target package

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target yaml_scan_bench
	bench/run.sh $(BUILD)

# Per-invoke cost of `isolation: process` against in-process (echo test plugin).
bench-isolation: configure
	cmake --build $(BUILD) -j $(JOBS) --target plugin_isolation_bench
	$(BUILD)/bench/plugin_isolation_bench

format:
	git ls-files '*.h' '*.hpp' '*.cpp' '*.c' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
