"""mbi.Table and lookups from Python against the command line and against the table itself."""
import subprocess

import numpy as np
import pytest

import mbi
from conftest import run_cli

# Fields of `mbi eval --json` that are times or name the caller: everything else must be equal.
TIMES = {"seconds", "images_per_second", "teacher_seconds"}


def strip_times(record):
    if isinstance(record, dict):
        return {k: strip_times(v) for k, v in record.items() if k not in TIMES and k != "command"}
    if isinstance(record, list):
        return [strip_times(v) for v in record]
    return record


def test_evaluate_equals_the_command_line_field_for_field(cli, mnist, tiny_table):
    images, labels = mbi.load_images(mnist, "test", limit=200)
    table = mbi.Table(str(tiny_table))
    ours = table.evaluate(images, labels, dataset=str(mnist), split="test", threads=1)
    theirs = run_cli(cli, "eval", "--mode", "mbi", "--table", tiny_table, "--data", mnist, "--split", "test",
                     "--limit", 200, "--threads", 1, "--json", "--no-progress")
    assert strip_times(ours) == strip_times(theirs)
    assert ours["report"]["provenance"]["command"] == "python: mbi.Table.evaluate"
    for budget in (0, 50):  # another search: still equal
        ours = table.evaluate(images, labels, max_comparisons=budget, probes=2, dataset=str(mnist), split="test")
        theirs = run_cli(cli, "eval", "--mode", "mbi", "--table", tiny_table, "--data", mnist, "--limit", 200,
                         "--probes", 2, "--max-comparisons", budget, "--threads", 1, "--json", "--no-progress")
        assert strip_times(ours) == strip_times(theirs)


def test_load_images_gives_the_command_lines_splits(mnist):
    test_images, test_labels = mbi.load_images(mnist, "test")
    assert test_images.shape == (10000, 28, 28) and test_images.dtype == np.uint8
    assert test_labels.shape == (10000,) and set(np.unique(test_labels)) == set(range(10))
    val, _ = mbi.load_images(mnist, "val")
    train, _ = mbi.load_images(mnist, "train")
    assert len(val) + len(train) == 60000 and len(val) == 6000
    other, _ = mbi.load_images(mnist, "val", split_seed=1)
    assert not np.array_equal(val, other)
    first, _ = mbi.load_images(mnist, "test", limit=7)
    assert np.array_equal(first, test_images[:7])


def test_classify_agrees_with_evaluate_and_with_the_table(mnist, tiny_table):
    images, labels = mbi.load_images(mnist, "test", limit=300)
    table = mbi.Table(tiny_table)
    out = table.classify(images)
    n, steps = len(images), table.glimpses
    assert out["predictions"].shape == (n,) and out["predictions"].dtype == np.int32
    for key in ("rows", "distances", "step_comparisons", "loc_x", "loc_y"):
        assert out[key].shape == (n, steps), key
    record = table.evaluate(images, labels)
    assert 100.0 * np.mean(out["predictions"] == labels) == pytest.approx(record["accuracy"])
    assert out["comparisons"].sum() / n == pytest.approx(record["comparisons_per_image"])
    # The answer is the prediction stored with the last step's nearest key, and each step's
    # distance is the worst-case bound the per-image maximum takes.
    assert np.array_equal(table.predictions[out["rows"][:, -1]], out["predictions"])
    assert np.array_equal(out["distances"].max(axis=1), out["max_distance"])
    # Threads change nothing but the time.
    four = table.classify(images, threads=4)
    for key in ("predictions", "rows", "distances", "step_comparisons", "loc_x", "loc_y"):
        assert np.array_equal(four[key], out[key]), key


def test_search_finds_every_key_at_distance_zero(tiny_table):
    table = mbi.Table(tiny_table)
    keys = table.keys
    assert keys.shape == (table.rows, table.key_words) and keys.dtype == np.uint64
    assert not keys.flags.writeable and not keys.flags.owndata  # a view of the mapped file
    sample = np.arange(0, table.rows, max(1, table.rows // 200))
    exact = table.search(keys[sample], search="exhaustive")
    assert np.all(exact["distances"] == 0)
    assert np.array_equal(keys[exact["rows"]], keys[sample])
    assert np.all(exact["rows"] <= sample)  # ties go to the lowest row
    assert np.all(exact["comparisons"] == table.rows)
    # A tree search never beats the exhaustive one, and costs fewer comparisons.
    steps = table.steps[sample]
    for step in np.unique(steps):
        tree = table.search(keys[sample][steps == step], step=int(step), max_comparisons=64)
        assert np.all(tree["distances"] >= 0) and np.all(tree["comparisons"] <= 64 + 64)
    # Non-contiguous queries are copied once, not refused.
    strided = np.asfortranarray(keys[sample])
    assert np.array_equal(table.search(strided, search="exhaustive")["rows"], exact["rows"])


def test_a_table_in_memory_equals_the_mapped_one(mnist, tiny_table):
    mapped, loaded = mbi.Table(tiny_table), mbi.Table(tiny_table, in_memory=True)
    assert loaded.in_memory and not mapped.in_memory
    assert np.array_equal(mapped.keys, loaded.keys) and mapped.metadata == loaded.metadata
    images, _ = mbi.load_images(mnist, "test", limit=100)
    a, b = mapped.classify(images), loaded.classify(images)
    assert np.array_equal(a["rows"], b["rows"]) and np.array_equal(a["predictions"], b["predictions"])


def test_the_keys_keep_the_table_alive(tiny_table):
    keys = mbi.Table(tiny_table).keys  # the table object is gone; its mapping must not be
    assert int(keys[0].sum(dtype=np.uint64)) >= 0 and keys.base is not None


def test_metadata_and_shape(tiny_table):
    table = mbi.Table(tiny_table)
    assert table.image_shape == (28, 28) and table.classes == 10
    assert table.metadata["teacher"]["config"]["glimpses"] == table.glimpses
    assert table.name == str(tiny_table) and table.resident_bytes >= tiny_table.stat().st_size


def test_hw_energy_equals_the_command_line(cli):
    ours = mbi.hw_energy()
    theirs = run_cli(cli, "hw", "energy", "--json")
    assert ours["inference"]["energy_nj"] == pytest.approx(theirs["inference"]["energy_nj"])
    assert ours["match_pj"] == pytest.approx(theirs["match_pj"])
    assert mbi.hw_energy(comparisons_per_image=1120)["inference"]["energy_nj"] == pytest.approx(
        2 * ours["inference"]["energy_nj"])


def test_hw_energy_measures_a_tables_workload(mnist, tiny_table):
    images, labels = mbi.load_images(mnist, "test", limit=50)
    out = mbi.hw_energy(table=mbi.Table(tiny_table), images=images, labels=labels)
    assert out["measured"]["source"]["images"] == 50
    assert out["inference"]["comparisons_per_image"] == pytest.approx(
        out["measured"]["centroid_comparisons_per_image"] + out["measured"]["key_comparisons_per_image"], rel=1e-6)
