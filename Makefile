# The README's two commands are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SWIFT ?= swift
TEST_LOG := .build/test-output.log
BUILD_LOG := .build/build-output.log
# Quiet on success: the build's output (package checkouts, progress) is shown only when it fails.
QUIET_BUILD = mkdir -p .build && $(SWIFT) build -q $(1) >$(BUILD_LOG) 2>&1 || { cat $(BUILD_LOG); exit 1; }

.PHONY: help deps build release test test-swift test-web test-fuzz test-demo test-scripts test-deploy fuzz run-service demo bench

help:
	@echo "make test         install what is missing, build, run every test"
	@echo "make demo         the local mesh on this machine (etcd, Envoy gateway and sidecars, storage-service, Prometheus), load, the dashboard"
	@echo "make build        debug build of meshtop and storage-service"
	@echo "make release      release build"
	@echo "make run-service  local etcd + storage-service on loopback (the mesh without proxies) until Ctrl-C"
	@echo "make bench        benchmarks: storage-service vs etcd, meshtop logs vs GoAccess, one poll, the dashboard, meshtop load vs wrk, the fuzzer, a thousand edges"
	@echo "make fuzz         fuzz the access-log decoder for FUZZ_SECONDS (default 300)"

deps:
	@deploy/local/ensure-deps.sh

build: deps
	@$(call QUIET_BUILD,)

release: deps
	@$(call QUIET_BUILD,-c release)

test: deps
	@$(MAKE) --no-print-directory test-scripts test-swift test-deploy test-web test-fuzz test-demo

# Swift Testing prints a line per test; on success keep the failures (none) and the totals.
# A test process that crashes can leave a server it started holding swift-test's output
# pipe open, and swift-test then waits for it forever: the time limit makes that a failure.
# Line-buffered, so that after a time-out the log holds every line up to it, and the tests
# that started and never ended are named.
test-swift:
	@$(call QUIET_BUILD,--build-tests)
	@if timeout --kill-after=30s 25m stdbuf -oL -eL $(SWIFT) test --skip-build >$(TEST_LOG) 2>&1; then \
		grep -E '^✔ Test run' $(TEST_LOG) || tail -n 3 $(TEST_LOG); \
	else \
		grep -E '✘|error:|Fatal|fatal' $(TEST_LOG) | sed -n 1,60p; tail -n 5 $(TEST_LOG); \
		sed -nE '/^◇ Test (case|run) /d; s/^◇ Test (.*) started\.$$/\1/p' $(TEST_LOG) | sort > $(TEST_LOG).started; \
		sed -nE 's/^[✔✘] Test ([^ ]*)( with [0-9]+ test cases)? (passed|failed|skipped).*/\1/p' $(TEST_LOG) | sort > $(TEST_LOG).ended; \
		comm -23 $(TEST_LOG).started $(TEST_LOG).ended | sed -n 's/^/still running: /; 1,20p'; exit 1; \
	fi

test-web:
	@STORAGE_SERVICE_BIN=$(CURDIR)/.build/debug/storage-service python3 -m pytest -q -p no:cacheprovider Tests/web

# A short bounded fuzz run of the access-log decoder: a crash fails the test run.
test-fuzz:
	@Fuzz/run.sh 20

fuzz:
	@Fuzz/run.sh $(or $(FUZZ_SECONDS),300)

run-service: build
	@deploy/local/run-service.sh

demo: deps
	@deploy/local/demo.sh

# The demo without the dashboard for ~20 s, on the debug build the tests already made: it
# exits with `meshtop health`'s status. Its output is shown only when it fails.
test-demo:
	@if BUILD=debug deploy/local/demo.sh --headless 20 >.build/demo-output.log 2>&1; then \
		grep -E '^(pairs|Status check)' .build/demo-output.log; \
	else \
		cat .build/demo-output.log; exit 1; \
	fi

# Every shell script of the repository.
test-scripts:
	@shellcheck deploy/local/*.sh deploy/scripts/*.sh deploy/kubectl-meshtop bench/*.sh Fuzz/run.sh .ci/run

# The Kubernetes manifests, offline: kustomize builds, schemas, Istio fields, no deprecated API;
# the cluster scripts against stand-in tools, verify.sh's HTTP checks against the debug build.
test-deploy:
	@STORAGE_SERVICE_BIN=$(CURDIR)/.build/debug/storage-service python3 -m pytest -q -p no:cacheprovider Tests/deploy

bench:
	@deploy/local/ensure-deps.sh bench
	@bash bench/service.sh
	@bash bench/logs.sh
	@bash bench/poll.sh
	@bash bench/tui.sh
	@bash bench/load.sh
	@bash bench/fuzz.sh
	@bash bench/mesh.sh
	@bash bench/scale.sh
