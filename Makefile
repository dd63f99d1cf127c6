# b24-vote: `make demo` and `make test` are all a new user needs; each
# installs what is missing first (see `setup`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = .*"=\([0-9.]*\)".*/\1/p' Cargo.toml)
TOOLS := $(CURDIR)/tools
GECKODRIVER_VERSION := 0.37.1
# npm binaryen's wasm-opt first: Debian's binaryen 108 breaks the module.
export PATH := $(TOOLS)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export WASM_BINDGEN_TEST_WEBDRIVER_JSON := $(CURDIR)/tests/webdriver.json
export CHROMEDRIVER := /usr/bin/chromedriver

.PHONY: help setup build package size test demo bench fuzz clean

help:
	@echo "make demo   - build, start the portal emulator with the placement app, print its URL"
	@echo "make test   - lint, then native, wasm (Node, headless Chromium and Firefox) and end-to-end tests"
	@echo "make build  - wasm-pack builds into pkg/web and pkg/node (wasm-opt flags: Cargo.toml)"
	@echo "make setup  - install only what is missing (idempotent)"
	@echo "make package / size / bench / fuzz - the npm tarball, its size, benchmarks, long property tests"

setup:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@# One apt run for whatever browser is missing; it waits for another apt's lock.
	@missing=""; \
	  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || missing="chromium chromium-driver"; \
	  [ -x /usr/bin/firefox-esr ] || missing="$$missing firefox-esr"; \
	  if [ -n "$$missing" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -o DPkg::Lock::Timeout=600 $$missing; fi
	@# Debian ships no geckodriver (the WebDriver server for Firefox).
	@command -v geckodriver >/dev/null || cargo install geckodriver --version $(GECKODRIVER_VERSION) --locked
	@command -v wasm-pack >/dev/null || cargo install wasm-pack --locked
	@# Without --locked: the registry lacks a version its lock file pins.
	@[ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] || \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force
	@[ -x $(TOOLS)/node_modules/.bin/wasm-opt ] || \
	  npm install --prefix $(TOOLS) --no-audit --no-fund --no-save binaryen@132.0.0
	@[ -d tests/node_modules/playwright-core ] && [ -d tests/node_modules/selenium-webdriver ] && \
	  [ -d tests/node_modules/@bitrix24/b24jssdk ] || \
	  npm ci --prefix tests --no-audit --no-fund
	@echo "setup: toolchain ready (wasm-bindgen $(WASM_BINDGEN_VERSION), $$(wasm-opt --version))"

# Source paths in the wasm (panic locations) are written relative to the
# checkout and cargo's home, so the package's bytes (and the size check) do
# not depend on where the repository was cloned.
RELEASE_RUSTFLAGS := --remap-path-prefix=$(CURDIR)=/b24-vote --remap-path-prefix=$(HOME)/.cargo=/cargo

build: setup
	RUSTFLAGS="$(RELEASE_RUSTFLAGS)" wasm-pack build --release --target web --out-dir pkg/web --out-name b24_vote
	RUSTFLAGS="$(RELEASE_RUSTFLAGS)" wasm-pack build --release --target nodejs --out-dir pkg/node --out-name b24_vote

test: package
	bash tests/suite.sh

demo: build
	bash tests/demo.sh

# The npm package: pkg/b24-vote/ and its npm pack tarball.
package: build
	node pkg-template/assemble.mjs

# gzip -9 bytes of a minimal recall app built by Vite, beside the same app on b24jssdk.
size: package
	node tests/size/size.mjs

# Benchmarks (not part of make test); results in target/bench.json and the README tables.
bench: package
	cargo build -q -p b24-portal
	node tests/bench/bench.mjs
	node tests/bench/browser.mjs
	node tests/bench/readme-tables.mjs

# The decoder property tests at length: CASES per strategy (3 strategies).
CASES ?= 340000
fuzz:
	bash tests/reliability/fuzz.sh $(CASES)

clean:
	rm -rf pkg target tools tests/node_modules tests/artifacts
