#!/bin/sh
# Lays out the files of the final container image (see ../../Containerfile):
#   OUT/rootfs/  the static binary, the CA bundle (weight downloads over HTTPS),
#                /etc/passwd and /etc/group naming the non-root user, /tmp (1777)
#   OUT/home/    the user's home (copied into the image owned by UID 10001)
# Usage: rootfs.sh BINARY CA_BUNDLE OUT. POSIX sh: runs in the Go build image and on CI hosts.
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 BINARY CA_BUNDLE OUT" >&2
  exit 2
fi
bin=$1 ca=$2 out=$3
for f in "$bin" "$ca"; do
  [ -f "$f" ] || { echo "$0: $f: no such file" >&2; exit 1; }
done
mkdir -p "$out/rootfs/usr/local/bin" "$out/rootfs/etc/ssl/certs" "$out/rootfs/tmp" "$out/rootfs/data" "$out/home/.cache"
cp "$bin" "$out/rootfs/usr/local/bin/virnucpro"
chmod 0755 "$out/rootfs/usr/local/bin/virnucpro"
cp "$ca" "$out/rootfs/etc/ssl/certs/ca-certificates.crt"
chmod 0644 "$out/rootfs/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$out/rootfs/tmp"
chmod 0777 "$out/rootfs/data"
printf 'root:x:0:0:root:/root:/sbin/nologin\nvirnucpro:x:10001:10001:virnucpro:/home/virnucpro:/sbin/nologin\n' >"$out/rootfs/etc/passwd"
printf 'root:x:0:\nvirnucpro:x:10001:\n' >"$out/rootfs/etc/group"
