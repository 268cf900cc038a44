// mbi.load_images: an IDX image set's split as numpy arrays, the split the command line's
// --data/--split/--val-fraction/--split-seed/--limit give.
#include <filesystem>

#include "bindings.hpp"
#include "mbi/core/error.hpp"
#include "mbi/data/idx.hpp"

namespace mbi::python {

namespace {

py::tuple load_images(const std::filesystem::path& dir, const std::string& split, double val_fraction,
                      std::uint64_t split_seed, std::size_t limit) {
  if (!(val_fraction >= 0.001 && val_fraction <= 0.9))
    throw Error("val_fraction: " + std::to_string(val_fraction) + " is outside [0.001, 0.9]");
  ImageSet set;
  {
    py::gil_scoped_release unlocked;
    set = data::load_named_split(dir, split, val_fraction, split_seed);
  }
  if (limit > 0 && limit < set.count()) set = set.first(limit);
  const auto n = static_cast<py::ssize_t>(set.count());
  py::array_t<std::uint8_t> images = to_numpy(std::move(set.pixels), {n, set.rows, set.cols});
  py::array_t<std::uint8_t> labels = to_numpy(std::move(set.labels), {n});
  return py::make_tuple(images, labels);
}

}  // namespace

void bind_data(py::module_& m) {
  m.def("load_images", &load_images, py::arg("data"), py::arg("split") = "test", py::arg("val_fraction") = 0.1,
        py::arg("split_seed") = 0, py::arg("limit") = 0,
        R"doc(Loads a split of an IDX image set (MNIST, Fashion-MNIST or any other size).

data: folder with train-/t10k- images and labels (.gz or not).
split: "test", "val", "train" (training file minus validation) or "train-all".
val_fraction, split_seed: the train/validation split, as the command line's flags.
limit: keep only the first N images (0 = all).
Returns (images, labels): numpy.uint8 arrays of shape (N, H, W) and (N,).
Raises mbi.Error naming the file when it is missing or malformed.)doc");
}

}  // namespace mbi::python
