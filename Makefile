# Vltava — the two commands a newcomer needs are `make run` and `make test`.
GO ?= go
BIN := bin/vltava

.PHONY: all build run test test-short vet fmt fuzz bench clean

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/vltava

# Start a single-node broker on localhost:9092 with its data in ./vltava-data.
run: build
	./$(BIN) server

# Every test: vet, then all packages with the race detector.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

test-short:
	$(GO) test -count=1 -short ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

# Run each fuzz target for a while (FUZZTIME=30s by default).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# End-to-end benchmarks of Vltava against franz-go's kfake, median of 3 runs
# (see bench/README.md). Quick run: make bench BENCH_FLAGS="-scale 0.1".
BENCH_FLAGS ?= -runs 3
bench:
	$(GO) build -o bin/vbench ./bench/cmd/vbench
	./bin/vbench $(BENCH_FLAGS)

clean:
	rm -rf bin
