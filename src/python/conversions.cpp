// Conversions shared by the bindings: JSON to Python objects, numpy images to ImageView.
#include <string>

#include "bindings.hpp"
#include "mbi/core/error.hpp"

namespace mbi::python {

py::object to_python(const nlohmann::json& value) {
  // Through Python's own parser: numbers, nulls and nesting come out exactly as json.loads
  // gives them from the command line's output, which the equality tests compare against.
  // (Looked up each time, not kept in a static: a static Python object would be released
  // after the interpreter has finalized.)
  return py::module_::import("json").attr("loads")(value.dump());
}

ImageView image_view(const py::array& images, const std::string& what) {
  if (!py::dtype::of<std::uint8_t>().is(images.dtype()))
    throw Error(what + ": expected a numpy.uint8 array, got dtype " + std::string(py::str(images.dtype())));
  if (images.ndim() != 3)
    throw Error(what + ": expected shape (N, H, W), got " + std::to_string(images.ndim()) + " dimension(s)");
  if ((images.flags() & py::array::c_style) == 0)
    throw Error(what + ": expected a C-contiguous array (use numpy.ascontiguousarray)");
  ImageView view;
  view.pixels = static_cast<const std::uint8_t*>(images.data());
  view.count = static_cast<std::size_t>(images.shape(0));
  view.rows = static_cast<int>(images.shape(1));
  view.cols = static_cast<int>(images.shape(2));
  return view;
}

ImageSet labelled_copy(const ImageView& view, const py::array* labels) {
  ImageSet set;
  set.rows = view.rows;
  set.cols = view.cols;
  set.pixels.assign(view.pixels, view.pixels + view.count * view.pixels_per_image());
  if (labels == nullptr) {
    set.labels.assign(view.count, 0);
    set.classes = view.count > 0 ? 1 : 0;
    return set;
  }
  if (!py::dtype::of<std::uint8_t>().is(labels->dtype()) || labels->ndim() != 1 ||
      labels->shape(0) != static_cast<py::ssize_t>(view.count))
    throw Error("labels: expected a numpy.uint8 array of shape (" + std::to_string(view.count) + ",)");
  const auto contiguous = py::array_t<std::uint8_t, py::array::c_style>::ensure(*labels);
  set.labels.assign(contiguous.data(), contiguous.data() + view.count);
  for (const std::uint8_t label : set.labels) set.classes = std::max(set.classes, label + 1);
  return set;
}

std::filesystem::path shipped_config(const std::string& relative) {
  const std::filesystem::path package =
      std::filesystem::path(py::module_::import("mbi").attr("__file__").cast<std::string>()).parent_path();
  const std::filesystem::path path = package / relative;
  if (!std::filesystem::exists(path)) throw Error(path.string() + ": not found (the package's configs are missing)");
  return path;
}

}  // namespace mbi::python
