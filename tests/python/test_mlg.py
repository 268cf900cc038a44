"""mbi.GeneratedNetwork (issue 16's networks) from Python against `mbi mlg eval`."""
import subprocess

import numpy as np
import pytest

import mbi
from conftest import run_cli
from test_lookup import strip_times


@pytest.fixture(scope="module")
def tiny_gnet(cli, mnist, tmp_path_factory):
    """A small generated LeNet trained for one epoch on 300 images: real and fast."""
    path = tmp_path_factory.mktemp("gnet") / "tiny.gnet"
    subprocess.run([str(cli), "mlg", "train", "--data", str(mnist), "--limit", "300", "--arch", "lenet", "--width", "4",
                    "--method", "mlg", "--memory-ratio", "0.05", "--epochs", "1", "--threads", "1", "--no-progress",
                    "--out", str(path)], check=True, capture_output=True)
    return path


def test_evaluate_equals_mbi_mlg_eval(cli, mnist, tiny_gnet):
    images, labels = mbi.load_images(mnist, "test", limit=200)
    net = mbi.GeneratedNetwork(tiny_gnet)
    ours = net.evaluate(images, labels, dataset=str(mnist), split="test")
    theirs = run_cli(cli, "mlg", "eval", "--net", tiny_gnet, "--data", mnist, "--limit", 200, "--threads", 1, "--json")
    assert strip_times(ours) == strip_times(theirs)
    assert ours["memory"]["memory_ratio"] == pytest.approx(net.memory_ratio) and net.memory_ratio <= 0.05
    predictions = net.classify(images, tile=3, threads=2)  # the tile and threads change nothing
    assert 100.0 * np.mean(predictions == labels) == pytest.approx(ours["accuracy"])
    assert net.input_shape == (28, 28) and net.classes == 10


def test_bad_networks_and_images(tmp_path, tiny_gnet):
    data = bytearray(tiny_gnet.read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / "flipped.gnet").write_bytes(bytes(data))
    with pytest.raises(mbi.Error) as e:
        mbi.GeneratedNetwork(tmp_path / "flipped.gnet")
    assert "flipped.gnet" in str(e.value)
    net = mbi.GeneratedNetwork(tiny_gnet)
    with pytest.raises(mbi.Error) as e:
        net.classify(np.zeros((2, 20, 20), np.uint8))
    assert "made for 28x28" in str(e.value)
    with pytest.raises(mbi.Error):
        net.classify(np.zeros((2, 28, 28), np.float64))
    with pytest.raises(mbi.Error):
        net.classify(np.zeros((2, 28, 28), np.uint8), tile=0)
