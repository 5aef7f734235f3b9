# navsync — see README.md. Every target works from a clean clone with only Go
# installed; what a target needs it fetches itself (Go modules, npm packages
# into the git-ignored .cache/).
GO        ?= go
BIN       := bin/navsync
STATICCHECK_VERSION := v0.8.2
export GOFLAGS ?= -mod=mod

.PHONY: build test lint bench demo eval clean fuzz

build:
	$(GO) build -o $(BIN) ./cmd/navsync

test:
	$(GO) vet ./...
	$(GO) test ./...

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Every fuzz target of every package (found with go test -list '^Fuzz'), one
# at a time for FUZZTIME each. A crasher is written to the package's
# testdata/fuzz/<Target>/, where `make test` runs it as an ordinary test;
# the targets that failed are listed at the end. FUZZPKGS narrows the search
# (e.g. make fuzz FUZZPKGS=./sfbulk/... FUZZTIME=5s).
FUZZTIME ?= 30s
FUZZPKGS ?= ./...
fuzz:
	@failed=""; \
	targets=$$($(GO) test -list '^Fuzz' $(FUZZPKGS) | awk '/^Fuzz/ { n = n " " $$1; next } /^ok/ { k = split(n, a, " "); for (i = 1; i <= k; i++) print $$2 ":" a[i]; n = "" }'); \
	for pt in $$targets; do \
		pkg=$${pt%%:*}; t=$${pt##*:}; \
		echo "== $$t ($$pkg), $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg || failed="$$failed $$t($$pkg)"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m ./benchmarks/...

demo: build
	./$(BIN) demo

clean:
	rm -rf bin .cache

# Matcher quality on fresh generated worlds of several seeds, beside a simple baseline.
eval:
	$(GO) run ./benchmarks/eval
