"""Fixtures of the Python package's tests: the mbi command beside the package (to compare
against), MNIST, and a tiny teacher and table made once per session by the command line."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    path = pathlib.Path(os.environ.get("MBI_CLI", ROOT / "build" / "mbi"))
    if not path.exists():
        pytest.skip(f"{path}: the mbi command is not built")
    return path


@pytest.fixture(scope="session")
def mnist():
    path = pathlib.Path(os.environ.get("MBI_DATA", ROOT.parent / "shared" / "data" / "mnist"))
    if not (path / "t10k-images-idx3-ubyte.gz").exists() and not (path / "t10k-images-idx3-ubyte").exists():
        pytest.skip(f"{path}: MNIST is not there")
    return path


def run_cli(cli, *args):
    """Runs the mbi command; returns its JSON output (args must include --json)."""
    done = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def tiny_table(cli, mnist, tmp_path_factory):
    """A teacher trained for one epoch on 300 images and its table: real, small, fast."""
    work = tmp_path_factory.mktemp("tiny")
    model, table = work / "tiny.pt", work / "tiny.tbl"
    common = ["--data", mnist, "--limit", "300", "--threads", "1", "--no-progress"]
    subprocess.run([str(cli), "train", *map(str, common), "--epochs", "1", "--hidden", "16", "--core-width", "32",
                    "--out", str(model), "--run-dir", str(work / "run")], check=True, capture_output=True)
    subprocess.run([str(cli), "distill", *map(str, common), "--model", str(model), "--out", str(table)],
                   check=True, capture_output=True)
    return table
