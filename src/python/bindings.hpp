#pragma once
// The Python package's native module (_mbi): one binding per concern, each in its own file,
// all over the libraries (never over the command line). Numpy arrays in and out, zero-copy
// where the layout allows it; C++ errors (mbi::Error) raised as mbi.Error with the same
// one-line message; the GIL released around the long C++ calls.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "mbi/core/image_set.hpp"

namespace mbi::python {

namespace py = pybind11;

void bind_data(py::module_& m);
void bind_table(py::module_& m);
void bind_lookup(py::module_& m);
void bind_hw(py::module_& m);
void bind_bo(py::module_& m);
void bind_mlg(py::module_& m);

// A JSON value as the Python object json.loads gives (dicts, lists, floats, ints, None).
py::object to_python(const nlohmann::json& value);

// `images` as a borrowed batch: a C-contiguous numpy.uint8 array of shape (N, H, W), read in
// place. Throws mbi::Error naming `what` for another dtype, dimension count or layout.
ImageView image_view(const py::array& images, const std::string& what = "images");

// `images` with `labels` (numpy.uint8, shape (N,)) as an ImageSet, the pixels copied (what the
// evaluation contract takes); classes is the largest label + 1. Without labels, all 0.
// Throws mbi::Error naming "labels" for another dtype or length.
ImageSet labelled_copy(const ImageView& images, const py::array* labels);

// A config file the package ships beside its module (configs/...: the energies and hardware
// parameters the reports price with). Throws mbi::Error naming it when it is missing.
std::filesystem::path shipped_config(const std::string& relative);

// A numpy array of `count` values copied from `values` (owning its memory).
template <typename T>
py::array_t<T> to_numpy(const T* values, std::size_t count) {
  py::array_t<T> out(static_cast<py::ssize_t>(count));
  std::copy_n(values, count, out.mutable_data());
  return out;
}

// A numpy array over `values`, moved (not copied) into memory the array owns; `shape` must
// multiply to values.size().
template <typename T>
py::array_t<T> to_numpy(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(std::move(shape), owned->data(), free_when_done);
}

}  // namespace mbi::python
