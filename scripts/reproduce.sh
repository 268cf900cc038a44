#!/usr/bin/env bash
# Every measured figure of docs/results.md, one command each, in the order they depend
# on each other. Run from the repository root after `bash scripts/setup.sh` and a build
# (`cmake --preset default && cmake --build --preset default`). Outputs go to results/.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/mbi
Q=models/mnist-ram-quant.pt
R=results/final
mkdir -p $R
run() { echo "+ $*" >&2; "$@"; }

# Teachers (issue 2)
run $B eval --mode teacher --model $Q --split test --json
run $B eval --mode teacher --model models/mnist-ram-float.pt --split test --json

# Tables (issue 3): plain distillation, then DAgger rounds on shifted training images
run $B distill --model $Q --out $R/mnist-unweighted.tbl --dagger-rounds 0 --augment-shift 0 --weights 1,1,1 --json --no-progress
run $B distill --model $Q --out $R/mnist-dagger3.tbl --dagger-rounds 3 --augment-shift 2 --weights 30,16,10 \
  --threads 1 --json --no-progress
# Weights by BO on the validation split, with random and grid peers at equal budget (issue 4)
run $B tune --table $R/mnist-dagger3.tbl --out $R/mnist-bo.tbl --budget 10 --method all \
  --csv $R/tune-trials.csv --json --no-progress --threads 2
# A table within the published 6.21 MB
run $B distill --model $Q --out $R/mnist-small.tbl --fraction 0.36 --dagger-rounds 0 --augment-shift 0 \
  --weights 30,16,10 --threads 1 --json --no-progress
run $B tune --table $R/mnist-small.tbl --budget 10 --json --no-progress --threads 2

# A tree for CPU speed: wider nodes and leaves of 256 keys (the default leaves of 32 keys
# match the published 32-row arrays, which the hardware model assumes). Weights tuned in the
# eq. 1 space (BO with its peers) and, separately, one weight per glimpse scale with a budget
# of 30; the second is better on validation and is the table reported.
C=results/cpu
mkdir -p $C
run $B distill --model $Q --out $C/mnist-dagger3-b16l256.tbl --dagger-rounds 3 --augment-shift 2 \
  --weights 30,16,10 --branching 16 --leaf-size 256 --threads 1 --json --no-progress
run $B tune --table $C/mnist-dagger3-b16l256.tbl --out $C/mnist-cpu.tbl --budget 10 --method all \
  --json --no-progress --threads 1
run $B tune --table $C/mnist-dagger3-b16l256.tbl --out $C/mnist-cpu-scales30.tbl --space scales --budget 30 \
  --json --no-progress --threads 1
# BO against random search (and grid) at equal budgets, three seeds, on the small table
for seed in 1 2 3; do
  for budget in 10 30; do
    run $B tune --table $R/mnist-small.tbl --out /tmp/mbi-bo-peers.tbl --space scales --budget $budget --method all \
      --seed $seed --json --no-progress --threads 1
  done
done

# Lookup accuracy on the test split
run $B eval --mode mbi --table $R/mnist-unweighted.tbl --search exhaustive --split test --threads 2 --json --no-progress
run $B eval --mode mbi --table $R/mnist-bo.tbl --split test --threads 1 --json --no-progress
run $B eval --mode mbi --table $R/mnist-bo.tbl --split test --threads 1 --max-comparisons 800 --json --no-progress
run $B eval --mode mbi --table $R/mnist-small.tbl --split test --threads 1 --json --no-progress

# Figures
run $B experiment tree --table $R/mnist-bo.tbl --split val --limit 2000 --probes 1,1,1,1 \
  --max-comparisons 0,100,400,800 --out results/fig4c --json                                  # Fig. 4(c)
run $B experiment mixed --table $R/mnist-bo.tbl --model $Q --out results/fig5 --threads 1 --json  # Fig. 5
run $B experiment fig4a --model $Q --spaces eq1,scales --threads 1 --out results/fig4a --json  # Fig. 4(a)
run $B experiment fig4a --model $Q --spaces eq1,scales --dagger-rounds 3 --threads 1 \
  --out results/fig4a-dagger --json                                                           # Fig. 4(a), DAgger
run $B experiment speed --model $Q --table $R/mnist-bo.tbl --threads 1 --out results/speed --json
run $B eval --mode mbi --table $C/mnist-cpu-scales30.tbl --search exhaustive --split test --threads 2 --json --no-progress
for budget in 0 200 400 800 1600 3200; do
  run $B eval --mode mbi --table $C/mnist-cpu-scales30.tbl --split test --max-comparisons $budget --threads 1 --json --no-progress
done
run $B experiment speed --model $Q --table $C/mnist-cpu-scales30.tbl --threads 1 --budgets 0,200,400,800 --no-train --repeats 5 \
  --out results/speed-cpu --json
# The exhaustive scan against FAISS, like for like: Debian's IndexBinaryFlat (software popcount)
# and FAISS's own kernel compiled without and with POPCNT, beside our paths (one thread).
run build/bench/mbi_bench --benchmark_filter='Faiss/(mbi_exhaustive|kernel|IndexBinaryFlat/words:./batch:1)' \
  --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_out=results/faiss_bench.json
run $B experiment mixed --table $C/mnist-cpu-scales30.tbl --model $Q --out results/fig5-cpu --threads 1 --json
run $B experiment tree --table $C/mnist-cpu-scales30.tbl --split val --limit 2000 --probes 1,1,1,1 \
  --max-comparisons 0,100,400,800 --out results/fig4c-cpu --json
run $B experiment tree --table $C/mnist-cpu-scales30.tbl --split val --limit 2000 --probes 1,1 \
  --max-comparisons 1600,3200 --out results/fig4c-cpu-large --json
run $B eval --mode mbi --table $C/mnist-cpu-scales30.tbl --split test --max-comparisons 1073741824 --threads 2 \
  --json --no-progress                                     # exhaustive over each step's rows

# Forests over the CPU table (same rows and weights, 1, 2 and 4 trees), each budget split
# between the trees; then Fig. 4(c) and speed on them.
F=results/forest
mkdir -p $F
run $B experiment forest --table $C/mnist-cpu-scales30.tbl --trees 1,2,2:1,4,4:1,4:2,4:3 \
  --budgets 200,400,800,1600,3200 --out $F/curve --json       # accuracy against comparisons per image
for trees in 2 4; do
  run $B index --table $C/mnist-cpu-scales30.tbl --out $F/mnist-cpu-forest$trees.tbl --trees $trees --json
done
run $B index --table $C/mnist-cpu-scales30.tbl --out $F/mnist-cpu-forest2g1.tbl --trees 2 --global-trees 1 --json
run $B index --table $C/mnist-cpu-scales30.tbl --out $F/mnist-cpu-forest4g2.tbl --trees 4 --global-trees 2 --json
for seed in 2 3; do                                            # seed spread of 2 vs 2:1
  for global in 0 1; do
    run $B index --table $C/mnist-cpu-scales30.tbl --out $F/seed.tbl --trees 2 --global-trees $global --seed $seed --json
    for budget in 400 800; do
      run $B eval --mode mbi --table $F/seed.tbl --split test --max-comparisons $budget --json --no-progress
    done
  done
done
rm -f $F/seed.tbl
run $B index --table $R/mnist-bo.tbl --out $F/mnist-bo-forest2.tbl --trees 2 --json
for budget in 400 800; do
  run $B eval --mode mbi --table $F/mnist-bo-forest2.tbl --split test --max-comparisons $budget --json --no-progress
done
run $B experiment mixed --table $F/mnist-cpu-forest2.tbl --model $Q --out $F/fig5-forest2 --threads 1 --json
run $B experiment mixed --table $F/mnist-cpu-forest2g1.tbl --model $Q --out $F/fig5-forest2g1 --threads 1 --json
for trees in 2 4 2g1 4g2; do
  run $B experiment tree --table $F/mnist-cpu-forest$trees.tbl --split val --limit 2000 --probes 1,1,1,1,1 \
    --max-comparisons 200,400,800,1600,3200 --out $F/fig4c-forest$trees --json
done
run $B tune --table $F/mnist-cpu-forest2.tbl --out $F/mnist-cpu-forest2-tuned.tbl --space scales --budget 30 \
  --threads 1 --json --no-progress
run $B experiment speed --model $Q --table $F/mnist-cpu-forest2.tbl --threads 1 --budgets 200,400,800 --no-train --repeats 5 \
  --out results/speed-forest --json
run $B experiment speed --model $Q --table $F/mnist-cpu-forest2g1.tbl --threads 1 --budgets 200,400,800 --no-train --repeats 5 \
  --out results/speed-forest2g1 --json
run $B experiment speed --model $Q --table $R/mnist-small.tbl --threads 1 --budgets 0,400 --no-train --repeats 5 \
  --out results/speed-small --json

# Bounded search (--epsilon): every match within a factor 1 + epsilon of the nearest key,
# pruned by node bounds; one tree across glimpse steps, so "nearest" is over every row.
E=results/bounded
mkdir -p $E
run $B index --table $R/mnist-small.tbl --out $E/mnist-small-global.tbl --global-tree --json
run $B index --table $C/mnist-cpu-scales30.tbl --out $E/mnist-cpu-global-b4l32.tbl --global-tree --branching 4 \
  --leaf-size 32 --json
run $B experiment tree --table $E/mnist-small-global.tbl --split val --limit 2000 --probes 1,1 \
  --max-comparisons 400,3200 --epsilon 0.5,0.1,0 --out $E/fig4c-small --json
run $B experiment tree --table $E/mnist-cpu-global-b4l32.tbl --split val --limit 2000 --probes 1 \
  --max-comparisons 3200 --epsilon 0.5,0.1,0 --out $E/fig4c-cpu --json
for budget in 400 800 1600 3200; do
  run $B eval --mode mbi --table $E/mnist-small-global.tbl --split test --max-comparisons $budget --threads 1 \
    --json --no-progress
  run $B eval --mode mbi --table $E/mnist-small-global.tbl --split test --epsilon 0.1 --max-comparisons $budget \
    --threads 1 --json --no-progress
done
for epsilon in 0.5 0.1 0; do
  run $B eval --mode mbi --table $E/mnist-small-global.tbl --split test --epsilon $epsilon --threads 1 --json --no-progress
done
run $B eval --mode mbi --table $E/mnist-small-global.tbl --split test --search exhaustive --json --no-progress
for epsilon in 0.5 0.1; do
  run $B eval --mode mbi --table $E/mnist-cpu-global-b4l32.tbl --split test --epsilon $epsilon --threads 1 --json --no-progress
done
for budget in 400 3200; do
  run $B eval --mode mbi --table $E/mnist-cpu-global-b4l32.tbl --split test --max-comparisons $budget --threads 1 \
    --json --no-progress
  run $B eval --mode mbi --table $E/mnist-cpu-global-b4l32.tbl --split test --epsilon 0.1 --max-comparisons $budget \
    --threads 1 --json --no-progress
done
for budget in 400 800; do
  run $B eval --mode mbi --table $F/mnist-cpu-forest2g1.tbl --split test --epsilon 0.1 --max-comparisons $budget \
    --threads 1 --json --no-progress
done

# One tree across glimpse steps for the CPU table (branching 16, leaves of 256): chosen over
# the per-step tree on the validation split (one leaf, budgets 400 and 800), then timed.
run $B index --table $C/mnist-cpu-scales30.tbl --out $C/mnist-cpu-global-b16l256.tbl --global-tree --branching 16 \
  --leaf-size 256 --json
for table in $C/mnist-cpu-scales30.tbl $C/mnist-cpu-global-b16l256.tbl; do
  for budget in 0 400 800; do
    run $B eval --mode mbi --table $table --split val --max-comparisons $budget --threads 2 --json --no-progress
  done
done
run $B experiment speed --model $Q --table $C/mnist-cpu-global-b16l256.tbl --threads 1 --budgets 0,200,400 --no-train --repeats 5 \
  --out results/speed-cpu-global --json

# Fast one-leaf lookups on the 6 MB table's rows: one tree across glimpse steps, leaves of 32,
# branching 8, 16 or 32, and one weight per glimpse scale tuned on the validation split for the
# one-leaf search (budget 40); then each is timed beside the teacher.
S=results/fast
mkdir -p $S
for branching in 8 16 32; do
  run $B index --table $R/mnist-small.tbl --out $S/mnist-small-b${branching}l32g.tbl --global-tree \
    --branching $branching --leaf-size 32 --json
  run $B tune --table $S/mnist-small-b${branching}l32g.tbl --out $S/mnist-small-fast-b$branching.tbl --space scales \
    --budget 40 --max-comparisons 0 --threads 2 --json --no-progress
  run $B experiment speed --model $Q --table $S/mnist-small-fast-b$branching.tbl --threads 1 --budgets 0,200,400 \
    --no-train --repeats 5 --out results/speed-fast-b$branching --json
done
# Within the published 6.21 MB: accuracy, comparisons and energy at small per-step budgets
# (issue 19), and mixed mode timed beside the teacher at batch 256 (threshold chosen on
# validation for the teacher's accuracy minus 0.5 points).
for budget in 0 50 100 200 400; do
  run $B eval --mode mbi --table $S/mnist-small-fast-b8.tbl --split test --max-comparisons $budget --threads 1 \
    --json --no-progress >$S/b8-eval-$budget.json
done
for budget in 0 100; do
  run $B experiment speed --model $Q --table $S/mnist-small-fast-b8.tbl --threads 1 --budgets $budget \
    --mixed-max-loss 0.5 --mixed-budget $budget --no-train --repeats 5 --out results/speed-mixed-b8-$budget --json
done

# Hardware (issue 5)
run $B hw variability --out results/hw --json                                                  # Fig. 6(b)
run $B hw energy --table $R/mnist-bo.tbl --out results/hw --json                               # Fig. 6(c), Table I
run $B hw array --out results/hw --json
run $B hw accuracy --table $R/mnist-bo.tbl --split test --limit 2000 --coding both --threads 2 --out results/hw-accuracy --json
run $B hw noise --table $R/mnist-bo.tbl --split test --limit 2000 --threads 2 --out results/hw-noise --json

# CAM-only inference (issue 15): ternary networks (and the same networks in float), each
# compiled onto the AP and run over the whole test split beside its integer reference and the
# crossbar compute-in-memory baseline; the crossbar's accuracy and energy against its ADC bits.
for d in mnist fashion; do
  data=../shared/data/mnist; [ $d = fashion ] && data=../shared/data/fashion-mnist
  run $B ap train --arch cnn --epochs 12 --data $data --out models/$d-ternary-cnn.tnet --threads 1 --no-progress
  run $B ap train --arch cnn --float --epochs 12 --data $data --out models/$d-float-cnn.fnet --threads 1 --no-progress
  run $B ap train --arch mlp --hidden 256 --epochs 12 --data $data --out models/$d-ternary-mlp.tnet --threads 1 --no-progress
  run $B ap train --arch mlp --hidden 256 --float --epochs 12 --data $data --out models/$d-float-mlp --threads 1 --no-progress
  run $B ap compile --net models/$d-ternary-cnn.tnet --out results/ap/$d-compile --json
  run $B ap run --net models/$d-ternary-cnn.tnet --data $data --split test --out results/ap/$d-run --json
  run $B ap run --net models/$d-ternary-mlp.tnet --data $data --split test --out results/ap/$d-mlp-run --json
  run $B ap crossbar --net models/$d-ternary-cnn.tnet --data $data --split test --out results/ap/$d-crossbar --json
done
# Accuracy against activation bits (2, 3 and the shipped 4), beside the float baselines.
for d in mnist fashion; do
  data=../shared/data/mnist; [ $d = fashion ] && data=../shared/data/fashion-mnist
  for b in 2 3; do
    run $B ap train --arch cnn --activation-bits $b --epochs 12 --data $data \
      --out results/ap/bits/$d-ternary-cnn-a$b.tnet --threads 1 --no-progress
    run $B ap train --arch mlp --hidden 256 --activation-bits $b --epochs 12 --data $data \
      --out results/ap/bits/$d-ternary-mlp-a$b.tnet --threads 1 --no-progress
  done
done
run $B ap report --records models/*-ternary-*.tnet.json models/*-float-cnn.fnet.json models/*-float-mlp.json \
  results/ap/bits/*.tnet.json \
  --out results/ap/report --json

# Device noise (issue 17): PCM conductances from 1 s to 1 year after programming.
run $B noise pcm --out results/noise/pcm --json
# The ternary CNNs on crossbars of PCM cells, 1 s to 1 year after programming, 10 devices a point.
for d in mnist fashion; do
  data=../shared/data/mnist; [ $d = fashion ] && data=../shared/data/fashion-mnist
  run $B noise crossbar --net models/$d-ternary-cnn.tnet --data $data --split test --limit 2000 --devices 10 \
    --out results/noise/$d-crossbar --no-progress --json
done

# Float CNNs on analog PCM crossbars, one day after programming, 10 devices a point, the whole
# test split (issue 17). The networks: plain, classic Gaussian weight noise, energy
# regularization alone, the PCM model's own noise (device-enhanced) for one analog pair and for
# 4 binary slices, and all three techniques together (shipped in models/).
for d in mnist fashion; do
  data=../shared/data/mnist; [ $d = fashion ] && data=../shared/data/fashion-mnist
  train="$B ap train --arch cnn --float --epochs 12 --data $data --threads 1 --no-progress"
  run $train --train-noise gaussian --train-noise-sigma 0.1 --out models/$d-float-cnn-gauss.fnet
  run $train --energy-reg 0.1 --out models/$d-float-cnn-ereg.fnet
  run $train --train-noise pcm --out models/$d-float-cnn-pcm.fnet
  run $train --train-noise pcm --train-slices 4 --out models/$d-float-cnn-pcm-s4.fnet
  run $train --train-noise pcm --train-slices 4 --energy-reg 0.1 --out models/$d-float-cnn-pcm-s4-ereg.fnet
  m=models/$d-float-cnn
  analog="$B noise analog --data $data --split test --devices 10 --threads 2 --no-progress --json"
  run $analog --net $m.fnet --label plain --devices-per-weight 1,4,16,64 --out results/noise/$d-analog-scaling
  run $analog --net $m.fnet --label plain --reads 4 --out results/noise/$d-analog-reads
  run $analog --net $m.fnet $m-gauss.fnet $m-ereg.fnet $m-pcm.fnet $m-pcm-s4.fnet $m-pcm-s4-ereg.fnet \
    --label plain,gauss,ereg,pcm,pcm-s4,pcm-s4-ereg --slices 0,4 --out results/noise/$d-analog-techniques
  run $analog --net $m.fnet $m-pcm.fnet --label plain,pcm --slices 0,4 --limit 2000 \
    --seconds 1,3600,86400,2592000,31536000 --out results/noise/$d-analog-time
done
# Device-enhanced training with the device's spread amplified twice (--train-noise-scale 2), on
# Fashion-MNIST, where the unamplified techniques fell short: one pair, 4 slices, all three
# (trained into results/noise/amp/ and shipped as these copies); weight scaling at k = 8 and 32
# to bracket the equal-accuracy energy.
m=models/fashion-float-cnn
train="$B ap train --arch cnn --float --epochs 12 --data ../shared/data/fashion-mnist --threads 1 --no-progress"
run $train --train-noise pcm --train-noise-scale 2 --out $m-pcm-x2.fnet
run $train --train-noise pcm --train-slices 4 --train-noise-scale 2 --out $m-pcm-s4-x2.fnet
run $train --train-noise pcm --train-slices 4 --energy-reg 0.1 --train-noise-scale 2 --out $m-pcm-s4-ereg-x2.fnet
analog="$B noise analog --data ../shared/data/fashion-mnist --split test --devices 10 --threads 2 --no-progress --json"
run $analog --net $m-pcm-x2.fnet $m-pcm-s4-x2.fnet $m-pcm-s4-ereg-x2.fnet --label pcm-x2,pcm-s4-x2,pcm-s4-ereg-x2 \
  --slices 0,4 --out results/noise/fashion-analog-amplified
run $analog --net $m.fnet --label plain --devices-per-weight 8,32 --out results/noise/fashion-analog-scaling-8-32

# MBI under read noise (issue 17): the 60 MB DAgger table above, 32 tree leaves per step, the
# whole test split. The published distance-noise study; the table's keys stored in PCM from 1 s
# to a year; repeated reads; weights tuned by BO under the noise at sigma 1 and 3 and the
# number of voting candidates chosen on the validation split; rows added where noisy lookups go.
N=results/mbi-noise
hwn="$B hw noise --no-emerging --probes 32 --threads 2 --json"
run $hwn --split test --table $R/mnist-dagger3.tbl --sigmas 0,1,2,3,4,5 --mitigation none --out $N/base
run $hwn --split test --table $R/mnist-dagger3.tbl --sigmas 0 --mitigation none \
  --pcm-seconds 1,3600,86400,2592000,31536000 --out $N/pcm-keys
run $hwn --split test --table $R/mnist-dagger3.tbl --sigmas 3 --mitigation reads:4,reads:8,reads:16 --out $N/base-reads
run $B tune --table $R/mnist-dagger3.tbl --out $N/mnist-noise1.tbl --noise-sigma 1 --probes 32 --budget 30 \
  --csv $N/tune-noise1.csv --json --no-progress --threads 2
run $B tune --table $R/mnist-dagger3.tbl --out $N/mnist-noise3.tbl --noise-sigma 3 --probes 32 --budget 30 \
  --csv $N/tune-noise3.csv --json --no-progress --threads 2
for k in 1 3 5; do run $hwn --split val --table $N/mnist-noise1.tbl --sigmas 1 --vote $k --out $N/val-noise1-vote$k; done
for k in 1 3 5 9 17; do run $hwn --split val --table $N/mnist-noise3.tbl --sigmas 3 --vote $k --out $N/val-noise3-vote$k; done
run $hwn --split test --table $N/mnist-noise1.tbl --sigmas 0,1,2,3,4,5 --vote 3 --mitigation none --out $N/tuned1-vote3
run $hwn --split test --table $N/mnist-noise1.tbl --sigmas 3 --vote 3 --mitigation reads:4,reads:8 --out $N/tuned1-vote3-reads
run $B hw energy --table $N/mnist-noise1.tbl --probes 32 --vote 3 --limit 2000 --threads 1 --json --out $N/tuned1-vote3-energy
run $hwn --split test --table $N/mnist-noise3.tbl --sigmas 0,1,2,3,4,5 --mitigation none --out $N/tuned3
run $hwn --split test --table $N/mnist-noise3.tbl --sigmas 0,1,2,3,4,5 --vote 9 --mitigation none --out $N/tuned3-vote9
run $hwn --split test --table $N/mnist-noise3.tbl --sigmas 3 --vote 9 --mitigation reads:2,reads:4,reads:8 \
  --out $N/tuned3-vote9-reads
run $B distill --model $Q --out $N/mnist-dagger-noise3.tbl --dagger-rounds 3 --dagger-noise-rounds 1 \
  --dagger-noise-sigma 3 --dagger-noise-probes 32 --augment-shift 2 --weights 94.78,35.51,1 --json --no-progress
for k in 1 9; do run $hwn --split val --table $N/mnist-dagger-noise3.tbl --sigmas 0,3 --vote $k --out $N/val-dagger-noise3-vote$k; done

# Generated weights (issue 16): float teachers, then students at a memory ratio of 0.02 (and
# the 1-bit peer's 0.0386) distilled from them, 8 epochs each, one thread per run; the ablation
# report; the in-situ inference's energy; the RAM teacher's weights fitted after training.
G=results/mlg
FM=../shared/data/fashion-mnist
mlgt="$B mlg train --epochs 8 --threads 1 --no-progress"
for d in mnist fashion-mnist; do
  data=../shared/data/$d; n=${d%-mnist}  # mnist, fashion
  run $mlgt --data $data --method full --out $G/$n-lenet-full.gnet
  t="--data $data --teacher $G/$n-lenet-full.gnet"
  run $mlgt $t --method mlg --memory-ratio 0.02 --out $G/$n-lenet-mlg12-r02.gnet
  run $mlgt $t --method mlg --levels 1 --memory-ratio 0.02 --out $G/$n-lenet-mlg1-r02.gnet
  run $mlgt $t --method mlg --levels 2 --memory-ratio 0.02 --out $G/$n-lenet-mlg2-r02.gnet
  run $mlgt $t --method lowrank --init svd --memory-ratio 0.02 --out $G/$n-lenet-lowrank-r02.gnet
  run $mlgt $t --method quant --bits 1 --out $G/$n-lenet-quant1.gnet
done
run $mlgt --teacher $G/mnist-lenet-full.gnet --method mlg --memory-ratio 0.0386 --out $G/mnist-lenet-mlg12-r0386.gnet
run $mlgt --teacher $G/mnist-lenet-full.gnet --method mlg --memory-ratio 0.01 --out $G/mnist-lenet-mlg12-r01.gnet
run $B mlg train --data $FM --arch resnet20 --method full --epochs 8 --weight-decay 5e-4 --threads 1 \
  --out $G/fashion-resnet20-full.gnet --no-progress
run $B mlg train --data $FM --arch resnet20 --method mlg --memory-ratio 0.02 --teacher $G/fashion-resnet20-full.gnet \
  --epochs 8 --weight-decay 5e-4 --threads 1 --out $G/fashion-resnet20-mlg12-r02.gnet --no-progress
run $B mlg train --data $FM --arch resnet20 --method mlg --memory-ratio 0.02 --teacher $G/fashion-resnet20-full.gnet \
  --epochs 12 --weight-decay 5e-4 --threads 1 --out $G/fashion-resnet20-mlg12-r02-e12.gnet --no-progress
run $B mlg train --data $FM --arch resnet20 --method quant --bits 1 --teacher $G/fashion-resnet20-full.gnet \
  --epochs 8 --weight-decay 5e-4 --threads 1 --out $G/fashion-resnet20-quant1.gnet --no-progress
run $B mlg report --records $G/*.gnet.json --out $G/report --json
run $B mlg eval --net $G/mnist-lenet-mlg12-r02.gnet --threads 1 --json
for m in "--method quant --bits 8" "--method quant --bits 6" "--method quant --bits 4" "--bo 64 --qu 8 --qv 8" \
  "--bo 48 --qu 8 --qv 8" "--bo 32 --qu 8 --qv 8" "--method lowrank --rank 64 --init svd"; do
  run $B mlg ram --model $Q $m --out $G/ram-$(echo $m | tr -d ' -').pt --threads 1 --json
done

# Device noise, continued (issue 17): the generated LeNets (models/mlg/: copies of the
# $G/<set>-lenet-full.gnet and -mlg12-r02.gnet trained above) on analog PCM crossbars, and the
# RAM teachers with their weights in PCM pairs, 1 s to a year, against weight scaling.
for d in mnist fashion; do
  data=../shared/data/mnist; [ $d = fashion ] && data=../shared/data/fashion-mnist
  run $B noise analog --net models/mlg/$d-lenet-mlg12-r02.gnet models/mlg/$d-lenet-full.gnet --label mlg,full \
    --slices 0,4 --data $data --split test --devices 10 --threads 2 --no-progress --json --out results/noise/$d-analog-generated
  teacher="$B noise teacher --model models/$d-ram-quant.pt --data $data --split test --devices 10 --no-progress --json"
  run $teacher --slices 0,4 --seconds 1,3600,86400,2592000,31536000 --uncompensated --out results/noise/$d-teacher-pcm
  run $teacher --devices-per-weight 4,16 --out results/noise/$d-teacher-pcm-scaling
done

# Python (issue 18): the main job's table (as scripts/pipeline.sh distills it, before tuning),
# the binding's cost against `mbi eval` (one thread each, interleaved, 15 rounds), the example.
P=results/python
run $B distill --model $Q --out results/pipeline/mnist.tbl --dagger-rounds 3 --augment-shift 2 --weights 30,16,10 \
  --json --no-progress
PY=$(cat build/python/interpreter)
run env PYTHONPATH=build/python $PY bench/python_binding_speed.py --table results/pipeline/mnist.tbl --repeats 15 --out $P
run env PYTHONPATH=build/python $PY examples/classify_and_plot.py --table results/pipeline/mnist.tbl --out $P
# Distributed training (issue 18): world size 1 against 2 on this machine (docs/distributed.md).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
for size in "" "--limit 20000 --glimpse-hidden 1024 --loc-hidden 1024 --glimpse-out 1024 --core-width 1024 --hidden 256"; do
  c="--epochs 2 --augment-shift 0 --no-train-random-start --threads 1 --no-progress --json $size"
  run $B train $c --out $P/w1.pt --run-dir $P/w1-run
  $B train $c --world-size 2 --rank 1 --master-addr 127.0.0.1 --master-port 29701 --out $P/w2.pt --run-dir $P/w2-run &
  run $B train $c --world-size 2 --rank 0 --master-addr 127.0.0.1 --master-port 29701 --out $P/w2.pt --run-dir $P/w2-run
  wait
done
unset OPENBLAS_NUM_THREADS OMP_NUM_THREADS

# Beyond MNIST (issue 20). The Fashion-MNIST teachers' training commands are in
# docs/teachers.md (about 10 minutes each on one core); here the rest, on both data sets.
bash scripts/pipeline.sh
bash scripts/pipeline.sh fashion-mnist
# Mixed mode on the wide tree and the forest, and the wide tree's rows searched exhaustively.
F=results/pipeline/fashion-mnist
for t in cpu forest; do
  run $B eval --mode mixed --table $F/fashion-$t.tbl --model models/fashion-ram-quant.pt --max-loss 0.5 \
    --data ../shared/data/fashion-mnist --split test --json --no-progress
done
run $B eval --mode mbi --table $F/fashion-cpu.tbl --data ../shared/data/fashion-mnist --search exhaustive --split test --json
# Tables from the first N training images (N = the 1-NN reference sizes), default recipe.
O=results/per-images; mkdir -p $O
for set in mnist fashion-mnist; do
  short=${set%%-*}; D=../shared/data/$set
  for n in 6000 20000; do
    run $B distill --model models/$short-ram-quant.pt --data $D --limit $n --out $O/$short-$n.tbl --threads 1 --json --no-progress
    run $B tune --table $O/$short-$n.tbl --data $D --threads 1 --json --no-progress
    run $B eval --mode mbi --table $O/$short-$n.tbl --data $D --split test --threads 1 --json --no-progress >$O/$short-$n.json
  done
done
# 1-NN per byte with these tables and the pipelines' beside it (bash scripts/pipeline.sh ran above).
for set in mnist fashion-mnist; do
  short=${set%%-*}; PL=results/pipeline; [[ $set == fashion-mnist ]] && PL=results/pipeline/fashion-mnist
  run $B baseline --data ../shared/data/$set --sizes 1000,6000,20000,60000 --threads 1 --lookups $O/$short-6000.json \
    $O/$short-20000.json $PL/mbi.json $PL/mbi-cpu.json $PL/mbi-forest.json \
    --labels "tree 32 from 6k images,tree 32 from 20k images,tree 32,wide tree,forest" --out results/baseline/$set --json
done
# Our tree against hnswlib with our kernel (issue 19), on the query keys lookups form from 500
# validation images: the 6.73 MB table from 6,000 images and the main job's 60 MB table.
run build/bench/mbi_search_peers --table $O/mnist-6000.tbl --limit 500 --out results/search-peers/mnist-6000
run build/bench/mbi_search_peers --table results/pipeline/mnist.tbl --limit 500 --m 16 --probes 1,2,4,8,16,32,64,128 \
  --out results/search-peers/mnist-main
# Lookups through a proximity graph (mbi eval --search graph), per step and over every row,
# beside the trees and exhaustive search on the same tables.
ev="$B eval --mode mbi --split test --threads 2 --json --no-progress"; GR=results/graph; mkdir -p $GR
for ef in 1 2 4 8 16; do run $ev --table $O/mnist-6000.tbl --search graph --probes $ef >$GR/mnist-6000-ef$ef.json; done
for ef in 4 8 16; do
  run $ev --table $O/mnist-6000.tbl --search graph --graph-all-rows --probes $ef >$GR/mnist-6000-all-ef$ef.json
done
for p in 1 4 16 64; do run $ev --table $O/mnist-6000.tbl --probes $p >$GR/mnist-6000-tree-p$p.json; done
run $ev --table $O/mnist-6000.tbl --search exhaustive >$GR/mnist-6000-exhaustive.json
run $ev --table results/pipeline/mnist.tbl --search graph --probes 8 >$GR/mnist-main-step-ef8.json
rm -f $GR/mnist-main-all.graph  # the table was distilled again above: its graphs are built again once
for ef in 8 16; do
  run $ev --table results/pipeline/mnist.tbl --search graph --graph-all-rows --probes $ef \
    --graph-file $GR/mnist-main-all.graph >$GR/mnist-main-all-ef$ef.json  # built by the first, read by the next
done
for b in 400 1600; do run $ev --table results/pipeline/mnist.tbl --max-comparisons $b >$GR/mnist-main-tree-b$b.json; done
# A walk's energy (session 21): its key matches and link reads, as the records above price them,
# through the hardware model beside the published 13.16 nJ and Table I.
read -r cmp splits links acc mb < <($PY -c "import json; r = json.load(open('$GR/mnist-6000-all-ef8.json')); e = r['report']['events']
print(r['comparisons_per_image'], e['sram.array_match'] / e['lookup.key_comparison'], r['links_read_per_image'],
      r['accuracy'], (r['table_bytes'] + r['graph_link_bytes']) / 1e6)")
run $B hw energy --comparisons-per-image $cmp --key-splits $splits --links-read-per-image $links --accuracy $acc \
  --storage-mb $mb --out results/hw/energy-graph-6000
# Rows kept by use (mbi prune): the main job's table, counted over the training images.
PR=results/prune; mkdir -p $PR
run $B prune --table results/pipeline/mnist.tbl --out $PR/mnist-h1.tbl --threads 2 --json
run $B prune --table results/pipeline/mnist.tbl --out $PR/mnist-h2.tbl --min-hits 2 --threads 2 --json
for t in mnist-h1 mnist-h2; do run $ev --table $PR/$t.tbl >$PR/$t.json; done
run $ev --table $PR/mnist-h1.tbl --search graph --graph-all-rows --probes 8 >$PR/mnist-h1-graph-ef8.json
run $ev --table $PR/mnist-h1.tbl --search exhaustive >$PR/mnist-h1-exh.json
run $ev --table results/pipeline/mnist.tbl --search exhaustive >$PR/mnist-full-exh.json
cp $PR/mnist-h1.tbl $PR/mnist-h1-tuned.tbl
run $B tune --table $PR/mnist-h1-tuned.tbl --threads 2 --json --no-progress
run $ev --table $PR/mnist-h1-tuned.tbl >$PR/mnist-h1-tuned.json
# Thinner graphs walked wider (links per node M 8 and 4), and mixed mode through the graph.
for ef in 8 16 32; do run $ev --table $O/mnist-6000.tbl --search graph --graph-all-rows --graph-m 8 --probes $ef >$GR/mnist-6000-all-m8-ef$ef.json; done
for ef in 16 32 64; do run $ev --table $O/mnist-6000.tbl --search graph --graph-all-rows --graph-m 4 --probes $ef >$GR/mnist-6000-all-m4-ef$ef.json; done
mixed="$B eval --mode mixed --model $Q --table results/pipeline/mnist.tbl --max-loss 0.5 --split test --threads 1 --json --no-progress"
run $mixed --search graph --graph-all-rows --probes 8 --graph-file $GR/mnist-main-all.graph >$GR/mnist-main-mixed-all-ef8.json
run $mixed >$GR/mnist-main-mixed-tree.json
# The Pareto views: accuracy against bytes and against comparisons, 1-NN and the published point beside.
run $B baseline --data ../shared/data/mnist --sizes 1000,6000,20000,60000 --threads 2 --published \
  --lookups $O/mnist-6000.json $GR/mnist-6000-all-ef8.json $GR/mnist-6000-all-ef16.json \
  results/pipeline/mbi.json results/pipeline/mbi-forest.json $GR/mnist-main-all-ef8.json \
  --labels "tree 32 from 6k images,graph ef 8 from 6k images,graph ef 16 from 6k images,tree 32,forest,graph ef 8" \
  --out results/pareto/mnist --json
# Validation-to-test gap of the tuned weights: tuned on all of the validation split (--holdout 0)
# against searched on half and checked on the other half (--holdout 0.5).
G=results/tune-gap; mkdir -p $G
run $B distill --model $Q --out $G/mnist.tbl --json --no-progress   # the pipeline's table before tuning
run $B distill --model models/fashion-ram-quant.pt --data ../shared/data/fashion-mnist --out $G/fashion.tbl --json --no-progress
run $B distill --model models/fashion-ram-quant.pt --data ../shared/data/fashion-mnist --out $G/fashion-cpu.tbl \
  --branching 16 --leaf-size 256 --json --no-progress
for t in $G/mnist.tbl $G/fashion.tbl $G/fashion-cpu.tbl; do
  name=$(basename $t .tbl); D=../shared/data/mnist; [[ $name == fashion* ]] && D=../shared/data/fashion-mnist
  space=eq1; budget=10; [[ $name == *cpu ]] && space=scales && budget=30
  run $B eval --mode mbi --table $t --data $D --split test --threads 1 --json --no-progress >$G/$name-untuned-test.json
  for h in 0 0.5; do
    run $B tune --table $t --data $D --space $space --budget $budget --holdout $h --out $G/$name-h$h.tbl --threads 1 \
      --json --no-progress >$G/$name-h$h.json
    run $B eval --mode mbi --table $G/$name-h$h.tbl --data $D --split test --threads 1 --json --no-progress \
      >$G/$name-h$h-test.json
  done
done

# Fig. 3 (issue 22): the teacher's design sweeps, every point trained with the sweep recipe
# (12 epochs, lr 1e-3), distilled from 20,000 training images with 3 DAgger rounds, BO-tuned
# on validation and looked up on the test split; two local workers (mpirun -np 2 is the same).
F=results/fig3; mkdir -p $F
run $B experiment fig3 --workers 2 --out $F/mnist --json --no-progress >$F/mnist.json
# The sweep recipe against full training (mbi train's recipe) on three of its points.
run $B experiment fig3 --workers 2 --epochs 150 --early-stop 20 --lr 5e-4 --lr-patience 8 \
  --points g5-p4-s4-n3-b2-h1-w64-l1,g5-p4-s2-n3-b2-h1-w64-l1,g2-p4-s4-n3-b2-h1-w64-l1 --out $F/mnist-full --json --no-progress >$F/mnist-full.json
# Wall time of panel (c) with one rank (2 threads) and with two MPI ranks (1 thread each), a small recipe.
small="--panels c --limit 3000 --epochs 2 --table-images 2000 --dagger-rounds 1 --budget 4 --json --no-progress"
run $B experiment fig3 $small --threads 2 --out $F/time-1rank >$F/time-1rank.json
run $B experiment fig3 $small --threads 1 --out $F/time-1rank-1thread >$F/time-1rank-1thread.json
run env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 $B experiment fig3 $small \
  --threads 1 --out $F/time-2ranks >$F/time-2ranks.json
