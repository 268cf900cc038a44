// mbi.Table: open a table (mapped or in memory), read its columns as numpy arrays without a
// copy, and search a batch of packed keys through the search contract (search/index.hpp).
#include <pybind11/stl/filesystem.h>

#include <memory>
#include <string>

#include "bindings.hpp"
#include "lookup_settings.hpp"
#include "mbi/core/error.hpp"
#include "table_handle.hpp"

namespace mbi::python {

namespace {

using TableClass = py::class_<TableHandle, std::shared_ptr<TableHandle>>;

// A read-only numpy view of a table column: the array keeps the table (and so its mapping)
// alive; writing through it would write into a read-only mapping, hence read-only.
template <typename T>
py::array_t<T> column(const py::object& owner, const T* data, std::vector<py::ssize_t> shape) {
  py::array_t<T> view(std::move(shape), data, owner);
  view.attr("setflags")(py::arg("write") = false);
  return view;
}

py::dict search(const TableHandle& handle, const py::array& queries, int step, const std::string& search_kind,
                std::optional<std::uint32_t> probes, std::optional<std::uint32_t> max_comparisons,
                std::optional<double> epsilon) {
  const Table& table = handle.table();
  const std::uint32_t words = table.exhaustive().words();
  if (!py::dtype::of<std::uint64_t>().is(queries.dtype()))
    throw Error("queries: expected a numpy.uint64 array, got dtype " + std::string(py::str(queries.dtype())));
  if (queries.ndim() != 2 || queries.shape(1) != static_cast<py::ssize_t>(words))
    throw Error("queries: expected shape (N, " + std::to_string(words) + ") (packed keys of " + table.name() + ")");
  // Zero-copy for a C-contiguous array, one copy otherwise.
  const auto packed = py::array_t<std::uint64_t, py::array::c_style>::ensure(queries);
  const auto n = static_cast<std::size_t>(packed.shape(0));
  const LookupOptions options = lookup_search(search_kind, probes, max_comparisons, epsilon).options(table);
  const NearestIndex& index = options.index != nullptr ? *options.index : table.index();
  std::vector<SearchResult> found(n);
  {
    py::gil_scoped_release unlocked;
    index.search({packed.data(), n * words}, step, options.search, found);
  }
  std::vector<std::uint32_t> rows(n), distances(n), comparisons(n), depth(n);
  for (std::size_t i = 0; i < n; ++i) {
    rows[i] = found[i].index;
    distances[i] = found[i].distance;
    comparisons[i] = found[i].comparisons;
    depth[i] = found[i].depth;
  }
  const auto count = static_cast<py::ssize_t>(n);
  py::dict out;
  out["rows"] = to_numpy(std::move(rows), {count});
  out["distances"] = to_numpy(std::move(distances), {count});
  out["comparisons"] = to_numpy(std::move(comparisons), {count});
  out["depth"] = to_numpy(std::move(depth), {count});
  return out;
}

}  // namespace

void bind_table(py::module_& m) {
  TableClass(m, "Table", R"doc(A lookup table: keys (packed glimpse, hidden state and location) and values
(next hidden state, next location, step, prediction), with its search trees.

Table(path, in_memory=False) maps the file (nothing is copied; the file must stay unchanged
while the table is open) or, with in_memory=True, reads it into memory. Raises mbi.Error
naming the file when it is missing, truncated, corrupt or not a table.)doc")
      .def(py::init<const std::filesystem::path&, bool>(), py::arg("path"), py::arg("in_memory") = false)
      .def_property_readonly("name", [](const TableHandle& h) { return h.table().name(); },
                             "The file's path: what messages about this table name.")
      .def_property_readonly("rows", [](const TableHandle& h) { return h.table().rows(); }, "Rows (keys).")
      .def_property_readonly("key_words", [](const TableHandle& h) { return h.table().exhaustive().words(); },
                             "64-bit words per packed key.")
      .def_property_readonly("in_memory", &TableHandle::in_memory, "True when read into memory, False when mapped.")
      .def_property_readonly("trees", [](const TableHandle& h) { return h.table().tree_count(); },
                             "Search trees (0: exhaustive search only).")
      .def_property_readonly("tree_per_step", [](const TableHandle& h) { return h.table().tree_per_step(); },
                             "True when the first tree has one subtree per glimpse step.")
      .def_property_readonly("resident_bytes", [](const TableHandle& h) { return h.table().resident_bytes(); },
                             "Bytes held in memory: the file (or columns) plus a forest's copies of the keys.")
      .def_property_readonly("image_shape",
                             [](const TableHandle& h) {
                               return py::make_tuple(h.info().config.image_rows, h.info().config.image_cols);
                             },
                             "(H, W) of the images the table's teacher takes.")
      .def_property_readonly("classes", [](const TableHandle& h) { return h.info().config.classes; },
                             "Classes the teacher predicts.")
      .def_property_readonly("glimpses", [](const TableHandle& h) { return h.info().config.glimpses; },
                             "Glimpse steps per image (lookups per image).")
      .def_property_readonly("metadata", [](const TableHandle& h) { return to_python(h.info().meta); },
                             "The table's metadata (teacher configuration, weights, trees) as a dict.")
      .def_property_readonly(
          "keys",
          [](const py::object& self) {
            const Table& t = self.cast<const TableHandle&>().table();
            return column(self, t.keys().data(),
                          {static_cast<py::ssize_t>(t.rows()), static_cast<py::ssize_t>(t.exhaustive().words())});
          },
          "Packed keys, a read-only numpy.uint64 array of shape (rows, key_words), not copied.")
      .def_property_readonly(
          "predictions",
          [](const py::object& self) {
            const Table& t = self.cast<const TableHandle&>().table();
            return column(self, t.prediction().data(), {static_cast<py::ssize_t>(t.rows())});
          },
          "Each row's stored prediction, a read-only numpy.uint8 array, not copied.")
      .def_property_readonly(
          "steps",
          [](const py::object& self) {
            const Table& t = self.cast<const TableHandle&>().table();
            return column(self, t.step().data(), {static_cast<py::ssize_t>(t.rows())});
          },
          "Each row's glimpse step, a read-only numpy.uint8 array, not copied.")
      .def("search", &search, py::arg("queries"), py::arg("step") = -1, py::arg("search") = "tree",
           py::arg("probes") = py::none(), py::arg("max_comparisons") = py::none(), py::arg("epsilon") = py::none(),
           R"doc(The nearest row to each packed query (numpy.uint64, shape (N, key_words)).

step: the queries' glimpse step (a per-step tree searches only that step's rows); -1 for none.
search, probes, max_comparisons, epsilon: as `mbi eval`'s flags (a tree search with a budget
of 400 comparisons by default; probes or epsilon alone drop the budget).
Returns a dict of numpy.uint32 arrays of length N: rows, distances (weighted Manhattan),
comparisons (distances computed) and depth (tree levels descended).)doc");
}

}  // namespace mbi::python
