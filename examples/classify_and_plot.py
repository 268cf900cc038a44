"""Notebook-style tour of mbi from Python: open a lookup table, classify test images by
lookups alone, report as `mbi eval` does, and plot a confusion matrix.

    python3 examples/classify_and_plot.py --table results/pipeline/mnist.tbl \
        --data ../shared/data/mnist --out results/python

(after `bash scripts/install_python.sh`, or with PYTHONPATH=build/python). Writes
confusion.png and confusion.csv into --out and prints the figures.
"""
import argparse
import pathlib
import time

import matplotlib

matplotlib.use("Agg")  # files, not windows
import matplotlib.pyplot as plt
import numpy as np

import mbi


def confusion(predictions, labels, classes):
    """Rows: true class; columns: predicted class (-1, no answer, is left out)."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    answered = predictions >= 0
    np.add.at(matrix, (labels[answered], predictions[answered]), 1)
    return matrix


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", required=True, help="lookup table (.tbl)")
    parser.add_argument("--data", default="../shared/data/mnist", help="IDX image folder")
    parser.add_argument("--split", default="test")
    parser.add_argument("--out", default="results/python", help="folder for the plot and CSV")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    images, labels = mbi.load_images(args.data, args.split)
    table = mbi.Table(args.table)
    print(f"table {table.name}: {table.rows} rows, {table.glimpses} glimpses, "
          f"{table.trees} tree(s), {table.resident_bytes / 1e6:.2f} MB resident")

    start = time.perf_counter()
    out = table.classify(images, threads=args.threads)
    wall = time.perf_counter() - start
    predictions = out["predictions"]
    accuracy = 100.0 * np.mean(predictions == labels)
    print(f"lookups: {accuracy:.2f} % of {len(images)} {args.split} images, "
          f"{out['comparisons'].mean():.1f} comparisons/image, {len(images) / wall:,.0f} images/s "
          f"({args.threads} thread(s), wall time of the call)")
    first = out["rows"][0]
    print(f"image 0: rows {first.tolist()}, distances {out['distances'][0].tolist()}, "
          f"glimpses at {list(zip(out['loc_x'][0].tolist(), out['loc_y'][0].tolist()))}")

    record = table.evaluate(images, labels, dataset=args.data, split=args.split, threads=args.threads)
    energy = record["report"].get("energy", {})
    print(f"report: accuracy {record['accuracy']:.2f} %, {record['report']['footprint']['total_bytes']:,} bytes, "
          f"{energy.get('joules_per_image', float('nan')) * 1e9:.2f} nJ/image (search array model)")

    classes = max(table.classes, int(labels.max()) + 1)
    matrix = confusion(predictions, labels, classes)
    folder = pathlib.Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    np.savetxt(folder / "confusion.csv", matrix, fmt="%d", delimiter=",",
               header=",".join(f"pred_{c}" for c in range(classes)))
    per_class = 100.0 * np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)
    print("per class: " + ", ".join(f"{c}: {a:.1f}" for c, a in enumerate(per_class)))

    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    shown = ax.imshow(matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="white" if i == j else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_xticks(range(classes))
    ax.set_yticks(range(classes))
    ax.set_title(f"lookups only: {accuracy:.2f} % ({pathlib.Path(args.table).name}, {args.split})")
    fig.colorbar(shown, ax=ax, label="share of the true class")
    fig.tight_layout()
    fig.savefig(folder / "confusion.png", dpi=120)
    print(f"wrote {folder / 'confusion.png'} and {folder / 'confusion.csv'}")


if __name__ == "__main__":
    main()
