# navsync — see README.md. Every target works from a clean clone with only Go
# installed; what a target needs it fetches itself (Go modules, npm packages
# into the git-ignored .cache/).
GO        ?= go
BIN       := bin/navsync
STATICCHECK_VERSION := v0.8.2
export GOFLAGS ?= -mod=mod

.PHONY: build test lint bench demo eval clean

build:
	$(GO) build -o $(BIN) ./cmd/navsync

test:
	$(GO) vet ./...
	$(GO) test ./...

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m ./benchmarks/...

demo: build
	./$(BIN) demo

clean:
	rm -rf bin .cache

# Matcher quality on fresh generated worlds of several seeds, beside a simple baseline.
eval:
	$(GO) run ./benchmarks/eval
