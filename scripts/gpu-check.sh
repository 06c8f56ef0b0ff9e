#!/usr/bin/env bash
# The device check of the GPU-ready prover (docs/benchmarks.md, "GPU prover"):
# one short run on a machine with an NVIDIA GPU. Every step is logged under
# OUTDIR and a failing step never stops the next; summary.txt says what ran.
#
#   1. nvidia-smi, and its CSV query of name, compute capability, MIG mode,
#      memory and driver;
#   2. veritensor hw -o json: the NVML inventory (compute capability, MIG);
#   3. the prover benchmark on the CPU (BenchmarkProve) and `zk prove`;
#   4. the same on the GPU (BenchmarkProveGPU, `zk prove --gpu`) when a GPU
#      build and the ICICLE CUDA backend are there; otherwise why not, and
#      the default build's --gpu error.
#
# Usage: scripts/gpu-check.sh [OUTDIR]      (default: $OUT, else ./gpu-check-out)
#
# Binaries: prebuilt by `make gpu-check-prep` on a machine with Go, cmake and
# a C++ compiler (no CUDA needed) into .gpu/ (git-ignored; carry it to the
# device machine, which has no Go): veritensor-gpu.gz and zk-icicle.test.gz
# (the icicle build: without --gpu it proves on the CPU, so one binary gives
# both sides), lib/ (the ICICLE front-end libraries they link) and
# icicle-src/ (the ICICLE source, for the CUDA backend). With `go` on PATH and
# no .gpu/, the script builds the default binaries itself (CPU side only,
# unless ICICLE_LIB_DIR holds the ICICLE libraries).
#
# ICICLE CUDA backend: $ICICLE_BACKEND_INSTALL_DIR when set, else built here
# with cmake and nvcc from $ICICLE_SRC (default .gpu/icicle-src) into
# /tmp/icicle-cuda; minutes, once per machine. SKIP_GPU=1 skips step 4.
#
# OUTDIR gets at most 7 files (summary, system, hw.json, bench, prove,
# icicle-build, build), as the device tool brings back at most 8.
#
# Environment: VERITENSOR_BENCH_ARCH (784-64-10), BENCHTIME (5x), KEYS_DIR
# (/tmp/veritensor-gpu-check-keys: proving keys, kept out of OUTDIR).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
OUTDIR=${1:-${OUT:-$ROOT/gpu-check-out}}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
ARCH=${VERITENSOR_BENCH_ARCH:-784-64-10}
BENCHTIME=${BENCHTIME:-5x}
export VERITENSOR_KEYS_DIR=${KEYS_DIR:-/tmp/veritensor-gpu-check-keys}
export VERITENSOR_BENCH_ARCH=$ARCH
GPU=$ROOT/.gpu
SUMMARY=$OUTDIR/summary.txt
: >"$SUMMARY"

note() { echo "$*" | tee -a "$SUMMARY"; }
# step NAME LOGFILE CMD...: run CMD, its output to OUTDIR/LOGFILE and the
# terminal, and one line in the summary.
step() {
	local name=$1 log=$2 start rc
	shift 2
	echo "== $name: $*"
	start=$(date +%s)
	"$@" 2>&1 | tee -a "$OUTDIR/$log"
	rc=${PIPESTATUS[0]}
	note "$name: rc=$rc in $(($(date +%s) - start))s (log $log)"
	return "$rc"
}

note "gpu-check $(date -u +%FT%TZ) on $(hostname), arch $ARCH, benchtime $BENCHTIME, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

# 1. The GPU as the driver sees it.
step nvidia-smi system.txt nvidia-smi
step nvidia-smi-query system.txt nvidia-smi --query-gpu=index,name,compute_cap,mig.mode.current,memory.total,driver_version --format=csv

# The binaries, unpacked or built outside the tree (.gpu stays small enough
# to carry).
BIN=${TMPDIR:-/tmp}/veritensor-gpu-check
rm -rf "$BIN" && mkdir -p "$BIN"
VT=$BIN/veritensor ZKT=$BIN/zk.test VTG=$BIN/veritensor-gpu ZKTG=$BIN/zk-icicle.test
for f in veritensor-gpu zk-icicle.test; do
	[ -f "$GPU/$f.gz" ] && gunzip -c "$GPU/$f.gz" >"$BIN/$f" && chmod +x "$BIN/$f"
done
if [ ! -x "$VTG" ] && command -v go >/dev/null; then
	export CGO_CFLAGS="-O2 -Wno-deprecated-declarations"
	step build build.txt go build -o "$VT" ./cmd/veritensor
	step build-zk-test build.txt go test -c -o "$ZKT" ./zk
	if [ -z "${SKIP_GPU:-}" ] && [ -f "${ICICLE_LIB_DIR:-/usr/local/lib}/libicicle_device.so" ]; then
		step build-gpu build.txt make build-gpu BIN_GPU="$VTG"
		step build-zk-test-gpu build.txt env CGO_LDFLAGS="-L${ICICLE_LIB_DIR:-/usr/local/lib} -Wl,-rpath,${ICICLE_LIB_DIR:-/usr/local/lib}" go test -tags icicle -c -o "$ZKTG" ./zk
	fi
fi
[ -d "$GPU/lib" ] && export LD_LIBRARY_PATH="$GPU/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The CPU-side CLI: the default build when there is one, else the GPU build
# (which proves on the CPU without --gpu).
[ -x "$VT" ] || VT=$VTG

# 2. The NVML inventory.
if [ -x "$VT" ]; then
	step hw system.txt "$VT" hw
	"$VT" hw -o json >"$OUTDIR/hw.json" 2>>"$OUTDIR/system.txt"
	note "hw -o json: rc=$? (hw.json)"
else
	note "hw: SKIP, no $VT (make gpu-check-prep, or go on PATH)"
fi

# 3. The prover on the CPU: the benchmark and one CLI proof.
MODEL=$ROOT/zk/testdata/mnist-$ARCH.vtm
[ -f "$MODEL" ] || MODEL=$ROOT/zk/testdata/mnist-784-64-10.vtm
INPUT=challenge:$(printf '%064d' 7):1
if [ -x "$ZKT" ]; then
	(cd zk && step bench-cpu bench.txt "$ZKT" -test.run '^$' -test.bench '^BenchmarkProve$' -test.benchtime "$BENCHTIME" -test.benchmem)
else
	note "bench-cpu: no default-build $ZKT; BenchmarkProve runs in bench-gpu (the icicle test binary, CPU without --gpu)"
fi
if [ -x "$VT" ]; then
	step prove-cpu prove.txt "$VT" zk prove --model "$MODEL" --input "$INPUT" --epoch 1 --out /tmp/gpu-check-proof-cpu.json -o json
	if [ "$VT" != "$VTG" ]; then
		# The default build refuses --gpu with a clear error (expected: rc 1).
		step prove-gpu-default-build prove.txt "$VT" zk prove --gpu --model "$MODEL" --input "$INPUT" --out /dev/null
	fi
fi

# 4. The prover on the GPU.
if [ -n "${SKIP_GPU:-}" ]; then
	note "gpu: SKIP (SKIP_GPU set)"
elif [ ! -x "$VTG" ] || [ ! -x "$ZKTG" ]; then
	note "gpu: SKIP, no GPU build ($VTG, $ZKTG): make gpu-check-prep on a machine with Go and the ICICLE front-end libraries"
else
	if [ -z "${ICICLE_BACKEND_INSTALL_DIR:-}" ]; then
		SRC=${ICICLE_SRC:-$GPU/icicle-src}
		if [ -d "$SRC" ] && command -v cmake >/dev/null && command -v nvcc >/dev/null; then
			# Only the CUDA backend is needed (the front-end libraries are
			# in .gpu/lib); native = this machine's GPU architecture.
			step icicle-cuda-configure icicle-build.txt cmake -S "$SRC" -B /tmp/icicle-build -DCMAKE_BUILD_TYPE=Release \
				-DCURVE=bn254 -DCPU_BACKEND=OFF -DCUDA_BACKEND=ON -DCUDA_ARCH="${CUDA_ARCH:-native}" \
				-DCMAKE_INSTALL_PREFIX=/tmp/icicle-cuda -DCMAKE_CUDA_COMPILER="$(command -v nvcc)"
			step icicle-cuda-build icicle-build.txt cmake --build /tmp/icicle-build --target install -j "$(nproc)"
			export ICICLE_BACKEND_INSTALL_DIR=/tmp/icicle-cuda/lib/backend
		else
			note "icicle-cuda: SKIP, need ICICLE_BACKEND_INSTALL_DIR, or cmake, nvcc and the ICICLE source ($SRC)"
		fi
	fi
	note "ICICLE_BACKEND_INSTALL_DIR=${ICICLE_BACKEND_INSTALL_DIR:-unset}"
	# Same binary, CPU and GPU side by side.
	(cd zk && step bench-gpu bench.txt "$ZKTG" -test.run '^$' -test.bench '^BenchmarkProve(GPU)?$' -test.benchtime "$BENCHTIME" -test.benchmem)
	step prove-gpu prove.txt "$VTG" zk prove --gpu --model "$MODEL" --input "$INPUT" --epoch 1 --out /tmp/gpu-check-proof-gpu.json -o json
	step verify-gpu prove.txt "$VT" zk verify --proof /tmp/gpu-check-proof-gpu.json -o json
fi
note "done $(date -u +%FT%TZ)"
grep -hE '^Benchmark' "$OUTDIR/bench.txt" 2>/dev/null | tee -a "$SUMMARY"
