#!/usr/bin/env bash
# The main job, end to end, on the default data (../shared/data/mnist) and settings:
#   1. install dependencies and build
#   2. evaluate the shipped teachers
#   3. distill the quantised teacher into a lookup table (with DAgger rounds)
#   4. tune the distance weights with Bayesian optimisation on the validation split
#   5. evaluate lookup-only and mixed inference on the test split
#   6. estimate the in-memory hardware energy for that table
#   7. build the same table with a tree for CPU speed (wide nodes, leaves of 256 keys),
#      tune one weight per glimpse scale (BO, 30 evaluations) and evaluate it
#   8. the 1-NN baseline (raw and 2-bit pixels, several reference sizes) beside the tables
# Results land in results/pipeline/ (JSON per step), results/pipeline/fashion-mnist/ for another set.
#
# Usage: scripts/pipeline.sh [DATA_SET]   DATA_SET: mnist (default) or fashion-mnist, read from
# ../shared/data/<name> with the teachers models/<short>-ram-quant.pt (short: mnist, fashion).
set -euo pipefail
cd "$(dirname "$0")/.."
SET=${1:-mnist}
case "$SET" in
  mnist) SHORT=mnist; OUT=results/pipeline ;;
  fashion-mnist | fashion) SET=fashion-mnist; SHORT=fashion; OUT=results/pipeline/fashion-mnist ;;
  *) echo "pipeline.sh: unknown data set '$SET' (mnist or fashion-mnist)" >&2; exit 2 ;;
esac
DATA=${MBI_DATA:-../shared/data/$SET}
QUANT=models/$SHORT-ram-quant.pt
FLOAT=models/$SHORT-ram-float.pt
TBL=$OUT/$SHORT.tbl
bash scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target mbi
mbi=build/mbi
mkdir -p "$OUT"
step() { echo; echo "== $*"; }

step "teacher accuracy (quantised and float) on the test split"
$mbi eval --mode teacher --model $QUANT --data "$DATA" --split test --json | tee "$OUT/teacher-quant.json"
$mbi eval --mode teacher --model $FLOAT --data "$DATA" --split test --json | tee "$OUT/teacher-float.json"

step "distill the quantised teacher into a table"
# The defaults are the recipe: three DAgger rounds on training images shifted by up to 2
# pixels add the keys lookups drift into; start weights 30,16,10.
$mbi distill --model $QUANT --data "$DATA" --out "$TBL" --json --no-progress | tee "$OUT/distill.json"

step "tune the eq. 1 weights on the validation split (Bayesian optimisation)"
$mbi tune --table "$TBL" --data "$DATA" --json --no-progress | tee "$OUT/tune.json"

step "lookup-only inference on the test split"
$mbi eval --mode mbi --table "$TBL" --data "$DATA" --split test --json --no-progress | tee "$OUT/mbi.json"

step "mixed inference (teacher fallback) on the test split"
# The threshold: the largest that keeps the teacher's accuracy within 0.5 points on the
# validation split (the published 5 is MNIST's; mbi experiment mixed draws the whole curve).
$mbi eval --mode mixed --table "$TBL" --model $QUANT --max-loss 0.5 --data "$DATA" \
  --split test --json --no-progress | tee "$OUT/mixed.json"

step "hardware: energy per inference from the counted comparisons"
$mbi hw energy --table "$TBL" --data "$DATA" --out "$OUT/hw" --json | tee "$OUT/hw-energy.json"
step "a table for CPU speed: wide tree, one weight per glimpse scale"
# The default tree above mirrors the published 32-row arrays (what step 6 counts); a CPU
# is faster and more accurate with wide nodes and long leaves.
$mbi distill --model $QUANT --data "$DATA" --out "$OUT/$SHORT-cpu.tbl" --branching 16 --leaf-size 256 \
  --json --no-progress | tee "$OUT/distill-cpu.json"
$mbi tune --table "$OUT/$SHORT-cpu.tbl" --data "$DATA" --space scales --budget 30 --json --no-progress \
  | tee "$OUT/tune-cpu.json"
$mbi eval --mode mbi --table "$OUT/$SHORT-cpu.tbl" --data "$DATA" --split test --json --no-progress | tee "$OUT/mbi-cpu.json"

step "a forest of two trees over the CPU table: more accuracy at the same number of comparisons"
# The same rows and weights; a second tree with another seed, over all glimpse steps (it finds
# the closer keys recorded at other steps), and the budget split between the two.
$mbi index --table "$OUT/$SHORT-cpu.tbl" --out "$OUT/$SHORT-forest.tbl" --trees 2 --global-trees 1 --json \
  | tee "$OUT/index-forest.json"
$mbi eval --mode mbi --table "$OUT/$SHORT-forest.tbl" --data "$DATA" --split test --json --no-progress \
  | tee "$OUT/mbi-forest.json"

step "the 1-NN baseline per byte, with this run's tables beside it"
$mbi baseline --data "$DATA" --sizes 1000,6000,20000,60000 --lookups "$OUT/mbi.json" "$OUT/mbi-cpu.json" \
  "$OUT/mbi-forest.json" --labels "tree 32,wide tree,forest" --out "$OUT/baseline" --json --no-progress \
  | tee "$OUT/baseline.json"

echo
echo "pipeline: done; results in $OUT/"
