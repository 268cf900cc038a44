"""Bad input raises mbi.Error (a ValueError) with the library's one-line message, and the
interpreter goes on."""
import numpy as np
import pytest

import mbi


@pytest.fixture(scope="module")
def table(tiny_table):
    return mbi.Table(tiny_table)


@pytest.fixture(scope="module")
def images(mnist):
    return mbi.load_images(mnist, "test", limit=20)


def one_line(error):
    text = str(error.value)
    assert "\n" not in text and text
    return text


def test_missing_truncated_and_corrupt_tables(tmp_path, tiny_table):
    with pytest.raises(mbi.Error) as e:
        mbi.Table(tmp_path / "none.tbl")
    assert "none.tbl" in one_line(e)
    data = tiny_table.read_bytes()
    (tmp_path / "short.tbl").write_bytes(data[:1000])
    with pytest.raises(mbi.Error) as e:
        mbi.Table(tmp_path / "short.tbl")
    assert "short.tbl" in one_line(e)
    flipped = bytearray(data)
    flipped[-100] ^= 4
    (tmp_path / "flipped.tbl").write_bytes(bytes(flipped))
    for in_memory in (False, True):
        with pytest.raises(mbi.Error) as e:
            mbi.Table(tmp_path / "flipped.tbl", in_memory=in_memory)
        assert "flipped.tbl" in one_line(e)


def test_wrong_dtype_shape_layout_and_size(table, images):
    pixels, labels = images
    cases = {
        "uint8": pixels.astype(np.float32),
        "shape": pixels.reshape(len(pixels), -1),
        "contiguous": pixels.transpose(0, 2, 1),
        "built for 28x28": np.zeros((3, 20, 20), np.uint8),
    }
    for words, bad in cases.items():
        with pytest.raises(mbi.Error) as e:
            table.classify(bad)
        assert words in one_line(e), words
    with pytest.raises(mbi.Error) as e:
        table.evaluate(pixels, labels[:5])
    assert "labels" in one_line(e)
    with pytest.raises(mbi.Error) as e:
        table.evaluate(pixels, np.full(len(pixels), 12, np.uint8))
    assert "labels go up to 12" in one_line(e)
    with pytest.raises(mbi.Error) as e:
        table.search(np.zeros((2, table.key_words), np.int64))
    assert "uint64" in one_line(e)
    with pytest.raises(mbi.Error) as e:
        table.search(np.zeros((2, table.key_words + 1), np.uint64))
    assert "shape" in one_line(e)


def test_bad_settings(table, images):
    pixels, _ = images
    for kwargs, words in [({"search": "fast"}, "search"), ({"probes": 0}, "probes"),
                          ({"epsilon": 0.5, "probes": 2}, "drop probes"),
                          ({"epsilon": 0.5, "search": "exhaustive"}, "exhaustive"), ({"threads": -1}, "threads"),
                          ({"epsilon": 1000.0}, "epsilon")]:
        with pytest.raises(mbi.Error) as e:
            table.classify(pixels, **kwargs)
        assert words in one_line(e), kwargs
    with pytest.raises(mbi.Error):
        mbi.hw_energy(coding="gray")
    with pytest.raises(mbi.Error) as e:
        mbi.hw_energy(config="/nonexistent/hw.json")
    assert "/nonexistent/hw.json" in one_line(e)
    with pytest.raises(mbi.Error) as e:
        mbi.load_images("/nonexistent/data", "test")
    assert "/nonexistent/data" in one_line(e)
    with pytest.raises(mbi.Error):
        mbi.load_images("/nonexistent/data", "test", val_fraction=2.0)
    # Still alive and answering.
    assert table.classify(pixels)["predictions"].shape == (len(pixels),)


def test_errors_are_value_errors():
    assert issubclass(mbi.Error, ValueError)
