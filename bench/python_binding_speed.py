"""What the Python binding costs: lookup images/s of `Table.classify` (wall time of the call,
conversions and per-step arrays included) against `mbi eval --mode mbi` (its lookup timer) on
the same table and images, one thread each, interleaved; best and median of --repeats.

    PYTHONPATH=build/python python3 bench/python_binding_speed.py \
        --table results/pipeline/mnist.tbl --data ../shared/data/mnist --out results/python
"""
import argparse
import json
import statistics
import pathlib
import subprocess
import time

import mbi


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", required=True)
    parser.add_argument("--data", default="../shared/data/mnist")
    parser.add_argument("--cli", default="build/mbi")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="results/python")
    args = parser.parse_args()

    images, labels = mbi.load_images(args.data, "test")
    table = mbi.Table(args.table)
    table.classify(images[:500])  # page the table in, as the command's warm-up does not need to
    cli, python, inner = [], [], []
    for _ in range(args.repeats):
        record = json.loads(subprocess.run(
            [args.cli, "eval", "--mode", "mbi", "--table", args.table, "--data", args.data, "--split", "test",
             "--threads", "1", "--json", "--no-progress"], capture_output=True, text=True, check=True).stdout)
        cli.append(record["images_per_second"])
        start = time.perf_counter()
        out = table.classify(images, threads=1)
        python.append(len(images) / (time.perf_counter() - start))
        inner.append(len(images) / out["seconds"])
    accuracy = 100.0 * float((out["predictions"] == labels).mean())
    result = {
        "table": args.table, "images": len(images), "threads": 1, "repeats": args.repeats,
        "cli_images_per_second": max(cli), "python_images_per_second": max(python),
        "python_lookup_timer_images_per_second": max(inner),
        "binding_cost_percent": 100.0 * (max(cli) / max(python) - 1.0),
        "cli_median_images_per_second": statistics.median(cli),
        "python_median_images_per_second": statistics.median(python),
        "binding_cost_percent_of_medians": 100.0 * (statistics.median(cli) / statistics.median(python) - 1.0),
        "accuracy_python": accuracy, "accuracy_cli": record["accuracy"],
        "all_cli": cli, "all_python": python,
    }
    folder = pathlib.Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "binding_speed.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
