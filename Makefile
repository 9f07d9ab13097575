# The two commands a newcomer runs:
#   make demo     builds only what the demo runs (mi2, mi2-workload, the local
#                 plugin), then upgrades a sample instance on this machine
#   make test     builds everything and runs the whole test suite (ctest)
# Both install missing Debian packages first.
#   make package  the release: build/mi2-<version>-linux-<arch>.tar.gz and a .deb

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test demo demo-clean package format bench clean

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

format:
	git ls-files '*.h' '*.hpp' '*.cpp' '*.c' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
