#!/usr/bin/env bash
# Runs the scale-out recipes on the demo data with the tiny test models and checks that
# the merged outputs equal one unsharded run byte for byte: the Snakemake workflow with
# 3 shards, and the Slurm array script with 2 shards (SLURM_* variables set by hand,
# array 1-2). Needs snakemake (Debian package `snakemake`). Used by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
CGO_ENABLED=0 go build -o "$tmp/virnucpro" ./cmd/virnucpro
export VIRNUCPRO="$tmp/virnucpro"
esm=$root/testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt
dnabert=$root/testdata/dnabert_tiny
classifier=$root/testdata/virnucpro_e2e_tiny/mlp/model.pth
input=$root/demo/input.fasta
models=(--esm "$esm" --dnabert "$dnabert" --classifier "$classifier" --chunk-size 500)

# same A B: identical trees, report.html compared without its run metadata block (date,
# command line and runtime are each run's own).
same() {
  diff -r -x .virnucpro -x report.html "$1" "$2"
  diff <(sed '/<!--run-meta-->/,/<!--\/run-meta-->/d' "$1/report.html") \
    <(sed '/<!--run-meta-->/,/<!--\/run-meta-->/d' "$2/report.html")
}

"$VIRNUCPRO" predict "$input" -o "$tmp/whole" "${models[@]}" --no-progress -q

snakemake -s "$root/workflow/Snakefile" --directory "$tmp/snake" --cores 2 --quiet \
  --config input="$input" outdir=out shards=3 virnucpro="$VIRNUCPRO" \
  esm="$esm" dnabert="$dnabert" classifier="$classifier" chunk_size=500
same "$tmp/whole" "$tmp/snake/out/merged"
echo "snakemake: 3 shards merged == unsharded run"

for id in 1 2; do
  SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=2 SLURM_CPUS_PER_TASK=2 \
    bash "$root/workflow/slurm.sh" "$input" "$tmp/slurm" "${models[@]}" -q
done
"$VIRNUCPRO" merge "$tmp"/slurm/shard-* -o "$tmp/slurm/merged" -q
same "$tmp/whole" "$tmp/slurm/merged"
echo "slurm array: 2 shards merged == unsharded run"
