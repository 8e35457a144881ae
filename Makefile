# acdstat: run `make` for the list of targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

GO        ?= go
BIN       := bin/acdstat
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 30s
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help build run test test-unit test-cluster lint bench fuzz clean faults

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/acdstat (static)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/acdstat

run: build ## start a private ClickHouse in .run/, acdstat serve and a simulated switch; prints where to look
	scripts/run.sh

test: ## the whole gate: lint, then every test against a private ClickHouse (as CI runs it)
	scripts/test.sh

test-cluster: ## the cluster tests: ZooKeeper, 2x2 ClickHouse, two acdstat nodes through faults (docs/SCALE.md)
	scripts/test-cluster.sh

test-unit: ## only the tests that need no server
	$(GO) test -race -count=1 -short ./...

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench: ## benchmarks against a private ClickHouse (numbers go to docs/BENCHMARKS.md)
	scripts/test.sh bench

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

clean: ## stop private servers and remove build output
	-scripts/clickhouse.sh stop .run/clickhouse
	rm -rf bin

faults: ## the full fault run of issue 4 (1 M events, 60 s ClickHouse outage, 3 SIGKILLs) and attack run of issue 12; figures go to docs/RELIABILITY.md
	ACDSTAT_FAULTS=full $(GO) test -count=1 -run '^(TestFaults|TestAttack)$$' -v -timeout 60m ./cmd/acdstat
