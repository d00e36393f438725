# citadel — make targets. `make test` is exactly what CI runs (.ci/run).
SHELL := /bin/bash
GO ?= go
TOOLS := $(CURDIR)/.tools
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
STATICCHECK_VERSION := v0.8.2
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Time each fuzz target runs in `make test` (FUZZTIME=2m make fuzz for longer).
FUZZTIME ?= 10s
# Whole-suite limit: keep under 30 minutes on 2 cores.
TEST_TIMEOUT ?= 25m

.PHONY: all build demo test deps unit fuzz lint bench chaos tools clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/citadel ./cmd/citadel
	$(GO) build -o bin/mongosim ./cmd/mongosim

# The README's first command: all of citadel on this machine (simulated
# sites, a MinIO per site when .tools/minio or minio is found, else a
# directory per site) until Ctrl-C, which exits 0. Needs nothing but Go.
# Built then run, not `go run`: go run exits 1 on Ctrl-C whatever the
# program's own exit code, and make would report an error.
demo:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/citadel ./cmd/citadel
	bin/citadel sandbox

test: deps tools lint unit fuzz

# Debian packages the tests run, as command:package. zstd, age and jq:
# the restore-without-citadel recipe (test/backup_recipe_test.go); soffice:
# the Excel fixtures; chromium: the browser tests. Installed only when a
# command is missing (root needed then), with one apt-get update first.
DEPS := zstd:zstd age:age jq:jq chromium:chromium soffice:libreoffice-calc-nogui

deps:
	@missing=""; for d in $(DEPS); do command -v $${d%%:*} >/dev/null 2>&1 || missing="$$missing $${d#*:}"; done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "make deps: the tests need the Debian packages$$missing: run as root, or apt-get install$$missing" >&2; exit 1; fi; \
	echo "make deps: installing$$missing"; \
	log=$$(mktemp); \
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing; } >"$$log" 2>&1; then \
	  tail -n 20 "$$log" >&2; rm -f "$$log"; \
	  echo "make deps: apt-get could not install$$missing (its last lines above)" >&2; exit 1; fi; \
	rm -f "$$log"; \
	for d in $(DEPS); do command -v $${d%%:*} >/dev/null 2>&1 || { echo "make deps: $${d#*:} is installed but $${d%%:*} is still not on PATH" >&2; exit 1; }; done

unit: tools
	TEST_TIMEOUT=$(TEST_TIMEOUT) scripts/test.sh

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

lint: $(TOOLS)/staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/staticcheck ./...

bench: tools
	scripts/bench.sh

# The simulator under repeated primary kills and partitions. `make test`
# runs 100 rounds at a 600 ms election timeout; this runs CHAOS_ROUNDS at
# CHAOS_ELECTION (mongod's default is 10s; 2s keeps it within minutes).
CHAOS_ROUNDS ?= 100
CHAOS_ELECTION ?= 2s
chaos:
	MONGOSIM_CHAOS_ROUNDS=$(CHAOS_ROUNDS) MONGOSIM_CHAOS_ELECTION=$(CHAOS_ELECTION) \
	  $(GO) test -count=1 -timeout 60m -run TestChaosPrimaryKills -v ./internal/mongosim/

tools: $(TOOLS)/minio

# MinIO's server, pinned; the first build takes about 5 minutes, then it is reused.
$(TOOLS)/minio:
	@mkdir -p $(TOOLS)
	@echo "building MinIO $(MINIO_VERSION) into $(TOOLS) (first time only, ~5 min)"
	GOBIN=$(TOOLS) $(GO) install github.com/minio/minio@$(MINIO_VERSION)

$(TOOLS)/staticcheck:
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

clean:
	rm -rf bin
	$(GO) clean -testcache
