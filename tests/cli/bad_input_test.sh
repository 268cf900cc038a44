#!/usr/bin/env bash
# Every bad input must give a one-line error naming the file or flag, a non-zero exit,
# and leave nothing half-written. Usage: bad_input_test.sh MBI MNIST_DIR
set -u
mbi=$(realpath "$1")
mnist=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# True when a sanitizer build (scripts/sanitize.sh) reported something in this output.
sanitizer_report() { grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' <<<"$1"; }

# expect_fail NAME PATTERN COMMAND...: command must exit non-zero and print PATTERN.
expect_fail() {
  local name=$1 pattern=$2
  shift 2
  local out
  out=$("$@" 2>&1)
  local rc=$?
  if [ $rc -ne 0 ] && grep -q -- "$pattern" <<<"$out" && ! sanitizer_report "$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name (exit $rc): expected /$pattern/ in:"
    echo "$out" | tail -n 5
  fi
}
expect_ok() {
  local name=$1
  shift
  if "$@" >"$work/out.log" 2>&1 && ! sanitizer_report "$(cat "$work/out.log")"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $name:"; tail -n 5 "$work/out.log"; fi
}

# --- flags
expect_fail unknown-subcommand "subcommand" "$mbi" frobnicate
expect_fail bad-mode "--mode" "$mbi" eval --mode bogus --model x
expect_fail negative-epochs "--epochs" "$mbi" train --epochs -3
expect_fail missing-required "--model" "$mbi" distill --out "$work/t.tbl"
expect_ok help "$mbi" eval --help

# --- data
expect_fail missing-data-dir "$work/nowhere" "$mbi" train --data "$work/nowhere" --out "$work/m.pt"
mkdir -p "$work/bad"
printf '\x00\x00\x08\x03\x00\x00\x00\x0a\x00\x00\x00\x1c\x00\x00\x00\x1c\x01\x02' >"$work/bad/train-images-idx3-ubyte"
cp "$mnist/train-labels-idx1-ubyte.gz" "$work/bad/"
expect_fail truncated-images "train-images-idx3-ubyte" "$mbi" train --data "$work/bad" --out "$work/m.pt"
printf '\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02' >"$work/bad/train-images-idx3-ubyte"
expect_fail wrong-magic "not an IDX image file" "$mbi" train --data "$work/bad" --out "$work/m.pt"
mkdir -p "$work/mismatch"
cp "$mnist/train-images-idx3-ubyte.gz" "$work/mismatch/"
cp "$mnist/t10k-labels-idx1-ubyte.gz" "$work/mismatch/train-labels-idx1-ubyte.gz"
expect_fail label-mismatch "10000 labels for 60000 images" "$mbi" train --data "$work/mismatch" --out "$work/m.pt"
[ ! -e "$work/m.pt" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: m.pt written after errors"; }

# --- a tiny real teacher and table to break
expect_ok tiny-train "$mbi" train --data "$mnist" --limit 300 --epochs 1 --hidden 16 --core-width 32 \
  --out "$work/tiny.pt" --run-dir "$work/run" --threads 1 --no-progress
expect_ok tiny-distill "$mbi" distill --data "$mnist" --limit 300 --model "$work/tiny.pt" --out "$work/tiny.tbl" \
  --threads 1 --no-progress
expect_ok tiny-eval "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" --json --no-progress

expect_fail missing-model "$work/none.pt" "$mbi" eval --mode teacher --model "$work/none.pt" --data "$mnist"
python3 - "$work/tiny.pt" "$work/flipped.pt" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 1; open(sys.argv[2], 'wb').write(b)
PY
expect_fail corrupt-model "checksum" "$mbi" eval --mode teacher --model "$work/flipped.pt" --data "$mnist"
expect_fail speed-mixed-no-table "--mixed-threshold: mixed mode needs --table" "$mbi" experiment speed \
  --model "$work/tiny.pt" --data "$mnist" --limit 300 --mixed-threshold 2 --no-train --out "$work/speed"
expect_ok speed-mixed "$mbi" experiment speed --model "$work/tiny.pt" --table "$work/tiny.tbl" --data "$mnist" \
  --limit 300 --mixed-max-loss 0.5 --budgets 0 --repeats 1 --no-train --out "$work/speed"
head -c 1000 "$work/tiny.tbl" >"$work/short.tbl"
expect_fail truncated-table "$work/short.tbl" "$mbi" eval --mode mbi --table "$work/short.tbl" --data "$mnist"
python3 - "$work/tiny.tbl" "$work/flipped.tbl" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[-100] ^= 4; open(sys.argv[2], 'wb').write(b)
PY
expect_fail corrupt-table "$work/flipped.tbl" "$mbi" eval --mode mbi --table "$work/flipped.tbl" --data "$mnist"
expect_fail model-as-table "$work/tiny.pt" "$mbi" eval --mode mbi --table "$work/tiny.pt" --data "$mnist"

# --- bounded search (--epsilon)
expect_ok eval-epsilon "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" --epsilon 0.1 --json --no-progress
grep -q '"epsilon":0.1' "$work/out.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: eval --epsilon does not report its epsilon"; tail -n 3 "$work/out.log"; }
expect_fail epsilon-with-probes "--epsilon" "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" \
  --epsilon 0.1 --probes 2
expect_fail epsilon-exhaustive "--epsilon" "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" \
  --epsilon 0.1 --search exhaustive
expect_fail epsilon-range "--epsilon" "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" --epsilon 1000
# --- a proximity graph over the table's keys
expect_ok eval-graph "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" --search graph --probes 4 \
  --json --no-progress
grep -q '"graph_link_bytes"' "$work/out.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: eval --search graph did not report its links' bytes"; }
# a graph file: written by the first run, read by the next, refused when corrupt or built otherwise
expect_ok eval-graph-file-write "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" --search graph \
  --graph-file "$work/tiny.graph" --json --no-progress
[ -s "$work/tiny.graph" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: --graph-file was not written"; }
expect_ok eval-graph-file-read "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" --search graph \
  --graph-file "$work/tiny.graph" --json
grep -q "read from" "$work/out.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: --graph-file was not read"; }
expect_fail graph-file-other-m "tiny.graph: graphs built over other keys or settings" "$mbi" eval --mode mbi --data "$mnist" \
  --limit 50 --table "$work/tiny.tbl" --search graph --graph-m 8 --graph-file "$work/tiny.graph"
python3 - "$work/tiny.graph" <<'PYEOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 1
open(p, "wb").write(b)
PYEOF
expect_fail graph-file-corrupt "tiny.graph: corrupt graph file" "$mbi" eval --mode mbi --data "$mnist" --limit 50 \
  --table "$work/tiny.tbl" --search graph --graph-file "$work/tiny.graph"
expect_ok eval-graph-all-rows "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" --search graph \
  --graph-all-rows --graph-m 8 --json --no-progress
expect_fail graph-epsilon "--epsilon" "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" \
  --search graph --epsilon 0.1
expect_fail graph-budget "--max-comparisons" "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" \
  --search graph --max-comparisons 100
expect_fail graph-m "--graph-m" "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" \
  --search graph --graph-m 1
expect_fail graph-tune "--search" "$mbi" tune --data "$mnist" --limit 50 --table "$work/tiny.tbl" --search graph \
  --out "$work/graph-tuned.tbl"
[ ! -e "$work/graph-tuned.tbl" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: tune --search graph wrote a table"; }
expect_ok tree-epsilon "$mbi" experiment tree --table "$work/tiny.tbl" --data "$mnist" --limit 20 --probes 1 \
  --epsilon 0,0.1 --out "$work/fig4c" --json
python3 - "$work/out.log" <<'PY' && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: experiment tree --epsilon"; }
import json, sys
rows = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["by_probes"]
assert [r["epsilon"] for r in rows] == [None, 0.0, 0.1], rows
assert rows[1]["recall_of_searched_rows_best"] == 1.0 and rows[2]["share_within_10_percent_of_searched_rows_best"] == 1.0
PY

# --- a forest: index builds it, eval searches it, tune keeps it
expect_ok index-forest "$mbi" index --table "$work/tiny.tbl" --out "$work/forest.tbl" --trees 3
expect_ok tune-forest "$mbi" tune --data "$mnist" --limit 300 --table "$work/forest.tbl" --budget 2 --threads 1 --no-progress
"$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/forest.tbl" --json --no-progress >"$work/forest.json" 2>&1
grep -q '"trees":3' "$work/forest.json" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: tuned forest does not have 3 trees:"; tail -n 3 "$work/forest.json"; }
expect_fail hw-forest "forest of 3 trees" "$mbi" hw accuracy --table "$work/forest.tbl" --data "$mnist" --limit 20 \
  --config "$(dirname "$0")/../../configs/hw/sram16nm.json" --out "$work/hw"
# --- MBI keys in PCM and weights tuned under read noise (issue 17)
expect_ok hw-noise-pcm "$mbi" hw noise --table "$work/tiny.tbl" --data "$mnist" --limit 20 --sigmas 0 --no-emerging \
  --mitigation none --pcm-seconds 1,86400 --threads 1 --out "$work/pcm-keys"
# A one-point curve makes gnuplot warn; --json output on stdout must stay one JSON object.
"$mbi" hw noise --table "$work/tiny.tbl" --data "$mnist" --limit 20 --sigmas 0 --no-emerging --mitigation none \
  --threads 1 --json --out "$work/one-point" 2>/dev/null | python3 -c 'import json, sys; json.load(sys.stdin)' &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: hw noise --json stdout is not one JSON object"; }
grep -q '^86400,' "$work/pcm-keys/noise_pcm.csv" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: noise_pcm.csv has no one-day row"; }
for bad in -1 nan 1e11; do
  expect_fail "pcm-seconds-$bad" "--pcm-seconds" "$mbi" hw noise --table "$work/tiny.tbl" --data "$mnist" --limit 5 \
    --pcm-seconds "$bad" --out "$work/never"
done
expect_fail pcm-config-missing "$work/none.json" "$mbi" hw noise --table "$work/tiny.tbl" --data "$mnist" --limit 5 \
  --sigmas 0 --no-emerging --pcm-seconds 1 --pcm-config "$work/none.json" --out "$work/never"
expect_ok tune-under-noise "$mbi" tune --data "$mnist" --limit 300 --table "$work/tiny.tbl" --out "$work/noisy.tbl" \
  --noise-sigma 2 --probes 2 --budget 2 --threads 1 --no-progress
expect_fail noise-sigma-budget "--probes" "$mbi" tune --data "$mnist" --limit 300 --table "$work/tiny.tbl" \
  --out "$work/never.tbl" --noise-sigma 2 --budget 2 --no-progress
expect_fail noise-sigma-negative "--noise-sigma" "$mbi" tune --table "$work/tiny.tbl" --data "$mnist" --noise-sigma -1
expect_fail noise-descent-alone "--noise-sigma" "$mbi" tune --table "$work/tiny.tbl" --data "$mnist" \
  --noise-descent digital --out "$work/never.tbl"
expect_fail dagger-noise-no-sigma "--dagger-noise-sigma" "$mbi" distill --data "$mnist" --limit 50 --model "$work/tiny.pt" \
  --out "$work/never.tbl" --dagger-noise-rounds 1
expect_fail dagger-sigma-no-rounds "--dagger-noise-rounds" "$mbi" distill --data "$mnist" --limit 50 --model "$work/tiny.pt" \
  --out "$work/never.tbl" --dagger-noise-sigma 3
expect_fail dagger-noise-config-missing "$work/none.json" "$mbi" distill --data "$mnist" --limit 50 --model "$work/tiny.pt" \
  --out "$work/never.tbl" --dagger-noise-rounds 1 --dagger-noise-sigma 3 --hw-config "$work/none.json"
expect_fail vote-zero "--vote" "$mbi" hw noise --table "$work/tiny.tbl" --data "$mnist" --limit 5 --vote 0 --out "$work/never"
expect_fail noise-descent-bogus "--noise-descent" "$mbi" tune --table "$work/tiny.tbl" --data "$mnist" \
  --noise-sigma 1 --noise-descent bogus
[ ! -e "$work/never" ] && # --- generated networks (mbi mlg)
expect_ok mlg-teacher "$mbi" mlg train --data "$mnist" --limit 300 --epochs 1 --width 2 --method full \
  --out "$work/t.gnet" --threads 1 --no-progress
expect_ok mlg-student "$mbi" mlg train --data "$mnist" --limit 300 --epochs 1 --width 2 --method mlg --bo 2 \
  --teacher "$work/t.gnet" --projection-steps 5 --out "$work/g.gnet" --threads 1 --no-progress
expect_ok mlg-eval "$mbi" mlg eval --net "$work/g.gnet" --data "$mnist" --limit 50 --json
expect_ok mlg-report "$mbi" mlg report --records "$work/t.gnet.json" "$work/g.gnet.json" --out "$work/mlg-report" --json
expect_fail mlg-method "--method" "$mbi" mlg train --data "$mnist" --method pruned --out "$work/x.gnet"
expect_fail mlg-levels "--levels" "$mbi" mlg train --data "$mnist" --levels 3 --out "$work/x.gnet"
expect_fail mlg-bits "--qu" "$mbi" mlg train --data "$mnist" --qu 0 --out "$work/x.gnet"
expect_fail mlg-bits-between "bits must be 1..8 or 32" "$mbi" mlg train --data "$mnist" --limit 50 --qb 12 --out "$work/x.gnet"
expect_fail mlg-ratio-unreachable "the smallest memory ratio this method reaches" "$mbi" mlg train --data "$mnist" \
  --limit 50 --method quant --memory-ratio 0.02 --out "$work/x.gnet"
expect_fail mlg-teacher-other-arch "not the resnet20" "$mbi" mlg train --data "$mnist" --limit 50 --arch resnet20 \
  --teacher "$work/t.gnet" --out "$work/x.gnet"
expect_fail mlg-teacher-generated "only float networks stored whole" "$mbi" mlg train --data "$mnist" --limit 50 --width 2 \
  --teacher "$work/g.gnet" --out "$work/x.gnet" --no-progress
expect_fail mlg-out-is-teacher "--out" "$mbi" mlg train --data "$mnist" --limit 50 --width 2 --teacher "$work/t.gnet" \
  --out "$work/t.gnet"
cp "$work/g.gnet" "$work/flipped.gnet"
printf '\x5a' | dd of="$work/flipped.gnet" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_fail mlg-eval-corrupt "flipped.gnet" "$mbi" mlg eval --net "$work/flipped.gnet" --data "$mnist" --limit 10
expect_fail mlg-eval-table "tiny.tbl" "$mbi" mlg eval --net "$work/tiny.tbl" --data "$mnist" --limit 10
printf '{"a": 1}' >"$work/not-a-mlg-record.json"
expect_fail mlg-report-not-a-record "not a record of mbi mlg train" "$mbi" mlg report --records "$work/not-a-mlg-record.json" \
  --out "$work/mlg-bad-report"
# A checkpoint of another configuration is refused, not resumed.
expect_ok mlg-stop-after "$mbi" mlg train --data "$mnist" --limit 300 --epochs 2 --stop-after 1 --width 2 --method full \
  --out "$work/s.gnet" --threads 1 --no-progress
[ -e "$work/s.gnet.ckpt" ] && [ ! -e "$work/s.gnet" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: --stop-after left no checkpoint, or wrote the network"; }
expect_fail mlg-resume-other-config "another configuration" "$mbi" mlg train --data "$mnist" --limit 300 --epochs 2 --width 2 \
  --method full --lr 0.01 --resume --out "$work/s.gnet" --threads 1 --no-progress
expect_ok mlg-resume "$mbi" mlg train --data "$mnist" --limit 300 --epochs 2 --width 2 --method full --resume \
  --out "$work/s.gnet" --threads 1 --no-progress
[ -e "$work/s.gnet" ] && [ ! -e "$work/s.gnet.ckpt" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the resumed run did not finish"; }
expect_ok mlg-ram "$mbi" mlg ram --model "$work/tiny.pt" --bo 4 --projection-steps 5 --data "$mnist" --limit 50 \
  --out "$work/tiny-gen.pt" --threads 1
expect_ok mlg-ram-teacher-evaluates "$mbi" eval --mode teacher --model "$work/tiny-gen.pt" --data "$mnist" --limit 50 --json
expect_fail mlg-ram-out-is-model "--out" "$mbi" mlg ram --model "$work/tiny.pt" --out "$work/tiny.pt" --limit 50
expect_fail mlg-ram-not-a-model "tiny.tbl" "$mbi" mlg ram --model "$work/tiny.tbl" --out "$work/x.pt" --limit 50
[ ! -e "$work/x.gnet" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: x.gnet written after errors"; }

# --- distributed training: settings checked before any data loads, nothing written
expect_fail dist-rank-past-world "--rank 2: the rank must be 0 to 1" env -u RANK -u WORLD_SIZE -u MASTER_ADDR \
  "$mbi" train --data "$mnist" --rank 2 --world-size 2 --master-addr 127.0.0.1 --out "$work/dist.pt" \
  --run-dir "$work/dist-run"
expect_fail dist-no-master "--master-addr (or MASTER_ADDR): required" env -u MASTER_ADDR \
  "$mbi" train --data "$mnist" --rank 1 --world-size 2 --out "$work/dist.pt" --run-dir "$work/dist-run"
expect_fail dist-env-rank "RANK=x: expected a whole number" env RANK=x WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 \
  "$mbi" train --data "$mnist" --out "$work/dist.pt" --run-dir "$work/dist-run"
expect_fail dist-world-zero "--world-size" "$mbi" train --data "$mnist" --world-size 0 --out "$work/dist.pt"
expect_fail dist-port-range "--master-port" "$mbi" train --data "$mnist" --master-port 70000 --out "$work/dist.pt"
dist_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
  echo 29577)
expect_fail dist-unreachable "cannot reach the master at 127.0.0.1:$dist_port" env -u RANK -u WORLD_SIZE \
  "$mbi" train --data "$mnist" --rank 1 --world-size 2 --master-addr 127.0.0.1 --master-port "$dist_port" \
  --dist-timeout 1 --out "$work/dist.pt" --run-dir "$work/dist-run"
[ ! -e "$work/dist.pt" ] && [ ! -e "$work/dist-run" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a refused distributed run wrote files"; }

# --- the mixed threshold chosen on validation, and the 1-NN baseline (issue 20)
expect_fail threshold-and-max-loss "max-loss" "$mbi" eval --mode mixed --table "$work/tiny.tbl" --model "$work/tiny.pt" \
  --data "$mnist" --threshold 5 --max-loss 0.5
expect_fail max-loss-range "--max-loss" "$mbi" eval --mode mixed --table "$work/tiny.tbl" --model "$work/tiny.pt" \
  --data "$mnist" --max-loss -1
expect_fail holdout-range "--holdout" "$mbi" tune --table "$work/tiny.tbl" --data "$mnist" --holdout 0.95
expect_fail holdout-too-few "--holdout" "$mbi" tune --table "$work/tiny.tbl" --data "$mnist" --limit 1 --holdout 0.5 \
  --out "$work/never.tbl"
expect_fail baseline-size-0 "--sizes" "$mbi" baseline --data "$mnist" --sizes 0 --out "$work/never-baseline"
expect_fail baseline-reference "--reference" "$mbi" baseline --data "$mnist" --reference test --out "$work/never-baseline"
expect_fail baseline-not-a-record "not an \`mbi eval --mode mbi --json\` record" "$mbi" baseline --data "$mnist" \
  --lookups "$work/tiny.pt.json" --out "$work/never-baseline"
expect_fail baseline-labels "--labels: 2 labels for 1" "$mbi" baseline --data "$mnist" --lookups "$work/tiny.pt.json" \
  --labels a,b --out "$work/never-baseline"
[ ! -e "$work/never-baseline" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: never-baseline written"; }

[ ! -e "$work/never.tbl" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a refused hw noise or tune left output behind"; }
expect_ok forest-curve "$mbi" experiment forest --table "$work/tiny.tbl" --data "$mnist" --limit 50 --trees 1,2 \
  --budgets 0,50 --out "$work/forest-curve"
[ -s "$work/forest-curve/forest.csv" ] && [ "$(wc -l <"$work/forest-curve/forest.csv")" -eq 5 ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: forest.csv should hold 4 rows"; }
expect_fail global-trees-of-all "--global-trees" "$mbi" index --table "$work/tiny.tbl" --out "$work/never.tbl" \
  --trees 2 --global-trees 2
expect_fail too-many-trees "--trees" "$mbi" index --table "$work/tiny.tbl" --out "$work/never.tbl" --trees 9
expect_fail index-corrupt-table "$work/flipped.tbl" "$mbi" index --table "$work/flipped.tbl" --out "$work/never.tbl"
# --- mbi prune: rows kept by use; never counted on test, nothing written when refused
expect_ok prune "$mbi" prune --table "$work/tiny.tbl" --data "$mnist" --limit 200 --out "$work/pruned.tbl" --json
expect_ok eval-pruned "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/pruned.tbl" --json --no-progress
expect_fail prune-on-test "--split" "$mbi" prune --table "$work/tiny.tbl" --data "$mnist" --split test --out "$work/never.tbl"
expect_fail prune-min-hits "--min-hits" "$mbi" prune --table "$work/tiny.tbl" --data "$mnist" --min-hits 0 --out "$work/never.tbl"
expect_fail prune-too-many-hits "--min-hits 1000000: no row" "$mbi" prune --table "$work/tiny.tbl" --data "$mnist" --limit 20 \
  --min-hits 1000000 --out "$work/never.tbl"
expect_fail prune-corrupt-table "$work/flipped.tbl" "$mbi" prune --table "$work/flipped.tbl" --data "$mnist" --out "$work/never.tbl"
expect_ok float-train "$mbi" train --data "$mnist" --limit 100 --epochs 1 --hidden 16 --core-width 32 \
  --glimpse-bits 0 --hidden-bits 0 --out "$work/float.pt" --run-dir "$work/run-float" --threads 1 --no-progress
expect_fail float-teacher-distill "float.pt: a float teacher" "$mbi" distill --data "$mnist" --limit 100 --model "$work/float.pt" \
  --out "$work/never.tbl" --threads 1 --no-progress
# another teacher: same architecture, different seed
expect_ok other-train "$mbi" train --data "$mnist" --limit 300 --epochs 1 --hidden 16 --core-width 32 --seed 7 \
  --out "$work/other.pt" --run-dir "$work/run-other" --threads 1 --no-progress
expect_fail another-teacher "built for another teacher" "$mbi" eval --mode mixed --threshold 5 --table "$work/tiny.tbl" \
  --model "$work/other.pt" --data "$mnist" --limit 20
expect_fail resume-other-config "another model configuration" "$mbi" train --data "$mnist" --limit 300 --epochs 2 \
  --hidden 24 --out "$work/tiny2.pt" --run-dir "$work/run" --threads 1 --no-progress
# --- the evaluation report and its energy tables
expect_ok eval-report "$mbi" eval --mode mbi --data "$mnist" --limit 50 --table "$work/tiny.tbl" --json --no-progress
python3 - "$work/out.log" <<'PY' && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: eval report"; }
import json, sys
out = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
r = out["report"]
assert r["system"] == "mbi" and r["images"] == 50 and abs(r["accuracy"] - out["accuracy"]) < 1e-9, r
assert r["events"]["lookup.key_comparison"] == round(out["comparisons_per_image"] * 50), r
assert r["events"]["sram.array_match"] > r["events"]["lookup.key_comparison"], r  # arrays per key > 1
assert r["energy"]["unpriced"] == ["lookup.key_comparison"] and r["energy"]["nanojoules_per_image"] > 0, r
assert r["footprint"]["total_bytes"] == out["resident_bytes"], r
PY
expect_fail eval-missing-hw-config "$work/none.json" "$mbi" eval --mode mbi --data "$mnist" --limit 5 --table "$work/tiny.tbl" \
  --hw-config "$work/none.json"
printf '{"events": {"digital.mac": {"pj": -1, "source": "x"}}}' >"$work/bad-energy.json"
expect_fail eval-bad-energy-config "bad-energy.json" "$mbi" eval --mode teacher --model "$work/tiny.pt" --data "$mnist" \
  --limit 5 --energy-config "$work/bad-energy.json"
expect_fail hw-missing-config "$work/none.json" "$mbi" hw energy --config "$work/none.json" --out "$work/hw"
# The paper's figure as one ledger event times its price (2,800 array matches x 4.70 pJ), found
# from outside the repository too (the shipped config beside the binary).
(cd "$work" && "$mbi" hw energy --out "$work/hw-elsewhere" --json >"$work/hw-elsewhere.json" 2>&1) &&
  python3 -c "
import json, sys
i = json.loads(open('$work/hw-elsewhere.json').read().strip().splitlines()[-1])['inference']
assert abs(i['energy_nj'] - 13.16) < 1e-6 and i['events_per_image']['sram.array_match'] == 2800, i
" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: hw energy away from the repository root:"; tail -n 3 "$work/hw-elsewhere.json"; }

# --- hostile input: outputs that are inputs, NaN, wrapped counts, forged files
sum_before=$(md5sum "$work/tiny.pt" | cut -d' ' -f1)
expect_fail distill-out-is-model "--out" "$mbi" distill --data "$mnist" --limit 50 --model "$work/tiny.pt" \
  --out "$work/tiny.pt" --no-progress
expect_fail distill-out-is-model-relative "--out" bash -c "cd '$work' && '$mbi' distill --data '$mnist' --limit 50 \
  --model tiny.pt --out ./../$(basename "$work")/tiny.pt --no-progress"
expect_fail train-out-is-init "--out" "$mbi" train --data "$mnist" --limit 50 --epochs 1 --hidden 16 --core-width 32 \
  --init "$work/tiny.pt" --out "$work/tiny.pt" --run-dir "$work/run-x" --no-progress
[ "$(md5sum "$work/tiny.pt" | cut -d' ' -f1)" = "$sum_before" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the teacher was overwritten"; }
# An output that cannot be written is refused before the training, not after it.
expect_fail ap-train-out-under-a-file "tiny.pt is a file" "$mbi" ap train --data "$mnist" --limit 50 --epochs 1 \
  --out "$work/tiny.pt/net.tnet" --no-progress
expect_fail ap-train-out-is-a-folder "is a folder" "$mbi" ap train --data "$mnist" --limit 50 --epochs 1 \
  --out "$work" --no-progress
expect_fail ap-train-bits "--activation-bits" "$mbi" ap train --data "$mnist" --activation-bits 9 --out "$work/n.tnet"
expect_fail ap-train-arch "--arch" "$mbi" ap train --data "$mnist" --arch resnet --out "$work/n.tnet"
printf '{"a": 1}' >"$work/not-a-record.json"
expect_fail ap-report-not-a-record "not-a-record.json: not a record of mbi ap train" "$mbi" ap report \
  --records "$work/not-a-record.json" --out "$work/report"
expect_fail ap-run-missing-net "--net" "$mbi" ap run --net "$work/missing.tnet" --data "$mnist" --out "$work/run"
expect_fail ap-compile-ports "--ports" "$mbi" ap compile --net "$work/not-a-record.json" --domains 64 --ports 3 --out "$work/c"
expect_fail ap-run-adc-bits "--adc-bits" "$mbi" ap run --net "$work/not-a-record.json" --data "$mnist" --adc-bits 0 \
  --out "$work/run"
expect_fail ap-run-odd-columns "--crossbar-columns" "$mbi" ap run --net "$work/not-a-record.json" --data "$mnist" \
  --crossbar-columns 127 --out "$work/run"
expect_fail ap-crossbar-odd-columns "--columns" "$mbi" ap crossbar --net "$work/not-a-record.json" --data "$mnist" \
  --columns 9 --out "$work/xbar"
expect_fail ap-crossbar-dac-bits "--dac-bits" "$mbi" ap crossbar --net "$work/not-a-record.json" --data "$mnist" \
  --dac-bits 9 --out "$work/xbar"
printf '{"events": {"xbar.array_read": {"pj": -3, "source": "x"}}}' >"$work/bad-energy.json"
expect_fail ap-crossbar-bad-energy "bad-energy.json" "$mbi" ap crossbar --net "$work/not-a-record.json" \
  --data "$mnist" --energy "$work/bad-energy.json" --out "$work/xbar"
expect_fail ap-train-from-float-and-float "--from-float" "$mbi" ap train --data "$mnist" --float --from-float 2 \
  --out "$work/n.tnet"
expect_fail ap-train-distill-alpha "--distill-alpha" "$mbi" ap train --data "$mnist" --from-float 2 --distill-alpha 1.5 \
  --out "$work/n.tnet"
expect_fail noise-pcm-level "--levels" "$mbi" noise pcm --levels 30 --out "$work/pcm"
expect_fail noise-pcm-bad-config "bad-energy.json" "$mbi" noise pcm --config "$work/bad-energy.json" --out "$work/pcm"
expect_fail noise-pcm-cells "--cells" "$mbi" noise pcm --cells 0 --out "$work/pcm"
[ ! -e "$work/pcm" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a refused noise pcm wrote $work/pcm"; }
expect_fail noise-crossbar-devices "--devices" "$mbi" noise crossbar --net "$work/not-a-record.json" --data "$mnist" \
  --devices 0 --out "$work/nx"
expect_fail noise-crossbar-columns "--columns" "$mbi" noise crossbar --net "$work/not-a-record.json" --data "$mnist" \
  --columns 5 --out "$work/nx"
expect_fail noise-crossbar-seconds "--seconds" "$mbi" noise crossbar --net "$work/not-a-record.json" --data "$mnist" \
  --seconds -5 --out "$work/nx"
expect_fail noise-crossbar-not-a-net "not-a-record.json" "$mbi" noise crossbar --net "$work/not-a-record.json" \
  --data "$mnist" --out "$work/nx"
expect_fail ap-train-noise-ternary "--train-noise" "$mbi" ap train --data "$mnist" --train-noise pcm --out "$work/n.tnet"
expect_fail ap-train-energy-reg-ternary "--energy-reg" "$mbi" ap train --data "$mnist" --energy-reg 0.1 --out "$work/n.tnet"
expect_fail ap-train-energy-reg-negative "--energy-reg" "$mbi" ap train --data "$mnist" --float --energy-reg -1 \
  --out "$work/n.fnet"
expect_fail ap-train-slices-without-pcm "--train-slices" "$mbi" ap train --data "$mnist" --float --train-slices 4 \
  --out "$work/n.fnet"
expect_fail ap-train-slices-9 "--train-slices" "$mbi" ap train --data "$mnist" --float --train-noise pcm --train-slices 9 \
  --out "$work/n.fnet"
expect_fail ap-train-noise-sigma-nan "--train-noise-sigma" "$mbi" ap train --data "$mnist" --float --train-noise gaussian \
  --train-noise-sigma nan --out "$work/n.fnet"
[ ! -e "$work/n.fnet" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a refused ap train wrote n.fnet"; }
printf 'MBIFNET1 not a network' >"$work/bad.fnet"
expect_fail noise-analog-corrupt-net "bad.fnet" "$mbi" noise analog --net "$work/bad.fnet" --data "$mnist" --limit 5 \
  --out "$work/na"
expect_fail noise-analog-slices "--slices" "$mbi" noise analog --net "$work/bad.fnet" --data "$mnist" --slices 17 --out "$work/na"
expect_fail noise-analog-devices-per-weight "--devices-per-weight" "$mbi" noise analog --net "$work/bad.fnet" \
  --data "$mnist" --devices-per-weight 0 --out "$work/na"
expect_fail noise-analog-labels "--label" "$mbi" noise analog --net "$work/bad.fnet" --data "$mnist" --label a,b \
  --out "$work/na"
expect_fail noise-analog-rows "--rows" "$mbi" noise analog --net "$work/bad.fnet" --data "$mnist" --rows 8 --slices 4 \
  --devices-per-weight 4 --out "$work/na"
expect_fail noise-analog-seconds "--seconds" "$mbi" noise analog --net "$work/bad.fnet" --data "$mnist" --seconds 1,-5 \
  --out "$work/na"
[ ! -e "$work/na" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a refused noise analog wrote $work/na"; }
printf 'MBIGNET1 not a network' >"$work/bad.gnet"
expect_fail noise-analog-corrupt-gnet "bad.gnet" "$mbi" noise analog --net "$work/bad.gnet" --data "$mnist" --limit 5 \
  --out "$work/na"
expect_fail ap-train-noise-scale-without-pcm "--train-noise-scale" "$mbi" ap train --data "$mnist" --float \
  --train-noise-scale 2 --out "$work/n.fnet"
expect_fail ap-train-noise-scale-negative "--train-noise-scale" "$mbi" ap train --data "$mnist" --float --train-noise pcm \
  --train-noise-scale -1 --out "$work/n.fnet"
expect_fail noise-teacher-not-a-model "not-a-record.json" "$mbi" noise teacher --model "$work/not-a-record.json" \
  --data "$mnist" --limit 5 --out "$work/nt"
expect_fail noise-teacher-slices "--slices" "$mbi" noise teacher --model "$work/tiny.pt" --data "$mnist" --slices 17 \
  --out "$work/nt"
expect_fail noise-teacher-seconds "--seconds" "$mbi" noise teacher --model "$work/tiny.pt" --data "$mnist" --seconds nan \
  --out "$work/nt"
expect_fail noise-teacher-devices "--devices" "$mbi" noise teacher --model "$work/tiny.pt" --data "$mnist" --devices 0 \
  --out "$work/nt"
[ ! -e "$work/nt" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a refused noise teacher wrote $work/nt"; }
expect_ok noise-teacher "$mbi" noise teacher --model "$work/tiny.pt" --data "$mnist" --limit 20 --devices 2 \
  --slices 0,2 --out "$work/nt-ok" --no-progress --json
expect_ok noise-analog-generated "$mbi" noise analog --net "$work/g.gnet" --data "$mnist" --limit 20 --devices 1 \
  --out "$work/na-gen" --no-progress --json
for bad in nan inf -inf 1e400 '' 0.95 abc; do
  expect_fail "val-fraction-$bad" "--val-fraction" "$mbi" tune --table "$work/tiny.tbl" --data "$mnist" --val-fraction "$bad"
done
expect_fail epsilon-nan "--epsilon" "$mbi" eval --mode mbi --table "$work/tiny.tbl" --data "$mnist" --epsilon nan
expect_fail threshold-nan "--threshold" "$mbi" eval --mode mixed --table "$work/tiny.tbl" --model "$work/tiny.pt" \
  --data "$mnist" --threshold nan
expect_fail threshold-negative "--threshold" "$mbi" eval --mode mixed --table "$work/tiny.tbl" --model "$work/tiny.pt" \
  --data "$mnist" --threshold -1
# Without --threshold, mixed mode chooses it on the validation split (issue 20) and says so.
expect_ok threshold-chosen "$mbi" eval --mode mixed --table "$work/tiny.tbl" --model "$work/tiny.pt" \
  --data "$mnist" --limit 5 --json --no-progress
grep -q '"threshold_chosen_on":{[^}]*"split":"val"' "$work/out.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: mixed mode without --threshold does not say where it chose it"; tail -n 3 "$work/out.log"; }
for flag in --policy-std --lr --reinforce-weight --lr-factor --start-x; do
  for bad in nan inf; do
    expect_fail "train$flag-$bad" "$flag" "$mbi" train --data "$mnist" --out "$work/never.pt" "$flag" "$bad"
  done
done
for bad in -1 '' 18446744073709551616 99999999999999999999 1.5 0x10 ' 3'; do
  expect_fail "limit-[$bad]" "--limit" "$mbi" eval --mode mbi --table "$work/tiny.tbl" --data "$mnist" --limit "$bad"
  expect_fail "split-seed-[$bad]" "--split-seed" "$mbi" eval --mode mbi --table "$work/tiny.tbl" --data "$mnist" \
    --split-seed "$bad"
  expect_fail "seed-[$bad]" "--seed" "$mbi" distill --data "$mnist" --model "$work/tiny.pt" --out "$work/never.tbl" \
    --seed "$bad"
done
expect_fail max-rows-negative "--max-rows" "$mbi" distill --data "$mnist" --model "$work/tiny.pt" --out "$work/never.tbl" \
  --max-rows -1
expect_fail weights-negative "--weights" "$mbi" distill --data "$mnist" --model "$work/tiny.pt" --out "$work/never.tbl" \
  --weights -1,1,1
expect_fail out-empty "--out" "$mbi" distill --data "$mnist" --model "$work/tiny.pt" --out ''
expect_fail trials-negative "--trials" timeout 20 "$mbi" hw variability --trials -1 --out "$work/hw"
for bad in -1 0 99999999999; do
  expect_fail "pool-$bad" "--pool" timeout 20 "$mbi" hw array --pool "$bad" --out "$work/hw"
done
expect_fail queries-negative "--queries" timeout 20 "$mbi" hw array --queries -1 --out "$work/hw"
for bad in 0 nan -2; do expect_fail "key-splits-$bad" "--key-splits" "$mbi" hw energy --key-splits "$bad" --out "$work/hw"; done
for bad in -1 nan; do
  expect_fail "comparisons-$bad" "--comparisons-per-image" "$mbi" hw energy --comparisons-per-image "$bad" --out "$work/hw"
done
expect_fail accuracy-200 "--accuracy" "$mbi" hw energy --accuracy 200 --out "$work/hw"
for bad in nan -1; do
  expect_fail "links-read-$bad" "--links-read-per-image" "$mbi" hw energy --links-read-per-image "$bad" --out "$work/hw"
done
for bad in nan -5; do expect_fail "sigma-mv-$bad" "--sigma-mv" "$mbi" hw variability --sigma-mv "$bad" --out "$work/hw"; done
# A number past a double in a JSON config (found by the config fuzz target): nlohmann throws
# out_of_range, not parse_error; the loader must still name the file.
printf '{"adc_bits": 2222222E2222222}' >"$work/overflow.json"
expect_fail json-number-overflow "overflow.json: invalid JSON" "$mbi" hw energy --config "$work/overflow.json" --out "$work/hw"
expect_fail no-tree-and-global "--no-tree" "$mbi" index --table "$work/tiny.tbl" --out "$work/never.tbl" --global-tree --no-tree
# Labels the table's teacher does not know (a 10-class table, labels up to 255).
mkdir -p "$work/labels255"
cp "$mnist/t10k-images-idx3-ubyte.gz" "$work/labels255/"
python3 - "$mnist/t10k-labels-idx1-ubyte.gz" "$work/labels255/t10k-labels-idx1-ubyte.gz" <<'PY'
import gzip, sys
b = bytearray(gzip.open(sys.argv[1]).read()); b[8] = 255; gzip.open(sys.argv[2], 'wb').write(bytes(b))
PY
expect_fail labels-255 "labels go up to 255" "$mbi" eval --mode mbi --table "$work/tiny.tbl" --data "$work/labels255"
# A gzip file cut inside its trailer, and a 38-byte gzip file declaring 2^22 images.
mkdir -p "$work/cut" "$work/bomb"
python3 - "$mnist" "$work/cut" "$work/bomb" <<'PY'
import gzip, shutil, struct, sys
src, cut, bomb = sys.argv[1:4]
data = open(src + "/t10k-labels-idx1-ubyte.gz", "rb").read()
open(cut + "/t10k-labels-idx1-ubyte.gz", "wb").write(data[:-3])
shutil.copy(src + "/t10k-images-idx3-ubyte.gz", cut)
header = struct.pack(">IIII", 0x803, 1 << 22, 28, 28)
open(bomb + "/t10k-images-idx3-ubyte.gz", "wb").write(gzip.compress(header))
shutil.copy(src + "/t10k-labels-idx1-ubyte.gz", bomb)
PY
expect_fail gzip-trailer-cut "t10k-labels-idx1-ubyte.gz: corrupt or truncated gzip" "$mbi" eval --mode mbi \
  --table "$work/tiny.tbl" --data "$work/cut"
expect_fail gzip-bomb "t10k-images-idx3-ubyte.gz: truncated" "$mbi" eval --mode mbi --table "$work/tiny.tbl" --data "$work/bomb"
# Fig. 3 sweeps (issue 22): bad panels, series and workers are refused before anything is written.
expect_fail fig3-panel "--panels: no panel 'd'" "$mbi" experiment fig3 --data "$mnist" --panels ad --out "$work/fig3"
expect_fail fig3-series "--series: no series 'width'" "$mbi" experiment fig3 --data "$mnist" --series width --out "$work/fig3"
expect_fail fig3-series-panel "--series: no series 'hidden'" "$mbi" experiment fig3 --data "$mnist" --panels a \
  --series hidden --out "$work/fig3"
expect_fail fig3-workers "--workers" "$mbi" experiment fig3 --data "$mnist" --workers 0 --out "$work/fig3"
expect_fail fig3-mpi-workers "--workers: an MPI job" env OMPI_COMM_WORLD_SIZE=1 "$mbi" experiment fig3 --data "$mnist" \
  --workers 2 --out "$work/fig3"
expect_fail fig3-no-data "fig3-nodata" "$mbi" experiment fig3 --data "$work/fig3-nodata" --out "$work/fig3"
[ ! -e "$work/fig3" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: fig3 wrote after a refusal"; }
# A write killed mid-way left its temporary file: the next write of that file removes it.
printf 'half' >"$work/resumed.tbl.tmp.999999999"
expect_ok index-after-kill "$mbi" index --table "$work/tiny.tbl" --out "$work/resumed.tbl"
[ ! -e "$work/resumed.tbl.tmp.999999999" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a dead writer's temporary file stayed"; }
rm -f "$work/resumed.tbl"

[ ! -e "$work/never.tbl" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: never.tbl written"; }
ls "$work" | grep -q '\.tmp\.' && { failed=$((failed + 1)); echo "FAIL: temp files left behind"; } || passed=$((passed + 1))

echo "bad-input checks: $passed passed, $failed failed"
[ $failed -eq 0 ]
