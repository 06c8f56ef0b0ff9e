# Veritensor: one binary, one Makefile. `make test` is what CI runs.
GO        ?= go
BIN       ?= bin/veritensor
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# go-nvml's header marks old calls deprecated; keep cgo builds quiet.
export CGO_CFLAGS ?= -O2 -Wno-deprecated-declarations
FUZZTIME  ?= 20s
FUZZEXECS ?= 1000000
BENCHTIME ?= 1x
CHAOS_DURATION ?= 30m
CHAOS_SEED     ?= 1
PKGS      ?= ./...

.PHONY: all build build-gpu gpu-check-prep gpu-check test test-cnn test-devnet-batch test-short docs-test demo demo-784 bench lint fuzz fuzz-execs chaos chaos-subnet clean

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/veritensor

# The GPU-capable binary: gnark's ICICLE prover behind `--gpu` (miner, zk
# prove). Needs cgo, CUDA and the ICICLE libraries (libicicle_device,
# libicicle_field_bn254, libicicle_curve_bn254 in ICICLE_LIB_DIR, and the
# CUDA backend in ICICLE_BACKEND_INSTALL_DIR at run time; see
# docs/benchmarks.md "GPU prover"). Without them the compile succeeds and the
# link fails on -licicle_device. The default build never needs any of it.
ICICLE_LIB_DIR ?= /usr/local/lib
BIN_GPU        ?= bin/veritensor-gpu
build-gpu:
	CGO_ENABLED=1 CGO_LDFLAGS="$(CGO_LDFLAGS) -L$(ICICLE_LIB_DIR) -Wl,-rpath,$(ICICLE_LIB_DIR)" \
	  $(GO) build -tags icicle -ldflags "-X main.version=$(VERSION)-gpu" -o $(BIN_GPU) ./cmd/veritensor

# scripts/gpu-check.sh, the device check of the GPU prover (docs/benchmarks.md,
# "GPU prover"), runs on a GPU machine without Go from what gpu-check-prep
# puts in .gpu/ (git-ignored; carry it): the ICICLE front-end libraries built
# here without CUDA (needs cmake and a C++ compiler), the icicle build of
# veritensor and of the zk tests linked to them (rpath $ORIGIN/lib, gzipped),
# and the ICICLE source, from which the script builds the CUDA backend there.
ICICLE_SRC   ?= $(shell $(GO) list -m -f '{{.Dir}}' github.com/ingonyama-zk/icicle-gnark/v3)/icicle
ICICLE_BUILD ?= /tmp/veritensor-icicle-build
gpu-check-prep:
	rm -rf .gpu $(ICICLE_BUILD) && mkdir -p .gpu/lib
	cp -r $(ICICLE_SRC) .gpu/icicle-src && chmod -R u+w .gpu/icicle-src
	cmake -S .gpu/icicle-src -B $(ICICLE_BUILD) -DCMAKE_BUILD_TYPE=Release -DCURVE=bn254 \
	  -DCPU_BACKEND=OFF -DCUDA_BACKEND=OFF -DCMAKE_INSTALL_PREFIX=$(ICICLE_BUILD)/install
	cmake --build $(ICICLE_BUILD) --target install -j 2
	cp $(ICICLE_BUILD)/install/lib/libicicle_*.so .gpu/lib/
	CGO_ENABLED=1 CGO_LDFLAGS="-L$(CURDIR)/.gpu/lib -Wl,-rpath,\$$ORIGIN/lib" \
	  $(GO) build -tags icicle -ldflags "-s -w -X main.version=$(VERSION)-gpu" -o .gpu/veritensor-gpu ./cmd/veritensor
	CGO_ENABLED=1 CGO_LDFLAGS="-L$(CURDIR)/.gpu/lib -Wl,-rpath,\$$ORIGIN/lib" \
	  $(GO) test -tags icicle -c -ldflags "-s -w" -o .gpu/zk-icicle.test ./zk
	gzip -f .gpu/veritensor-gpu .gpu/zk-icicle.test
	@du -sh .gpu

gpu-check:
	scripts/gpu-check.sh

# The README's test command: vet, then every test (real nodes, real proofs).
test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 20m $(PKGS)

# The operator docs as written (create-a-subnet, run-a-validator, run-a-miner):
# their shell blocks against a loopback network until the first miner payout
# (minutes). `make test` only parses every documented command line.
docs-test:
	VERITENSOR_DOCS_TEST=1 $(GO) test -count=1 -timeout 20m -run '^TestOperatorDocs$$' -v ./cmd/veritensor

# The LeNet-style CNN's full circuit on real MNIST images, bit for bit against
# native inference (~509k constraints, about two CPU-minutes).
# The devnet under the hash scheme with batch proofs (make demo
# DEMO_SCHEME=hash), one paying epoch; its batch ceremony takes 2-3 minutes
# on 2 cores, so it is outside `make test`, whose devnet test runs the
# default commit scheme.
test-devnet-batch:
	VERITENSOR_DEVNET_BATCH=1 $(GO) test -count=1 -timeout 30m -run 'TestDevnetBatches' -v ./internal/devnet

test-cnn:
	VERITENSOR_CNN_TESTS=1 $(GO) test -count=1 -timeout 30m -run 'CNN' -v ./zk

test-short:
	$(GO) test -short -count=1 $(PKGS)

# The main job: a local devnet, end to end, printing who earned what. The
# default task is 49-16-10 (7x7-pooled MNIST) under the commit scheme
# (DEMO_SCHEME=commit): the model point, the proof's own Pedersen commitment,
# binds the model, so single proofs are ~6.6x cheaper than the hash scheme's
# and the setup ceremony is smaller (under 30 s on 2 cores); validators send
# each miner 14 graded + 2 decoy single challenges per tempo. A fresh HOME
# measured 3m36s, build included (docs/benchmarks.md, "devnet: proof
# schemes"). DEMO_SCHEME=hash (the model's Poseidon2 hash in every proof, the
# only scheme with batch proofs) sends one batch of DEMO_BATCH (16) challenges
# per tempo, answered with one batch proof; the batch circuit's own ceremony
# runs once per machine (DEMO_BATCH=0: single proofs, 6 graded + 1 decoy).
#
# `make demo-784` runs the 784-64-10 circuit under DEMO_784_SCHEME (commit):
# its ceremony is 2^16 powers of tau and a 65k-constraint phase 2, about 3
# minutes on 2 cores for every new chain; under the hash scheme (2^18,
# phase-2 init 8m30s) it took 13m43s (docs/benchmarks.md, "devnet").
DEMO_ARCH ?= 49-16-10
DEMO_SCHEME ?= commit
DEMO_BATCH ?= $(if $(filter commit,$(DEMO_SCHEME)),0,16)
demo: build
	./$(BIN) devnet --arch $(DEMO_ARCH) --scheme $(DEMO_SCHEME) --batch $(DEMO_BATCH)

DEMO_784_SCHEME ?= commit
demo-784: build
	./$(BIN) devnet --arch 784-64-10 --scheme $(DEMO_784_SCHEME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@out=$$($(GO) list -deps -f '{{.ImportPath}}: {{join .Imports " "}}' ./cmd/veritensor | grep '^github.com/veritensor/veritensor' | grep -w testing); \
	  if [ -n "$$out" ]; then echo "the binary links test code (move it to a *test package):"; echo "$$out" | cut -d: -f1; exit 1; fi
	@if command -v staticcheck >/dev/null; then staticcheck $(PKGS); else echo "staticcheck not installed: go install honnef.co/go/tools/cmd/staticcheck@latest"; fi

# Runs every fuzz target to FUZZEXECS executions each, one worker, niced, a
# log per target and a summary in fuzz-logs/ (docs/reliability.md).
fuzz-execs:
	nice -n 19 internal/chaos/fuzzall.sh -n $(FUZZEXECS) -p 1 -o fuzz-logs

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# The long fault-injection schedule: 4 node processes behind fault proxies under
# a transfer load, faults for CHAOS_DURATION, the table at the end
# (docs/reliability.md). make test runs a short one (internal/chaos).
chaos: build
	./$(BIN) chaos --nodes 4 --seed $(CHAOS_SEED) --duration $(CHAOS_DURATION)

# The subnet-level schedule: the devnet fault-free, then with a validator
# daemon stopped between commit and reveal, a miner stopped mid-proof and the
# node under a validator daemon stopped; payouts compared (several minutes).
chaos-subnet: build
	./$(BIN) chaos --subnet --seed $(CHAOS_SEED)

clean:
	rm -rf bin
