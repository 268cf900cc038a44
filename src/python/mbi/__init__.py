"""mbi from Python: memorization-based inference over lookup tables.

Numpy arrays in, numpy arrays and dicts out, over the same C++ libraries as the `mbi`
command (not over the command):

    import mbi
    images, labels = mbi.load_images("../shared/data/mnist", "test")
    table = mbi.Table("results/pipeline/table.tbl")        # mapped; in_memory=True reads it
    out = table.classify(images)                           # predictions, per-step rows...
    record = table.evaluate(images, labels, dataset="mnist", split="test")
    record["accuracy"], record["report"]["energy"]         # as `mbi eval --mode mbi --json`
    mbi.hw_energy()["inference"]["energy_nj"]              # the search array's energy
    mbi.maximize(lambda x: -(x[0] - 1) ** 2, [mbi.Dimension("x", -3, 3)], budget=20)
    net = mbi.GeneratedNetwork("results/mlg/mnist-lenet-mlg12-r02.gnet")   # issue 16
    net.evaluate(images, labels)["per_inference"]          # as `mbi mlg eval --json`

Errors in the input (a missing or corrupt file, a wrong dtype or shape) raise mbi.Error, a
ValueError carrying the C++ library's one-line message.
"""
from ._mbi import Dimension, Error, GeneratedNetwork, Table, hw_energy, load_images, maximize, minimize

__all__ = ["Dimension", "Error", "GeneratedNetwork", "Table", "hw_energy", "load_images", "maximize", "minimize"]
__version__ = "@PROJECT_VERSION@"
