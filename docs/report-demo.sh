#!/usr/bin/env bash
# Regenerates docs/report-demo.png, the headless-Chromium screenshot of a report.html.
#
#   docs/report-demo.sh            # the synthetic demo run built by the test itself
#   docs/report-demo.sh OUTDIR     # a real predict output directory: redoes its reports
#                                  # with `virnucpro report OUTDIR`, then renders them
#
# Needs Debian's chromium (or VIRNUCPRO_CHROMIUM=/path/to/chrome).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null 2>&1 || [ -n "${VIRNUCPRO_CHROMIUM:-}" ] || { echo "chromium not found" >&2; exit 1; }
export VIRNUCPRO_DEMO_PNG="$PWD/docs/report-demo.png"
if [ $# -ge 1 ]; then
  go run ./cmd/virnucpro report "$1"
  export VIRNUCPRO_DEMO_HTML="$(cd "$1" && pwd)/report.html"
fi
go test -count=1 -run TestReportRendersInChromium -v ./internal/report/ | grep -v dbus
echo "wrote $VIRNUCPRO_DEMO_PNG"
