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

}  // namespace mbi::python
