#!/bin/bash
# bioconda build of virnucpro: the default build (compiler('go-nocgo') sets CGO_ENABLED=0), which
# loads CUDA (and OpenBLAS) at run time when present and runs on the CPU otherwise. The static
# build (-tags static) would run without glibc but could never use a GPU; conda environments
# always have glibc on Linux.
set -euxo pipefail

go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X main.version=${PKG_VERSION}" \
  -o "${PREFIX}/bin/virnucpro" ./cmd/virnucpro

# Bundle the licenses of every Go module compiled into the binary (about.license_file lists
# library_licenses/). virnucpro's own module is skipped here: its LICENSE is listed directly.
go-licenses save ./cmd/virnucpro --save_path="${SRC_DIR}/library_licenses" \
  --ignore github.com/virnucpro/virnucpro
