# Vltava — the two commands a newcomer needs are `make run` and `make test`.
GO ?= go
BIN := bin/vltava

.PHONY: all build run test test-deps test-short vet fmt fuzz bench clean

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

# The real clients the interop tests drive besides the Go ones (needs root
# for apt-get): kcat, confluent-kafka and kafka-python, and KafkaJS. Tests
# whose client is missing skip with a message naming it.
test-deps:
	@if ! command -v kcat >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import confluent_kafka, kafka' 2>/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat python3-confluent-kafka python3-kafka >/dev/null; \
	fi
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix test/interop/testdata/kafkajs --no-audit --no-fund --loglevel=error; fi

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

# End-to-end benchmarks of Vltava against franz-go's kfake, median of 4 runs,
# each broker first in half of them (see bench/README.md). Quick run:
# make bench BENCH_FLAGS="-scale 0.1".
BENCH_FLAGS ?= -runs 4
bench:
	$(GO) build -o bin/vbench ./bench/cmd/vbench
	./bin/vbench $(BENCH_FLAGS)

clean:
	rm -rf bin
