#!/usr/bin/env python3
"""Helpers of scripts/hostile-repro.sh (issue 16): hostile model files and a hostile web server.

    hostile_repro.py tensor OUT.pth SIZES          a torch.save zip whose pickle is {"w": tensor}
                                                   with the comma-separated size (e.g. -4,4)
    hostile_repro.py bomb OUT.pth MIB              the same with a deflated record of MIB MiB of zeros
    hostile_repro.py hugepickle OUT.pth            a 15-byte data.pkl announcing a 2^40-byte string
    hostile_repro.py global IN.pth OUT.pth MOD NAME  IN with the global MOD.NAME loaded (then popped)
    hostile_repro.py replace IN.pt OUT.pt HEXOLD HEXNEW  IN with bytes replaced in data.pkl
    hostile_repro.py nan IN.pth OUT.pth            IN with a NaN in its largest storage record
    hostile_repro.py shard OUT.safetensors LABEL   a width-2 feature shard (train's format)
    hostile_repro.py alter IN.fa OUT.fa BIN        IN with one base of its first record changed
                                                   such that BIN translate keeps the same frames
    hostile_repro.py serve SECRET PORTFILE LOGDIR  the web server (modes: first path element)

Standard library only. Nothing here is run by CI.
"""
import http.server
import json
import os
import socketserver
import struct
import subprocess
import sys
import tempfile
import time
import zipfile


def torch_zip(path, pkl, records=None, deflate=False):
    """Writes a torch.save-style zip: m/data.pkl and m/data/<key> records."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("m/data.pkl", pkl, compress_type=zipfile.ZIP_STORED)
        for k, v in (records or {}).items():
            z.writestr("m/data/" + k, v, compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)


def pkl_tensor(numel, size, stride):
    """Pickle (protocol 2) of {"w": torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())}."""
    def num(v):
        if -2**31 <= v < 2**31:
            return b"J" + struct.pack("<i", v)
        return b"\x8a\x08" + struct.pack("<q", v)

    def s(x):
        return b"X" + struct.pack("<I", len(x)) + x.encode()

    def tup(vs):
        return b"(" + b"".join(num(v) for v in vs) + b"t"
    return (b"\x80\x02}" + s("w") + b"ctorch._utils\n_rebuild_tensor_v2\n(" +
            b"(" + s("storage") + b"ctorch\nFloatStorage\n" + s("0") + s("cpu") + num(numel) + b"tQ" +
            num(0) + tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)RtRs.")


def strides(size):
    out, acc = [], 1
    for d in reversed(size):
        out.insert(0, acc)
        acc *= max(d, 1)
    return out


def rewrite(src, dst, edit):
    """Copies the zip src to dst (stored entries), passing each entry through edit(name, data)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)), compress_type=zipfile.ZIP_STORED)


def serve(secret, portfile, logdir):
    page = b"<!DOCTYPE html>\n<html><body>Sign in to continue</body></html>\n"

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def redirect(self, loc):
            self.send_response(302)
            self.send_header("Location", loc)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def body(self, length, chunks, pause):
            """Sends a status line announcing length, then the chunks with a pause after each,
            then holds the connection (at most 60 s) until the client leaves."""
            self.send_response(200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            try:
                for c in chunks:
                    self.wfile.write(c)
                    self.wfile.flush()
                    time.sleep(pause)
                time.sleep(60)
            except OSError:
                pass
            self.close_connection = True

        def do_GET(self):
            mode = self.path.split("/")[1]
            with open(os.path.join(logdir, mode), "a") as f:
                f.write(self.path + "\n")
            if mode == "file":
                self.redirect("file://" + secret)
            elif mode == "zero":
                self.redirect("file:///dev/zero")
            elif mode == "ftp":
                self.redirect("ftp://127.0.0.1/500_model.pth")
            elif mode == "loop":
                self.redirect("/loop/500_model.pth" if self.path.endswith("/b") else "/loop/b")
            elif mode == "huge":  # announces 10^13 bytes, sends 32 MiB, then holds
                self.body(10**13, (b"\0" * (1 << 20) for _ in range(32)), 0.05)
            elif mode == "trickle":  # 1 byte/s
                self.body(5000, (b"\1" for _ in range(5000)), 1.0)
            elif mode in ("big", "other"):  # 4 MiB (for a full disk) or a file that is not the release
                data = b"\7" * (4 << 20) if mode == "big" else b"PK\3\4 a retrained classifier, not the released one"
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:
                    pass
            elif mode == "html":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
            else:
                self.send_error(404)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # clients that hang up (on purpose) are not errors here

    srv = Server(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def alter(src, dst, binary):
    """Changes one base of the first record where the kept frames stay the same."""
    lines = open(src).read().split("\n")
    seq_line = 1  # the first record's first sequence line

    def frames(text):
        with tempfile.TemporaryDirectory() as d:
            fa = os.path.join(d, "in.fa")
            open(fa, "w").write(text)
            subprocess.run([binary, "translate", fa, "--chunk-size", "500", "--nucleotide", os.path.join(d, "n.fa"),
                            "--protein", os.path.join(d, "p.faa"), "-q"], check=True)
            return [l for l in open(os.path.join(d, "p.faa")) if l.startswith(">")]
    want = frames("\n".join(lines))
    seq = lines[seq_line]
    for i in range(len(seq) // 2, len(seq)):
        for b in "ACGT":
            if seq[i].upper() == b:
                continue
            mod = lines[:]
            mod[seq_line] = seq[:i] + b + seq[i + 1:]
            if frames("\n".join(mod)) == want:
                open(dst, "w").write("\n".join(mod))
                return
    sys.exit("alter: no base change keeps the frames")


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "tensor":
        size = [int(x) for x in a[1].split(",")]
        torch_zip(a[0], pkl_tensor(16, size, strides(size)), {"0": b"\0" * 64})
    elif cmd == "bomb":
        n = int(a[1]) << 20
        torch_zip(a[0], pkl_tensor(n // 4, [n // 4], [1]), {"0": b"\0" * n}, deflate=True)
    elif cmd == "hugepickle":
        torch_zip(a[0], b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"....")
    elif cmd == "global":
        g = ("c%s\n%s\n0" % (a[2], a[3])).encode()
        rewrite(a[0], a[1], lambda n, d: d[:2] + g + d[2:] if n.endswith("data.pkl") else d)
    elif cmd == "replace":
        old, new = bytes.fromhex(a[2]), bytes.fromhex(a[3])

        def edit(n, d):
            if n.endswith("data.pkl"):
                assert old in d, "pattern not in data.pkl"
                return d.replace(old, new, 1)
            return d
        rewrite(a[0], a[1], edit)
    elif cmd == "nan":
        with zipfile.ZipFile(a[0]) as z:
            largest = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size).filename
        rewrite(a[0], a[1], lambda n, d: struct.pack("<f", float("nan")) + d[4:] if n == largest else d)
    elif cmd == "shard":
        meta = {"ids": json.dumps(["a", "b"]), "label": a[1], "format": "virnucpro-features"}
        head = json.dumps({"__metadata__": meta, "embeddings": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})
        head += " " * (-len(head) % 8)
        with open(a[0], "wb") as f:
            f.write(struct.pack("<Q", len(head)) + head.encode() + struct.pack("<4f", 1, 2, 3, 4))
    elif cmd == "alter":
        alter(a[0], a[1], a[2])
    elif cmd == "serve":
        serve(a[0], a[1], a[2])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
