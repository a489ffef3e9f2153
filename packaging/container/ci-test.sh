#!/usr/bin/env bash
# Builds the default container image (Containerfile, target "static") with no network and no
# image pull, runs the demo inside it and checks that its outputs equal a native run of the
# same static binary byte for byte. Used by .ci/run; needs buildah (or podman) and root or
# a working rootless setup.
#
# The binary and the CA bundle are made outside (target static-prebuilt: the build context holds
# packaging/container/rootfs.sh's out/), storage is vfs in a temporary root. Running the image:
# `podman run` is tried with the default runtime, then with runc and explicit --ulimit values
# (sandboxes without CAP_SYS_RESOURCE refuse the runtimes' default rlimits: "crun: setrlimit
# RLIMIT_NOFILE: Operation not permitted"; crun also refuses hybrid cgroup v1/v2 hosts);
# when no way to run a container works, the image's root filesystem (buildah from + mount)
# is entered with `unshare --root --wd --setuid` as UID 10001: the image's very files.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
store=(--storage-driver vfs --root "$tmp/storage" --runroot "$tmp/run")
image=localhost/virnucpro-ci:latest
cleanup() {
  if command -v buildah >/dev/null 2>&1; then
    buildah "${store[@]}" rm --all >/dev/null 2>&1 || true
  fi
  if command -v podman >/dev/null 2>&1; then
    podman "${store[@]}" rm --all --force >/dev/null 2>&1 || true
  fi
  # vfs layers hold read-only directories; make them removable first.
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# same A B: identical trees, report.html compared without its run metadata block (date,
# command line and runtime are each run's own).
same() {
  diff -r -x .virnucpro -x report.html "$1" "$2"
  diff <(sed '/<!--run-meta-->/,/<!--\/run-meta-->/d' "$1/report.html") \
    <(sed '/<!--run-meta-->/,/<!--\/run-meta-->/d' "$2/report.html")
}
cd "$root"

ca=/etc/ssl/certs/ca-certificates.crt
if [ ! -f "$ca" ]; then
  echo "container test: no CA bundle at $ca (Debian package ca-certificates)"; exit 1
fi
version=ci-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
CGO_ENABLED=0 go build -tags static -trimpath -ldflags "-s -w -X main.version=$version" -o "$tmp/virnucpro" ./cmd/virnucpro
sh packaging/container/rootfs.sh "$tmp/virnucpro" "$ca" "$tmp/ctx/out"

# The demo, from a directory laid out as the container's /data: in/ (inputs), out/ (results);
# the same relative paths on both sides (report.html names its input).
demo_args=(predict in/demo/input.fasta -o out --esm in/testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt
  --dnabert in/testdata/dnabert_tiny --classifier in/testdata/virnucpro_e2e_tiny/mlp/model.pth
  --chunk-size 500 --no-progress -q -j 2)
mkdir -p "$tmp/native/in"
ln -s "$root/demo" "$tmp/native/in/demo"
ln -s "$root/testdata" "$tmp/native/in/testdata"
(cd "$tmp/native" && "$tmp/virnucpro" "${demo_args[@]}")

builder=
if command -v buildah >/dev/null 2>&1; then
  builder=(buildah "${store[@]}" bud)
elif command -v podman >/dev/null 2>&1; then
  builder=(podman "${store[@]}" build)
else
  echo "container test skipped: neither buildah nor podman is installed (Debian packages buildah, podman)"; exit 0
fi
"${builder[@]}" --pull=never -q -f "$root/Containerfile" --target static-prebuilt \
  --build-arg VERSION="$version" -t "$image" "$tmp/ctx" >/dev/null
echo "container: image built with ${builder[0]} (vfs storage, no pull)"
if command -v buildah >/dev/null 2>&1; then
  meta=$(buildah "${store[@]}" inspect --type image \
    --format '{{.OCIv1.Config.User}} {{index .OCIv1.Config.Labels "org.opencontainers.image.version"}}' "$image")
  if [ "$meta" != "10001:10001 $version" ]; then
    echo "container: image user and version label are '$meta', want '10001:10001 $version'"; exit 1
  fi
fi

mkdir -p "$tmp/ctr/out"
chmod 0777 "$tmp/ctr/out"
mounts=(-v "$root/demo:/data/in/demo:ro" -v "$root/testdata:/data/in/testdata:ro" -v "$tmp/ctr/out:/data/out")
limits=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
ran=
# CONTAINER_TEST_RUN=unshare goes straight to the fallback (to test it).
if [ "${CONTAINER_TEST_RUN:-podman}" = podman ] && command -v podman >/dev/null 2>&1; then
  for how in "default" "runc" "crun"; do
    case $how in
      default) opts=(run) ;;
      *) opts=(--runtime "$how" run "${limits[@]}") ;;
    esac
    if out=$(podman "${store[@]}" "${opts[@]}" --rm --network none "$image" --version 2>&1); then
      if [ "$out" != "$version" ]; then
        echo "container: --version printed '$out', want '$version'"; exit 1
      fi
      podman "${store[@]}" "${opts[@]}" --rm --network none "${mounts[@]}" "$image" "${demo_args[@]}"
      ran="podman run ($how runtime)"
      break
    fi
    echo "container: podman run with the $how runtime failed: ${out##*$'\n'}"
  done
fi
if [ -z "$ran" ]; then
  if ! command -v buildah >/dev/null 2>&1 || ! unshare --help 2>/dev/null | grep -q -- '--wd' || [ "$(id -u)" != 0 ]; then
    echo "container test skipped: no way to run the image here (podman run failed; the fallback needs root, buildah and util-linux unshare >= 2.38)"; exit 0
  fi
  ctr=$(buildah "${store[@]}" from --pull=never "$image")
  mnt=$(buildah "${store[@]}" mount "$ctr")
  mkdir -p "$mnt/data/in/testdata/virnucpro_e2e_tiny" "$mnt/data/out"
  cp -r "$root/demo" "$mnt/data/in/"
  cp -r "$root/testdata/esm2_tiny" "$root/testdata/dnabert_tiny" "$mnt/data/in/testdata/"
  cp -r "$root/testdata/virnucpro_e2e_tiny/mlp" "$mnt/data/in/testdata/virnucpro_e2e_tiny/"
  chown 10001:10001 "$mnt/data/out"
  inimage=(env -i HOME=/home/virnucpro unshare --root="$mnt" --wd=/data --setuid 10001 --setgid 10001 /usr/local/bin/virnucpro)
  out=$("${inimage[@]}" --version)
  if [ "$out" != "$version" ]; then
    echo "container: --version printed '$out', want '$version'"; exit 1
  fi
  "${inimage[@]}" "${demo_args[@]}"
  cp -r "$mnt/data/out/." "$tmp/ctr/out/"
  ran="unshare --root into the image's root filesystem (buildah mount), UID 10001"
fi
same "$tmp/native/out" "$tmp/ctr/out"
echo "container: demo in the image ($ran) == native run of the static binary"
