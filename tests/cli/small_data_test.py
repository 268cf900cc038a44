#!/usr/bin/env python3
"""The whole command line on data that is not MNIST: generated 12x20 images of 3 classes.

Trains a tiny teacher (glimpse geometry from the image size), distills it with a DAgger round,
evaluates lookups with a comparison budget, mixed mode with the threshold chosen on the
validation split, prices the table on the arrays with its own key, and runs the 1-NN baseline;
each step's record is checked for what issue 20 asked of it.

Usage: small_data_test.py MBI_BINARY   (exit 0 when every check passes)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generated_idx import CLASSES, COLS, ROWS, make_data  # noqa: E402


failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def mbi(*args):
    out = subprocess.run([MBI, *args], capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        raise SystemExit("FAIL mbi " + " ".join(args) + ": exit " + str(out.returncode))
    return json.loads(out.stdout.strip().splitlines()[-1])


MBI = sys.argv[1]
work = tempfile.mkdtemp(prefix="mbi_small_data_")
try:
    data = make_data(work, 600, 150)
    model, table = os.path.join(work, "m.pt"), os.path.join(work, "t.tbl")
    run_dir = os.path.join(work, "run")

    rec = mbi("train", "--data", data, "--epochs", "3", "--glimpses", "3", "--threads", "1", "--lr", "3e-3",
              "--out", model, "--run-dir", run_dir, "--no-progress", "--json")
    with open(model + ".json") as f:
        config = json.load(f)["config"]
    check((config["patch"], config["patches"], config["scale"]) == (3, 3, 4),
          "train: glimpse geometry from the image size (patch 3, 3 patches, scale 4 on 12x20)")
    check((config["image_rows"], config["image_cols"], config["classes"]) == (ROWS, COLS, CLASSES),
          "train: the model takes 12x20 images of 3 classes")
    with open(os.path.join(run_dir, "log.jsonl")) as f:
        seconds = [json.loads(line)["seconds"] for line in f if line.strip()]
    check(len(seconds) == 3 and abs(rec["seconds_per_epoch"] - sum(seconds) / 3) < 1e-9,
          "train: seconds_per_epoch is the mean of the epochs' times")

    rec = mbi("distill", "--model", model, "--data", data, "--out", table, "--dagger-rounds", "1", "--no-progress",
              "--json")
    check(rec["dagger_rounds"] == 1 and len(rec["dagger_rows_added"]) == 1 and rec["dagger_rows_added"][0] > 0
          and rec["dagger_seconds"] > 0,
          "distill: the DAgger round's rows and time are reported")
    check(abs(rec["seconds"] - rec["distill_seconds"] - rec["dagger_seconds"] - rec["tree_seconds"]) < 1e-9,
          "distill: seconds is the sum of its parts")

    # The defaults are the main job's recipe: a flagless distill writes the same bytes.
    plain, recipe = os.path.join(work, "plain.tbl"), os.path.join(work, "recipe.tbl")
    mbi("distill", "--model", model, "--data", data, "--limit", "200", "--out", plain, "--no-progress", "--json")
    mbi("distill", "--model", model, "--data", data, "--limit", "200", "--out", recipe, "--dagger-rounds", "3",
        "--augment-shift", "2", "--weights", "30,16,10", "--no-progress", "--json")
    with open(plain, "rb") as f, open(recipe, "rb") as g:
        check(f.read() == g.read(), "distill: no flags = --dagger-rounds 3 --augment-shift 2 --weights 30,16,10")

    # Rows kept by use: those the training images' lookups match, the trees rebuilt over them.
    pruned = os.path.join(work, "pruned.tbl")
    rec = mbi("prune", "--table", table, "--data", data, "--out", pruned, "--threads", "1", "--json")
    full_rows = mbi("eval", "--mode", "mbi", "--table", table, "--data", data, "--json", "--no-progress")["table_rows"]
    ev = mbi("eval", "--mode", "mbi", "--table", pruned, "--data", data, "--json", "--no-progress")
    check(rec["rows_before"] == full_rows and 0 < rec["rows_after"] < full_rows and ev["table_rows"] == rec["rows_after"]
          and rec["images"] == 540 and rec["rows_after"] <= 540 * 5,
          "prune: at most one row per training image's step kept, and the pruned table looks up")

    tuned = os.path.join(work, "tuned.tbl")
    rec = mbi("tune", "--table", table, "--data", data, "--budget", "3", "--holdout", "0.5", "--out", tuned,
              "--threads", "1", "--no-progress", "--json")
    hold = rec["holdout"]
    check(hold["search_images"] == 30 and hold["holdout_images"] == 30 and rec["val_images"] == 30,
          "tune --holdout 0.5: the search sees 30 validation images, the check the other 30")
    kept_ok = (hold["kept"] == "tuned") == (hold["holdout_accuracy_tuned"] > hold["holdout_accuracy_before"])
    check(kept_ok, "tune --holdout: the tuned weights are kept only if they win on the held-out images")

    rec = mbi("eval", "--mode", "mbi", "--table", table, "--data", data, "--max-comparisons", "20", "--json",
              "--no-progress")
    budget = rec["comparison_budget"]
    check(budget["asked_per_step"] == 20 and budget["spent_per_step"]["max"] >= budget["spent_per_step"]["median"],
          "eval: the comparison budget asked and spent")
    check(rec["images"] == 150 and 0 <= rec["accuracy"] <= 100, "eval: lookups over the 150 test images")

    rec = mbi("eval", "--mode", "mixed", "--table", table, "--model", model, "--data", data, "--max-loss", "1",
              "--json", "--no-progress")
    chosen = rec["threshold_chosen_on"]
    check(chosen["split"] == "val" and chosen["images"] == 60 and chosen["max_loss"] == 1,
          "eval mixed: the threshold is chosen on the 60 validation images")
    check(chosen["accuracy"] >= chosen["teacher_accuracy"] - 1 or rec["threshold"] == 0,
          "eval mixed: the chosen threshold keeps the teacher's validation accuracy within the loss")

    rec = mbi("hw", "energy", "--table", table, "--data", data, "--limit", "40", "--out", os.path.join(work, "hw"),
              "--json")
    segments = {s["name"]: s for s in rec["inference"]["by_mapping"]["segments"]}
    check(segments["loc_x"]["levels"] == COLS + 1 and segments["loc_y"]["levels"] == ROWS + 1,
          "hw energy: the mapping prices the table's own key (locations 0..20 and 0..12)")
    check(rec["table1"]["comparable_accuracy"] is False and rec["table1"]["mbi"]["data"] == "data",
          "hw energy: Table I says the accuracy is on another data set")

    lookups_record = os.path.join(work, "lookups.json")
    with open(lookups_record, "w") as f:
        json.dump(mbi("eval", "--mode", "mbi", "--table", table, "--data", data, "--json", "--no-progress"), f)
    rec = mbi("baseline", "--data", data, "--sizes", "100,540", "--reference", "train", "--lookups", lookups_record,
              "--out", os.path.join(work, "baseline"), "--json", "--no-progress")
    check(len(rec["points"]) == 4 and all(p["accuracy"] > 90 for p in rec["points"] if p["references"] == 540),
          "baseline: 1-NN at two sizes, raw and 2-bit (the bars are easy: > 90 %)")
    check(len(rec["lookups"]) == 1 and os.path.exists(os.path.join(work, "baseline", "nn_baseline.csv")),
          "baseline: the lookups record beside it, CSV written")
    graph_record = os.path.join(work, "graph.json")
    with open(graph_record, "w") as f:
        json.dump(mbi("eval", "--mode", "mbi", "--table", table, "--data", data, "--search", "graph", "--graph-all-rows",
                      "--probes", "4", "--json", "--no-progress"), f)
    with open(graph_record) as f:
        graph = json.load(f)
    rec = mbi("baseline", "--data", data, "--sizes", "100", "--reference", "train", "--lookups", lookups_record,
              graph_record, "--published", "--out", os.path.join(work, "pareto"), "--json", "--no-progress")
    check(graph["search"] == "graph" and graph["graph_link_bytes"] > 0 and graph["comparisons_per_image"] > 0,
          "eval --search graph: a graph over every row, its links' bytes and its comparisons reported")
    energy = graph["report"]["energy"]["by_event"]
    events = graph["report"]["events"]
    check(graph["links_read_per_image"] > graph["comparisons_per_image"]
          and events["lookup.link_read"] == round(graph["links_read_per_image"] * graph["images"])
          and abs(energy["lookup.link_read"] - graph["links_read_per_image"] * 1.4e-12) < 1e-15
          and energy["sram.array_match"] > 0 and "lookup.link_read" not in graph["report"]["energy"]["unpriced"],
          "eval --search graph: the walk's key matches and link reads priced on the SRAM model (1.4 pJ a link)")
    check(rec["lookups"][1]["bytes"] == graph["table_bytes"] + graph["graph_link_bytes"] and "published" in rec
          and os.path.exists(os.path.join(work, "pareto", "published.csv")),
          "baseline --published: a graph's links counted in its bytes, the published point beside")
finally:
    shutil.rmtree(work, ignore_errors=True)

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
