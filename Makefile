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

.PHONY: all build test unit fuzz lint bench chaos tools clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/citadel ./cmd/citadel
	$(GO) build -o bin/mongosim ./cmd/mongosim

test: tools lint unit fuzz

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
