#!/usr/bin/env bash
# Issue 16's reproductions at the command line, run against the code before the fixes and the
# current work tree: one table row per case, "BAD: ..." where a binary misbehaves (deletes,
# overwrites, crashes, hangs, trusts what it should refuse) and "ok: ..." where it refuses or
# behaves. Library-level defects without a command-line reproduction are listed at the end.
#
#   scripts/hostile-repro.sh [OLD_COMMIT]     (default 2b0a740, the commit the issue was filed on)
#   ONLY=REGEX scripts/hostile-repro.sh       only the cases whose "defect|name" matches REGEX
#
# Builds OLD_COMMIT in a temporary git worktree (removed at exit) and the current work tree,
# and runs each case in a fresh directory with the tiny test models. Needs python3 (helpers in
# scripts/hostile_repro.py); the full-disk case needs root (a 1 MiB tmpfs) and is skipped
# otherwise. About two minutes; not run by CI (its cases are the unit tests' reproductions).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
old_commit=${1:-2b0a740}
py="python3 $repo/scripts/hostile_repro.py"
tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  for m in "$tmp"/*/*/cache; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
  git -C "$repo" worktree remove --force "$tmp/old-tree" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

git -C "$repo" worktree add --detach "$tmp/old-tree" "$old_commit" >/dev/null 2>&1 || { echo "cannot check out $old_commit"; exit 1; }
(cd "$tmp/old-tree" && CGO_ENABLED=0 go build -o "$tmp/old" ./cmd/virnucpro) || exit 1
(cd "$repo" && CGO_ENABLED=0 go build -o "$tmp/new" ./cmd/virnucpro) || exit 1

esm=$repo/testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt
dnb=$repo/testdata/dnabert_tiny
cls=$repo/testdata/virnucpro_e2e_tiny/mlp/model.pth
input=$repo/demo/input.fasta

mkdir -p "$tmp/srvlog"
echo "PRIVATE KEY" >"$tmp/id_rsa"
printf '<!DOCTYPE html>\n<html><body>Sign in to continue</body></html>\n' >"$tmp/page.html"
$py serve "$tmp/id_rsa" "$tmp/port" "$tmp/srvlog" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat "$tmp/port")

# ---- helpers (each case runs in $w with binary $bin) ----
# run: the command under a timeout (T seconds, default 60) with its peak RSS; sets rc.
# timeout signals the command itself (under time, it would kill only time and leave a
# hung old binary running), and KILLs it 5 s after a TERM it ignores.
run() {
  /usr/bin/time -o "$w/rss" -f %M timeout -k 5 "${T:-60}" "$@" >"$w/stdout" 2>"$w/stderr"
  rc=$?
}
# first: the error line of the run's stderr (else its first line), temporary paths trimmed.
first() {
  { awk '/error|ERROR/ { l = $0; if (l ~ /:$/ && (getline n) > 0) l = l " " n; print l; f = 1; exit } END { exit !f }' "$w/stderr" ||
    grep -v -E '^\s*$|Command exited' "$w/stderr" | head -1; } |
    sed -e "s|$w/||g" -e "s|$tmp/|TMP/|g" -e "s|$repo/||g" -e 's/^virnucpro: error: //' \
      -e 's|could not download classifier-500: classifier-500: download [^ ]*: |download: |' | cut -c1-150
}
crashed() { grep -q -E '^(panic:|fatal error:)' "$w/stderr"; }
outcome() {
  if [ "$rc" = 124 ]; then echo "hung (killed after ${T:-60} s)"
  elif crashed; then echo "crash, exit $rc: $(grep -m1 -E '^(panic:|fatal error:)' "$w/stderr" | cut -c1-80)"
  else
    local msg
    msg=$(first)
    echo "exit $rc${msg:+: $msg}"
  fi
}
predict() {
  run "$bin" predict "${IN:-$input}" --esm "${ESM:-$esm}" --dnabert "${DNB:-$dnb}" --classifier "${CLS:-$cls}" \
    --chunk-size 500 --no-progress -q "$@"
}
download() { # download MODE [flags]: classifier-500 from the hostile server into $w/cache
  local mode=$1
  shift
  rm -f "$tmp/srvlog/$mode"
  HOME=$w/home VIRNUCPRO_CACHE_DIR=$w/cache run "$bin" weights download classifier-500 \
    --base-url-classifier "$url/$mode/" --no-progress -q "$@"
}
requests() { [ -f "$tmp/srvlog/$1" ] && wc -l <"$tmp/srvlog/$1" || echo 0; }
# refused: exit 1, one line (no stack), no crash.
refused() { [ "$rc" = 1 ] && ! crashed; }
keep_flag() { if "$bin" predict --help | grep -q -- --keep-checkpoint; then echo --keep-checkpoint; fi; }

# ---- the cases: each prints "ok: ..." or "BAD: ..." ----
# gone: which of the user's files in V the run deleted.
gone() {
  local f lost=
  for f in thesis.tex .bashrc shard-000001.safetensors; do [ -e "V/$f" ] || lost="$lost $f"; done
  if [ -z "$lost" ]; then echo "ok: $(outcome); V intact"; else echo "BAD: deleted in the link's target:$lost ($(outcome))"; fi
}
d1_restart() {
  mkdir V O && touch V/thesis.tex V/.bashrc V/shard-000001.safetensors && ln -s "$w/V" O/.virnucpro
  predict -o O --restart
  gone
}
d1_fresh() {
  mkdir V O && touch V/thesis.tex V/.bashrc V/shard-000001.safetensors && ln -s "$w/V" O/.virnucpro
  predict -o O
  gone
}
d1_plots() {
  mkdir -p O/plots && echo %PDF >O/plots/figure1_final.pdf
  predict -o O --plot-top 5
  if [ -f O/plots/figure1_final.pdf ]; then echo "ok: $(outcome); figure kept"; else echo "BAD: the user's figure deleted, exit $rc"; fi
}
d2_redirect() { # d2_redirect MODE
  download "$1" --retries 2
  local n
  n=$(requests "$1")
  if grep -rqs "PRIVATE KEY" "$w/cache"; then echo "BAD: the local secret cached as 500_model.pth, exit $rc"
  elif [ "$rc" = 0 ]; then echo "BAD: exit 0, cached $(stat -c %s "$w/cache/500_model.pth" 2>/dev/null || echo no) bytes"
  elif [ "$n" -gt 1 ]; then echo "BAD: $n requests (retried); $(outcome)"
  else echo "ok: $n request; $(outcome)"; fi
}
d2_loop() {
  download loop --retries 2
  local n
  n=$(requests loop)
  if grep -qi "loop" "$w/stderr" && ! grep -q "offline" "$w/stderr" && [ "$n" -le 3 ]; then
    echo "ok: $n requests; $(outcome)"
  else echo "BAD: $n requests; $(outcome)"; fi
}
d3_bomb() {
  $py bomb bomb.pth 256
  CLS=$w/bomb.pth predict -o O
  local mb=$(($(tail -1 rss 2>/dev/null || echo 0) / 1024))
  if refused && [ "$mb" -lt 200 ]; then echo "ok: $(outcome); peak RSS $mb MB ($(stat -c %s bomb.pth) B file)"
  else echo "BAD: peak RSS $mb MB for a $(stat -c %s bomb.pth)-byte file; $(outcome)"; fi
}
# malformed: run predict and judge the outcome (refused naming WANT, or crashed/accepted).
malformed() {
  predict -o O "$@"
  if refused && grep -q -- "$want" "$w/stderr"; then echo "ok: $(outcome)"; else echo "BAD: $(outcome)"; fi
}
d3_hugepickle() { $py hugepickle huge.pth && CLS=$w/huge.pth want=huge.pth malformed; }
d4_negsize() { $py tensor neg.pth -4,4 && CLS=$w/neg.pth want=neg.pth malformed; }
dnabert_copy() { cp -r "$dnb" dnb && rm -f dnb/pytorch_model.bin; }
d4_layers() {
  dnabert_copy && sed -i 's/"num_hidden_layers": *[0-9]*/"num_hidden_layers": 40/' dnb/config.json
  DNB=$w/dnb want=num_hidden_layers malformed
}
d4_tokenizer() { # d4_tokenizer PYTHON-EDIT WANT
  dnabert_copy && python3 -c "import json,sys; t=json.load(open('dnb/tokenizer.json')); $1; json.dump(t, open('dnb/tokenizer.json','w'))"
  DNB=$w/dnb want=$2 malformed
}
d4_esm_heads() {
  local h
  h=$(python3 -c "print(b'encoder_attention_heads'.hex())")
  $py replace "$esm" esm.pt "${h}72f10100004b04" "${h}72f10100004affffffff"
  ESM=$w/esm.pt want=encoder_attention_heads malformed
}
d5_global() { # d5_global MODULE NAME
  $py global "$cls" evil.pth "$1" "$2"
  CLS=$w/evil.pth predict -o O
  if refused && grep -q "$1.$2" "$w/stderr"; then echo "ok: $(outcome)"
  elif [ "$rc" = 0 ]; then echo "BAD: loaded, exit 0"; else echo "BAD: $(outcome)"; fi
}
d6_lock() {
  mkdir -p O/.virnucpro && echo precious >victim && ln -s "$w/victim" O/.virnucpro/lock
  predict -o O
  if [ "$(cat victim)" = precious ]; then echo "ok: $(outcome); target intact"; else echo "BAD: the link's target now holds '$(head -c 20 victim)' ($(outcome))"; fi
}
d6_cache() { # d6_cache NAME: a symlink planted at the cache's NAME
  mkdir -p cache && echo precious >victim && ln -s "$w/victim" "cache/$1"
  download other --retries 0
  if [ "$(cat victim)" = precious ]; then echo "ok: $(outcome); target intact"; else echo "BAD: the link's target now holds '$(head -c 24 victim | tr -c '[:print:]' .)' ($(outcome))"; fi
}
# checkpointed: a completed run with its shards kept, in O (its completion record removed
# by tamper, so that the next run reads the shards).
checkpointed() { predict -o O --window 16 --checkpoint-every 16 $(keep_flag) "$@"; }
fresh() { predict -o F --window 16 --checkpoint-every 16 "$@"; }
tamper() { rm -f O/.virnucpro/complete.json O/.virnucpro/manifest.prev.json; }
resumed() { # judges the second run of a tampered checkpoint
  if [ "$rc" = 124 ]; then echo "BAD: hung $1 (killed after 30 s)"
  elif [ "$rc" = 0 ] && cmp -s O/prediction_results.txt F/prediction_results.txt; then
    echo "ok: exit 0, the damaged shard dropped and recomputed (results = a fresh run's)"
  else echo "ok: $(outcome)"; fi
}
d7_devzero() {
  checkpointed
  python3 -c "import json; p='O/.virnucpro/manifest.json'; m=json.load(open(p)); m['shards'][0]['file']='../'*12+'dev/zero'; json.dump(m, open(p,'w'))"
  tamper
  fresh && T=30 checkpointed
  resumed "reading /dev/zero"
}
d7_fifo() {
  checkpointed
  rm O/.virnucpro/shard-000000.safetensors && mkfifo O/.virnucpro/shard-000000.safetensors
  tamper
  fresh && T=30 checkpointed
  resumed "on the FIFO"
}
d8_altered() {
  cp "$input" A.fa && $py alter A.fa A2.fa "$tmp/new" || { echo "skipped: no alteration found"; return; }
  cp A.fa fresh.fa && IN=$w/fresh.fa fresh
  cp A2.fa in.fa && IN=$w/in.fa checkpointed
  cp O/prediction_results.txt altered.txt
  cp A.fa in.fa # restored: the same size and ids
  python3 -c "import json,hashlib; p='O/.virnucpro/manifest.json'; m=json.load(open(p)); m['identity']['inputs'][0]['sha256']=hashlib.sha256(open('in.fa','rb').read()).hexdigest(); json.dump(m, open(p,'w'))"
  tamper
  IN=$w/in.fa checkpointed
  if [ "$rc" = 0 ] && cmp -s O/prediction_results.txt altered.txt && ! cmp -s altered.txt F/prediction_results.txt; then
    echo "BAD: exit 0 with the altered input's scores (differ from a fresh run of the restored input)"
  elif [ "$rc" = 0 ] && cmp -s O/prediction_results.txt F/prediction_results.txt; then echo "ok: recomputed (= a fresh run)"
  else echo "ok: $(outcome)"; fi
}
d9_nan() {
  $py nan "$cls" nan.pth
  CLS=$w/nan.pth predict -o O
  if [ "$rc" = 0 ]; then echo "BAD: exit 0, $(grep -ci nan O/prediction_results.txt) result lines with NaN scores"
  elif refused && grep -q "NaN" "$w/stderr"; then echo "ok: $(outcome)"; else echo "BAD: $(outcome)"; fi
}
d10_huge() {
  T=15 download huge --retries 0
  local part
  part=$(($(stat -c %s "$w/cache/500_model.pth.part" 2>/dev/null || echo 0) / 1048576))
  if [ "$rc" = 124 ] || [ "$part" -gt 0 ]; then echo "BAD: downloading on after 15 s ($part MiB in .part, of 10^13 announced)"
  else echo "ok: $(outcome)"; fi
}
d10_trickle() {
  local extra=()
  "$bin" weights download --help 2>&1 | grep -q -- --idle-timeout && extra=(--idle-timeout 3s)
  T=20 download trickle --retries 0 "${extra[@]}"
  if [ "$rc" = 124 ]; then echo "BAD: no timeout (killed after 20 s)"; else echo "ok: $(outcome) (--idle-timeout 3s; default 2m)"; fi
}
d10_full() {
  if [ "$(id -u)" != 0 ]; then echo "skipped (needs root for a tmpfs)"; return; fi
  mkdir -p cache && mount -t tmpfs -o size=1m tmpfs cache || { echo "skipped (no tmpfs)"; return; }
  T=60 download big --retries 3
  local n=$(requests big) part=no
  [ -e cache/500_model.pth.part ] && part="$(($(stat -c %s cache/500_model.pth.part) / 1024)) KiB"
  umount cache
  if [ "$n" = 1 ] && [ "$part" = no ]; then echo "ok: 1 request, .part removed; $(outcome)"
  else echo "BAD: $n requests, .part left: $part; $(outcome)"; fi
}
d11_html() {
  download html --retries 0
  local got=$rc msg
  msg=$(first)
  # Refused: plant the page as an older version's trust-on-first-use download left it.
  [ -e cache/500_model.pth ] || { mkdir -p cache && cp "$tmp/page.html" cache/500_model.pth; }
  HOME=$w/home VIRNUCPRO_CACHE_DIR=$w/cache run "$bin" weights verify
  if [ "$got" = 0 ] || [ "$rc" = 0 ]; then echo "BAD: download exit $got, then weights verify exit $rc"
  else echo "ok: download exit $got ($msg); the page planted in the cache: verify exit $rc ($(first))"; fi
}
d11_other() {
  download other --retries 0
  if [ "$rc" = 0 ]; then echo "BAD: a file that is not the release cached and recorded, exit 0"; else echo "ok: $(outcome)"; fi
}
d12_init() {
  mkdir v o && $py shard v/a.safetensors viral && $py shard o/b.safetensors other
  run "$bin" train --viral v --other o -o m.safetensors --init "$cls" -q
  if refused; then echo "ok: $(outcome)"; else echo "BAD: $(outcome)"; fi
}

cases=(
  "1|symlinked OUT/.virnucpro, --restart|d1_restart"
  "1|symlinked OUT/.virnucpro, fresh run|d1_fresh"
  "1|user's file in OUT/plots/|d1_plots"
  "2|redirect to file:// (a local secret)|d2_redirect file"
  "2|redirect to file:///dev/zero|d2_redirect zero"
  "2|redirect to ftp://|d2_redirect ftp"
  "2|redirect loop|d2_loop"
  "3|zip bomb (256 MiB record) as classifier|d3_bomb"
  "3|data.pkl announcing a 2^40-byte string|d3_hugepickle"
  "4|tensor size [-4, 4]|d4_negsize"
  "4|DNABERT-S num_hidden_layers 40 (weights: fewer)|d4_layers"
  "4|tokenizer id -3|d4_tokenizer \"t['model']['vocab']['A']=-3\" tokenizer.json"
  "4|tokenizer id 2^31-1|d4_tokenizer \"t['model']['vocab']['A']=2**31-1\" tokenizer.json"
  "4|tokenizer without vocab (added tokens kept)|d4_tokenizer \"t['model'].pop('vocab')\" tokenizer.json"
  "4|tokenizer without vocab or added tokens|d4_tokenizer \"t['model'].pop('vocab');t['added_tokens']=[]\" tokenizer.json"
  "4|ESM-2 encoder_attention_heads -1|d4_esm_heads"
  "5|global __builtin__.getattr|d5_global __builtin__ getattr"
  "5|global __builtin__.__import__|d5_global __builtin__ __import__"
  "5|global commands.Popen|d5_global commands Popen"
  "5|global timeit.timeit|d5_global timeit timeit"
  "5|global functools.partial|d5_global functools partial"
  "5|global _posixsubprocess.fork_exec|d5_global _posixsubprocess fork_exec"
  "6|symlink at OUT/.virnucpro/lock|d6_lock"
  "6|symlink at cache/500_model.pth.part|d6_cache 500_model.pth.part"
  "6|symlink at cache/.lock|d6_cache .lock"
  "7|manifest shard file ../../dev/zero|d7_devzero"
  "7|shard replaced by a FIFO|d7_fifo"
  "8|input altered while checkpointed, restored, resumed|d8_altered"
  "9|NaN weight in the classifier|d9_nan"
  "10|Content-Length 10^13|d10_huge"
  "10|1 byte/s server|d10_trickle"
  "10|full disk (1 MiB tmpfs cache, 4 MiB file)|d10_full"
  "11|HTML page as 500_model.pth|d11_html"
  "11|a file that is not the released classifier|d11_other"
  "12|train --init with a width mismatch|d12_init"
)

echo "| # | case | old ($old_commit) | new ($(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD || echo '+')) |"
echo "|---|---|---|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r n name fn <<<"$c"
  [[ "$n|$name" =~ ${ONLY:-.} ]] || continue
  row="| $n | $name |"
  for b in old new; do
    bin=$tmp/$b
    w=$tmp/case-$RANDOM$RANDOM/$b
    mkdir -p "$w/home"
    res=$(cd "$w" && eval "$fn" 2>&1 | tail -1)
    row="$row ${res//|//} |"
  done
  echo "$row"
done
# Defect 12's dropped errors as staticcheck reports them (SA4006: a value never used).
if command -v staticcheck >/dev/null || [ -x "$(go env GOPATH)/bin/staticcheck" ]; then
  sc=$(command -v staticcheck || echo "$(go env GOPATH)/bin/staticcheck")
  o=$(cd "$tmp/old-tree" && "$sc" -checks SA4006 ./internal/embedfile ./cmd/virnucpro 2>&1 | sed "s|$tmp/old-tree/||" | tr '\n' ';')
  n=$(cd "$repo" && "$sc" -checks SA4006 ./internal/embedfile ./cmd/virnucpro 2>&1 | tr '\n' ';')
  echo "| 12 | staticcheck SA4006 (dropped errors) | BAD: ${o:-none} | ok: ${n:-none} |"
fi
