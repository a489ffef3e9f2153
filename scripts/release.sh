#!/usr/bin/env bash
# Builds the release binaries of virnucpro with the version embedded, and SHA256SUMS.
#
#   scripts/release.sh [--targets "OS/ARCH[-gpu] ..."] VERSION [OUTDIR]
#
# Default targets (OUTDIR default dist/):
#   virnucpro-VERSION-linux-amd64       static CPU build (-tags static): any Linux, no libc needed
#   virnucpro-VERSION-linux-arm64       static CPU build
#   virnucpro-VERSION-linux-amd64-gpu   default build: loads CUDA (libcuda, cuBLASLt, NVRTC) and
#                                       OpenBLAS at run time; needs a glibc Linux
#   virnucpro-VERSION-darwin-arm64      default build (OpenBLAS from Homebrew when installed)
#   virnucpro-VERSION-darwin-amd64
# Every binary is CGO_ENABLED=0, -trimpath, stripped, with main.version=VERSION; the static ones
# are checked with `file` when it is installed. SHA256SUMS lists them for `sha256sum -c`.
set -euo pipefail
targets="linux/amd64 linux/arm64 linux/amd64-gpu darwin/arm64 darwin/amd64"
if [ "${1:-}" = --targets ]; then
  targets=$2
  shift 2
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 [--targets \"OS/ARCH[-gpu] ...\"] VERSION [OUTDIR]" >&2
  exit 2
fi
version=$1
out=${2:-dist}
if ! [[ $version =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]*$ ]]; then
  echo "$0: version '$version': use letters, digits and . + _ - only" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"

names=()
for t in $targets; do
  goos=${t%%/*}
  arch=${t#*/}
  tags=
  case $arch in
    *-gpu) arch=${arch%-gpu} ;;
    *) [ "$goos" = linux ] && tags=static ;;
  esac
  name="virnucpro-$version-$goos-$arch"
  [ "$tags" = "" ] && [ "$goos" = linux ] && name="$name-gpu"
  GOOS=$goos GOARCH=$arch CGO_ENABLED=0 go build -tags "$tags" -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=$version" -o "$out/$name" ./cmd/virnucpro
  if [ "$tags" = static ] && command -v file >/dev/null 2>&1; then
    desc=$(file -b "$out/$name")
    case $desc in
      *"statically linked"*) ;;
      *) echo "$0: $name is not statically linked: $desc" >&2; exit 1 ;;
    esac
  fi
  names+=("$name")
  echo "built $out/$name"
done
(cd "$out" && sha256sum "${names[@]}" > SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
echo "wrote $out/SHA256SUMS"
