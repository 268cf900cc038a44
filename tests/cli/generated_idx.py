"""Generated IDX image sets for command-line tests: 12x20 images of 3 classes, the class
being where a bright bar lies (a third of the width each). Not MNIST's size on purpose."""
import gzip
import os
import random
import struct

ROWS, COLS, CLASSES = 12, 20, 3


def write_idx(folder, prefix, count, seed):
    rng = random.Random(seed)
    labels, pixels = [], bytearray()
    for _ in range(count):
        label = rng.randrange(CLASSES)
        labels.append(label)
        for r in range(ROWS):
            for c in range(COLS):
                bright = c * CLASSES // COLS == label and 2 <= r < ROWS - 2
                pixels.append(min(255, rng.randrange(40) + (200 if bright else 0)))
    with gzip.open(os.path.join(folder, prefix + "-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, ROWS, COLS) + bytes(pixels))
    with gzip.open(os.path.join(folder, prefix + "-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + bytes(labels))


def make_data(work, train_count, test_count):
    """A data folder under `work` with `train_count` training and `test_count` test images."""
    data = os.path.join(work, "data")
    os.makedirs(data)
    write_idx(data, "train", train_count, 1)
    write_idx(data, "t10k", test_count, 2)
    return data
