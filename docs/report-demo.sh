#!/usr/bin/env bash
# Regenerates docs/report-demo.png, the headless-Chromium screenshot of the report.html
# of the README's demo run.
#
#   docs/report-demo.sh            # runs the README's demo predict into demo-out/, renders it
#   docs/report-demo.sh OUTDIR     # an existing predict output directory: redoes its
#                                  # reports with `virnucpro report OUTDIR`, then renders them
#
# Needs Debian's chromium (or VIRNUCPRO_CHROMIUM=/path/to/chrome).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null 2>&1 || [ -n "${VIRNUCPRO_CHROMIUM:-}" ] || { echo "chromium not found" >&2; exit 1; }
export VIRNUCPRO_DEMO_PNG="$PWD/docs/report-demo.png"
if [ $# -ge 1 ]; then
  out=$1
  go run ./cmd/virnucpro report "$out"
else
  out=demo-out
  go run ./cmd/virnucpro predict demo/input.fasta --esm testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt \
    --dnabert testdata/dnabert_tiny --classifier testdata/virnucpro_e2e_tiny/mlp/model.pth \
    --chunk-size 500 -o "$out" --restart -q
fi
export VIRNUCPRO_DEMO_HTML="$(cd "$out" && pwd)/report.html"
go test -count=1 -run TestReportRendersInChromium -v ./internal/report/ | grep -v dbus
echo "wrote $VIRNUCPRO_DEMO_PNG"
