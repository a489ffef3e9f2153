#!/usr/bin/env bash
# Scale benchmark: peak memory, wall time and output size of virnucpro on seeded
# synthetic inputs (scripts/scalegen), with the bundled tiny test models (so the models
# cost nothing and the figures measure the tool itself).
#
#   scripts/scale-bench.sh                       # every case at full size (long: hours on 2 cores)
#   CASES="reads" READS="100000 300000" scripts/scale-bench.sh
#
# Cases (CASES, default "reads long validate"):
#   reads     predict on READS reads of READ_LEN bp (default 1000000 of 150)
#   long      predict on one record of LONG_BP bases (default 200000000)
#   validate  validate on VALIDATE_READS reads of READ_LEN bp (default 10000000)
# Each prints: peak RSS (MB), wall time (s), files in the output directory (checkpoint
# included), report.html size. SEED (default 1) fixes the inputs; WORK (default a
# temporary directory) holds inputs and outputs; KEEP=1 keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${CASES:-"reads long validate"}
READS=${READS:-1000000}
READ_LEN=${READ_LEN:-150}
LONG_BP=${LONG_BP:-200000000}
VALIDATE_READS=${VALIDATE_READS:-10000000}
SEED=${SEED:-1}
THREADS=${THREADS:-$(nproc)}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/virnucpro-scale.XXXXXX")}
mkdir -p "$WORK"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

go build -o "$WORK/virnucpro" ./cmd/virnucpro
go build -o "$WORK/scalegen" ./scripts/scalegen
MODELS=(--esm testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt --dnabert testdata/dnabert_tiny
  --classifier testdata/virnucpro_e2e_tiny/mlp/model.pth --chunk-size 500)
echo "virnucpro scale benchmark: seed $SEED, $THREADS threads, $(nproc) cores, $(uname -m), work dir $WORK"

# measure NAME OUTDIR CMD...: runs CMD, prints peak RSS, wall time and output counts.
measure() {
  local name=$1 out=$2
  shift 2
  local t0 t1 rss
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"
    rss=$(awk -F: '/Maximum resident set size/ {print $2/1024}' "$WORK/$name.time")
  else
    "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" &
    local pid=$! peak=0 cur
    while kill -0 "$pid" 2>/dev/null; do
      cur=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ "${cur:-0}" -gt "$peak" ] && peak=$cur
      sleep 0.5
    done
    wait "$pid"
    rss=$(awk -v k="$peak" 'BEGIN {print k/1024}')
  fi
  t1=$(date +%s.%N)
  local files=- html=-
  if [ -n "$out" ] && [ -d "$out" ]; then
    files=$(find "$out" -type f | wc -l)
    [ -f "$out/report.html" ] && html=$(stat -c %s "$out/report.html")
  fi
  printf '%-28s peak_rss_mb=%-8.0f wall_s=%-8.1f output_files=%-6s report_html_bytes=%s\n' \
    "$name" "$rss" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')" "$files" "$html"
}

for c in $CASES; do
  case $c in
  reads)
    for n in $READS; do
      in="$WORK/reads-$n.fa"
      [ -f "$in" ] || "$WORK/scalegen" -reads "$n" -len "$READ_LEN" -seed "$SEED" -o "$in" 2>/dev/null
      measure "predict $n x ${READ_LEN}bp" "$WORK/out-reads-$n" "$WORK/virnucpro" predict "$in" "${MODELS[@]}" \
        -o "$WORK/out-reads-$n" -j "$THREADS" --no-progress
      tail -n 20 "$WORK/predict $n x ${READ_LEN}bp.stdout" 2>/dev/null | sed 's/^/    /' || true
    done
    ;;
  long)
    in="$WORK/long-$LONG_BP.fa"
    [ -f "$in" ] || "$WORK/scalegen" -reads 1 -len "$LONG_BP" -seed "$SEED" -o "$in" 2>/dev/null
    measure "predict 1 x ${LONG_BP}bp" "$WORK/out-long" "$WORK/virnucpro" predict "$in" "${MODELS[@]}" \
      -o "$WORK/out-long" -j "$THREADS" --no-progress
    ;;
  validate)
    in="$WORK/validate-$VALIDATE_READS.fa"
    [ -f "$in" ] || "$WORK/scalegen" -reads "$VALIDATE_READS" -len "$READ_LEN" -seed "$SEED" -o "$in" 2>/dev/null
    measure "validate $VALIDATE_READS x ${READ_LEN}bp" "" "$WORK/virnucpro" validate "$in"
    ;;
  *)
    echo "unknown case $c (reads, long, validate)" >&2
    exit 1
    ;;
  esac
done
