#!/usr/bin/env bash
# Go encoders vs the PyTorch baseline (docs/bench/torch_baseline.py), back to back on
# this machine, same inputs, same thread count. Prints a table of medians over REPS
# repetitions: encoder, Go tokens/s, torch tokens/s, Go/torch.
#
# Environment (all optional):
#   REPS=3            repetitions (each runs Go then torch for every row)
#   THREADS=$(nproc)  threads for both; fewer than nproc pins both with taskset -c 0..THREADS-1
#                     (Go's encoders use runtime.NumCPU() threads, which follows the pinning)
#   GO_BACKEND=openblas   Go backend sub-benchmark: openblas | go (pure-Go GEMM, much slower)
#   BENCHTIME=1x      go test -benchtime for the encoders (one round over all inputs)
#   TORCH_SECONDS=0   torch_baseline.py --seconds (0 = one round, like -benchtime=1x)
#   BATCHING=upstream torch batching variants, space-separated: "upstream padded"
#   TORCH_KERNELS="installed same"  OpenBLAS kernels for torch, space-separated variants:
#                     installed = torch's environment as it is (a DYNAMIC_ARCH OpenBLAS detects
#                       the CPU itself: Debian 12's 0.3.21 falls back to generic Prescott kernels on
#                       CPUs newer than it, where virnucpro asks for the kernels the CPU's features
#                       call for); same = OPENBLAS_CORETYPE set to the kernels the Go side runs
#   PYTHON=/usr/bin/python3   the interpreter that has PyTorch (Debian: python3-torch)
#   KEEP=DIR          keep raw outputs in DIR
set -euo pipefail
cd "$(dirname "$0")/../.."

REPS=${REPS:-3}
NCPU=$(nproc)
THREADS=${THREADS:-$NCPU}
GO_BACKEND=${GO_BACKEND:-openblas}
BENCHTIME=${BENCHTIME:-1x}
TORCH_SECONDS=${TORCH_SECONDS:-0}
BATCHING=${BATCHING:-upstream}
TORCH_KERNELS=${TORCH_KERNELS:-installed same}
PYTHON=${PYTHON:-/usr/bin/python3}

if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
	cat >&2 <<EOF
compare.sh: PyTorch is not importable by $PYTHON.
Install it (Debian/Ubuntu):  apt-get install python3-torch
then rerun, or point PYTHON= at an interpreter that has torch (CPU build, >= 1.13).
EOF
	exit 2
fi
command -v go >/dev/null || { echo "compare.sh: go not found on PATH" >&2; exit 2; }
if [ "$THREADS" -gt "$NCPU" ]; then
	echo "compare.sh: THREADS=$THREADS > nproc=$NCPU" >&2
	exit 2
fi
PIN=()
if [ "$THREADS" -lt "$NCPU" ]; then
	command -v taskset >/dev/null || { echo "compare.sh: THREADS < nproc needs taskset (util-linux)" >&2; exit 2; }
	PIN=(taskset -c "0-$((THREADS - 1))")
fi

OUT=${KEEP:-$(mktemp -d)}
mkdir -p "$OUT"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$OUT"' EXIT
RES="$OUT/results.tsv"
: >"$RES"

echo "# $(date -u +%Y-%m-%dT%H:%MZ)  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')  nproc=$NCPU threads=$THREADS"
echo "# go $(go env GOVERSION), torch $("$PYTHON" -c 'import torch; print(torch.__version__)'), Go backend $GO_BACKEND, reps=$REPS"

# The Go benchmarks' exact inputs (token ids, shapes, FLOP counts) for the torch script.
VIRNUCPRO_BENCH_DUMP_DIR="$OUT" go test -count=1 -run '^TestDumpBenchTokens$' ./internal/perf >/dev/null
# Build the test binaries before timing anything.
go test -count=1 -run '^$' ./internal/model/esm2 ./internal/model/dnabert ./internal/tensor/cpu >/dev/null
# The OpenBLAS kernels the Go side runs (TestOpenBLASRunsTheCPUsKernels logs them).
GO_CORE=$(go test -count=1 -v -run '^TestOpenBLASRunsTheCPUsKernels$' ./internal/tensor/cpu 2>/dev/null |
	sed -n 's/.*: core "\([^"]*\)".*/\1/p' | head -1)
TORCH_CORE_installed=$("$PYTHON" -c 'import ctypes, torch
l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p
print(l.openblas_get_corename().decode())' 2>/dev/null || echo "?")
echo "# OpenBLAS kernels: Go $GO_CORE; torch installed $TORCH_CORE_installed${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)}"
# torch_env VARIANT: the environment prefix for torch in that kernel variant.
torch_env() {
	case "$1" in
	installed) echo env ;;
	same) echo env "OPENBLAS_CORETYPE=$GO_CORE" ;;
	*) echo "compare.sh: TORCH_KERNELS variant $1: want installed or same" >&2; exit 2 ;;
	esac
}

# go_metric FILE BENCH-REGEX UNIT: the value before UNIT on the benchmark's result line.
go_metric() {
	awk -v re="$2" -v unit="$3" '$1 ~ re { for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1) }' "$1" | head -1
}
torch_metric() { # FILE KEY
	"$PYTHON" -c 'import json,sys
for l in open(sys.argv[1]):
    if l.startswith("RESULT "): r = json.loads(l[7:]); v = r[sys.argv[2]]
print(v if not isinstance(v, dict) else json.dumps(v))' "$1" "$2"
}

for rep in $(seq 1 "$REPS"); do
	echo "# repetition $rep/$REPS" >&2
	# raw SGEMM
	f="$OUT/go_sgemm_$rep.txt"
	"${PIN[@]}" go test -count=1 -run '^$' -bench "^BenchmarkSgemm\$/^${GO_BACKEND}\$" -benchtime 1s ./internal/tensor/cpu >"$f" 2>&1
	for s in m1024_k480_n1920 m1024_k768_n2304; do
		printf '%s\tsgemm %s\tgo\t%s\t%s\n' "$rep" "$s" "-" "$(go_metric "$f" "Sgemm/${GO_BACKEND}/$s" GFLOP/s)" >>"$RES"
	done
	for kv in $TORCH_KERNELS; do
		f="$OUT/torch_sgemm_${kv}_$rep.txt"
		$(torch_env "$kv") "${PIN[@]}" "$PYTHON" docs/bench/torch_baseline.py --model sgemm --threads "$THREADS" --seconds 2 >"$f"
		for s in m1024_k480_n1920 m1024_k768_n2304; do
			printf '%s\tsgemm %s\ttorch-%s\t%s\t%s\n' "$rep" "$s" "$kv" "-" \
				"$("$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$(torch_metric "$f" GFLOP/s)" "$s")" >>"$RES"
		done
	done
	# encoders
	for enc in esm2:Encoder35M dnabert:EncoderDNABERTS; do
		m=${enc%%:*} b=${enc#*:}
		f="$OUT/go_${m}_$rep.txt"
		"${PIN[@]}" go test -count=1 -run '^$' -bench "^Benchmark${b}\$/^${GO_BACKEND}\$" -benchtime "$BENCHTIME" -timeout 60m "./internal/model/$m" >"$f" 2>&1 ||
			{ cat "$f" >&2; exit 1; }
		printf '%s\t%s\tgo\t%s\t%s\n' "$rep" "$m" "$(go_metric "$f" "$b/$GO_BACKEND" tokens/s)" "$(go_metric "$f" "$b/$GO_BACKEND" GFLOP/s)" >>"$RES"
		for bt in $BATCHING; do
			for kv in $TORCH_KERNELS; do
				f="$OUT/torch_${m}_${bt}_${kv}_$rep.txt"
				$(torch_env "$kv") "${PIN[@]}" "$PYTHON" docs/bench/torch_baseline.py --model "$m" --threads "$THREADS" --lengths "$OUT/$m.json" \
					--seconds "$TORCH_SECONDS" --batching "$bt" >"$f"
				printf '%s\t%s\ttorch-%s %s\t%s\t%s\n' "$rep" "$m" "$bt" "$kv" "$(torch_metric "$f" tokens/s)" "$(torch_metric "$f" GFLOP/s)" >>"$RES"
			done
		done
	done
done

"$PYTHON" - "$RES" <<'EOF'
import collections, statistics, sys
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    rep, what, impl, tps, gf = line.rstrip("\n").split("\t")
    rows[what][impl].append((float(tps) if tps != "-" else None, float(gf)))
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("%-26s %-20s %12s %12s %12s %12s %8s  %s" % ("encoder", "torch batch kernels", "Go tok/s", "torch tok/s",
      "Go GFLOP/s", "torch GFLOP/s", "Go/torch", "per-rep Go/torch"))
for what, impls in rows.items():
    go = impls.get("go", [])
    for impl, vals in impls.items():
        if impl == "go":
            continue
        if what.startswith("sgemm"):
            g, t = [v[1] for v in go], [v[1] for v in vals]
            per = ["%.2f" % (a / b) for a, b in zip(g, t)]
            print("%-26s %-20s %12s %12s %12.1f %12.1f %8.2f  %s" % (what, "- " + impl[len("torch-"):], "-", "-", med(g), med(t),
                  med([a / b for a, b in zip(g, t)]), " ".join(per)))
            continue
        gt, tt = [v[0] for v in go], [v[0] for v in vals]
        per = [a / b for a, b in zip(gt, tt)]
        print("%-26s %-20s %12.1f %12.1f %12.1f %12.1f %8.2f  %s" % (what, impl[len("torch-"):], med(gt), med(tt),
              med([v[1] for v in go]), med([v[1] for v in vals]), med(per), " ".join("%.2f" % x for x in per)))
print("(medians over %d repetitions; Go/torch = median of the per-repetition ratios, each measured back to back)"
      % max(len(v.get("go", [])) for v in rows.values()))
EOF
