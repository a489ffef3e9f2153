#!/usr/bin/env bash
# Checks a predict output directory's contigs.tsv against viral-ngs' own roll-up
# (viral_ngs.classify.virnucpro.classify_contigs, what its virnucpro_contigs runs) on
# the same directory's prediction_results_highestscore.csv (the default --compat broad
# layout), on a machine where the viral-ngs Python package is installed:
#
#   scripts/compare-viral-ngs.sh OUTDIR [--min-chunks 3 --min-viral-prop 0.2 ...]
#
# The options are classify_contigs' keyword arguments written as flags (the names of
# `virnucpro report`'s flags); give `virnucpro report OUTDIR` the same ones first.
# viral-ngs groups chunks by a regex on their ids, (NODE_\d+) by default; this passes
# id_pattern '^(.*)_chunk_\d+$' so it groups them by record, as virnucpro does.
# Prints "identical" or the diff (exit status 1).
set -euo pipefail
out=${1:?usage: $0 OUTDIR [--option value ...]}
shift
theirs=$(mktemp)
trap 'rm -f "$theirs"' EXIT
python3 - "$out/prediction_results_highestscore.csv" "$theirs" "$@" <<'PY'
import sys
from viral_ngs.classify import virnucpro

src, dst, opts = sys.argv[1], sys.argv[2], sys.argv[3:]
kwargs = {}
for name, value in zip(opts[::2], opts[1::2]):
    key = name.lstrip("-").replace("-", "_")
    kwargs[key] = int(value) if key == "min_chunks" else float(value)
virnucpro.classify_contigs(src, dst, id_pattern=r"^(.*)_chunk_\d+$", **kwargs)
PY
if diff "$theirs" "$out/contigs.tsv"; then
  echo identical
else
  exit 1
fi
