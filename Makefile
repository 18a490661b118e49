# The two Quick-start commands: `make demo` and `make test`. Both install what is missing first.
BUILD ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: deps build demo test fuzz clean

deps:
	scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD)/lucid

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	scripts/fuzz.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

# libFuzzer targets with ASan and UBSan, FUZZ_SECONDS each (part of `make test`).
fuzz: deps
	scripts/fuzz.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
