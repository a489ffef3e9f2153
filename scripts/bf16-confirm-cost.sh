#!/usr/bin/env bash
# What the fp32 confirmation of bf16 near ties costs and buys, on one input: runs
# `virnucpro predict --device cpu` in fp32, in bf16 without confirmation
# (--bf16-confirm-margin 0) and in bf16 with MARGIN (default: the flag's default),
# ROUNDS times each in turn (so machine load touches all three alike), and prints
# per run: wall time, the share of frames confirmed and the time spent confirming
# (from the run's log), and labels / highestscore calls differing from fp32's.
#
#   scripts/bf16-confirm-cost.sh INPUT.fa [CHUNK_SIZE]
#
# Models: the bundled tiny test models unless ESM, DNABERT and CLASSIFIER are set.
# Needs a CPU with AVX512_BF16. THREADS (default nproc), ROUNDS (default 3), MARGIN.
set -euo pipefail
cd "$(dirname "$0")/.."
in=${1:?usage: $0 INPUT.fa [CHUNK_SIZE]}
size=${2:-300}
ESM=${ESM:-testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt}
DNABERT=${DNABERT:-testdata/dnabert_tiny}
CLASSIFIER=${CLASSIFIER:-testdata/virnucpro_e2e_tiny/mlp/model.pth}
THREADS=${THREADS:-$(nproc)}
ROUNDS=${ROUNDS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/virnucpro-confirm.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/virnucpro" ./cmd/virnucpro
margin=()
[ -n "${MARGIN:-}" ] && margin=(--bf16-confirm-margin "$MARGIN")

run() { # name, flags...: one predict run into $work/$name, its log in $work/$name.log
	local name=$1
	shift
	rm -rf "${work:?}/$name"
	local t0 t1
	t0=$(date +%s.%N)
	"$work/virnucpro" predict "$in" -o "$work/$name" --device cpu --chunk-size "$size" --no-checkpoint \
		--no-progress --threads "$THREADS" --esm "$ESM" --dnabert "$DNABERT" --classifier "$CLASSIFIER" \
		"$@" >/dev/null 2>"$work/$name.log"
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}'
}

# differ counts the frames and chunk calls of run $1 whose label differs from fp32's.
differ() {
	local labels calls
	labels=$(paste <(tail -n +2 "$work/fp32/prediction_results.txt" | cut -f1,2) \
		<(tail -n +2 "$work/$1/prediction_results.txt" | cut -f1,2) | awk '$2 != $4' | wc -l)
	calls=$(paste <(tail -n +2 "$work/fp32/prediction_results_highestscore.csv" | cut -f1,2) \
		<(tail -n +2 "$work/$1/prediction_results_highestscore.csv" | cut -f1,2) | awk '$2 != $4' | wc -l)
	echo "$labels labels, $calls chunk calls differ from fp32"
}

echo "input $in, chunk size $size, $THREADS threads, $(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
	w32=$(run fp32 --precision fp32)
	w0=$(run bf16 --precision bf16 --bf16-confirm-margin 0)
	wc=$(run confirm --precision bf16 "${margin[@]}")
	frames=$(grep -o 'frames=[0-9]* no_orf' "$work/fp32.log" | grep -o '[0-9]*')
	line=$(grep 'bf16 near ties confirmed in fp32' "$work/confirm.log")
	confirmed=$(echo "$line" | grep -o ' frames=[0-9]*' | grep -o '[0-9]*')
	confirm_s=$(echo "$line" | grep -o 'confirm_s=[0-9.]*' | cut -d= -f2)
	m=$(echo "$line" | grep -o 'margin=[0-9.e-]*' | cut -d= -f2)
	echo "round $round: $frames frames; wall fp32 ${w32} s, bf16 ${w0} s, bf16 + confirmation ${wc} s"
	echo "  bf16 without confirmation: $(differ bf16)"
	awk -v c="$confirmed" -v f="$frames" -v s="$confirm_s" -v w="$wc" -v w0="$w0" -v m="$m" 'BEGIN {
		printf "  bf16, margin %s: %d frames confirmed (%.1f%%), %.2f s confirming = %.1f%% of the run; wall %.2fx bf16 without\n",
			m, c, 100 * c / f, s, 100 * s / w, w / w0 }'
	echo "  bf16 with confirmation: $(differ confirm)"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
