#!/usr/bin/env bash
# Runs the command section of virnucpro.wdl's predict task as a WDL engine would (placeholders
# substituted, in a fresh working directory) on the demo with the tiny test models, twice:
# a plain run, and a "retry after preemption" that finds the first run's checkpoint.tar restored
# (as Cromwell's checkpointFile does) and must resume from it. Both must equal a direct predict
# run. No WDL engine is needed (none is packaged in Debian). Used by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# same A B: identical trees, report.html compared without its run metadata block (date,
# command line and runtime are each run's own).
same() {
  diff -r -x .virnucpro -x report.html "$1" "$2"
  diff <(sed '/<!--run-meta-->/,/<!--\/run-meta-->/d' "$1/report.html") \
    <(sed '/<!--run-meta-->/,/<!--\/run-meta-->/d' "$2/report.html")
}
cd "$root"
CGO_ENABLED=0 go build -o "$tmp/bin/virnucpro" ./cmd/virnucpro
export PATH="$tmp/bin:$PATH"
tar -cf "$tmp/dnabert.tar" -C testdata dnabert_tiny
esm=$root/testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt
classifier=$root/testdata/virnucpro_e2e_tiny/mlp/model.pth
reads=$root/demo/input.fasta

# The command section, placeholders substituted (WDL 1.0 ~{...}).
"${PYTHON:-python3}" - "$root/workflow/wdl/virnucpro.wdl" "$tmp/command.sh" \
  "out_name=out" "reads=$reads" "esm=$esm" "dnabert_tar=$tmp/dnabert.tar" "classifier=$classifier" \
  "chunk_size=500" "device=cpu" "cpu=2" "extra_args=--log-level info" "checkpoint_minutes=1" <<'PY'
import re, sys
wdl, out, *pairs = sys.argv[1:]
values = dict(p.split("=", 1) for p in pairs)
text = open(wdl).read()
body = re.search(r"command <<<\n(.*?)\n  >>>", text, re.S).group(1)
def sub(m):
    name = m.group(1)
    if name not in values:
        sys.exit(f"virnucpro.wdl: no test value for ~{{{name}}}")
    return values[name]
open(out, "w").write(re.sub(r"~\{(\w+)\}", sub, body) + "\n")
PY

# The direct run, from a directory laid out as the task's (report.html names the model paths).
mkdir -p "$tmp/directwd/dnabert"
tar -xf "$tmp/dnabert.tar" -C "$tmp/directwd/dnabert"
(cd "$tmp/directwd" && virnucpro predict "$reads" -o "$tmp/direct" --esm "$esm" --dnabert dnabert/dnabert_tiny \
  --classifier "$classifier" --chunk-size 500 --device cpu --threads 2 --no-progress -q)

mkdir "$tmp/run1" "$tmp/run2"
(cd "$tmp/run1" && bash "$tmp/command.sh" >"$tmp/run1.err" 2>&1) || { cat "$tmp/run1.err"; exit 1; }
same "$tmp/direct" "$tmp/run1/out"
# The retry: a new working directory holding only the restored checkpoint file.
# (run1's whole output directory, as the task packs it; a run interrupted earlier would have no
# results yet, only .virnucpro).
tar -cf "$tmp/run2/checkpoint.tar" -C "$tmp/run1" out
(cd "$tmp/run2" && bash "$tmp/command.sh" >"$tmp/run2.err" 2>&1) || { cat "$tmp/run2.err"; exit 1; }
grep -q "resuming from checkpoint.tar" "$tmp/run2.err" || { cat "$tmp/run2.err"; echo "wdl: the retry did not unpack checkpoint.tar"; exit 1; }
same "$tmp/direct" "$tmp/run2/out"
test "$(cat "$tmp/run2/VERSION")" = "$("$tmp/bin/virnucpro" --version)"
# predict itself reuses the restored run (a completed one: "already holds this run").
grep -q -e 'already holds this run' -e 'msg="resuming from checkpoint"' "$tmp/run2.err" \
  || { cat "$tmp/run2.err"; echo "wdl: predict did not reuse the restored run"; exit 1; }
echo "wdl: predict task command == direct run; a retry resumes from checkpoint.tar"
