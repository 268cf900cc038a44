// mbi.Table.classify and mbi.Table.evaluate: lookup inference on a numpy image batch (read in
// place), and the evaluation record `mbi eval --mode mbi --json` prints, made by the same
// function (experiment::evaluate_lookups).
#include <pybind11/stl/filesystem.h>

#include <chrono>
#include <filesystem>

#include "bindings.hpp"
#include "lookup_settings.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/lookup_evaluation.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/io/energy_table_json.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "table_handle.hpp"

#ifndef MBI_VERSION
#define MBI_VERSION "unknown"
#endif

namespace mbi::python {

namespace {

using TableClass = py::class_<TableHandle, std::shared_ptr<TableHandle>>;

void check_threads(int threads) {
  if (threads < 0 || threads > 1024) throw Error("threads: must be in 0..1024 (0 = all cores)");
}

py::dict classify(const TableHandle& handle, const py::array& images, const std::string& search_kind,
                  std::optional<std::uint32_t> probes, std::optional<std::uint32_t> max_comparisons,
                  std::optional<double> epsilon, int threads) {
  check_threads(threads);
  const Table& table = handle.table();
  const ImageView view = image_view(images);
  const RamConfig& config = handle.info().config;
  const LookupOptions options = lookup_search(search_kind, probes, max_comparisons, epsilon).options(table);
  LookupRun run;
  LookupTrace trace;
  {
    py::gil_scoped_release unlocked;
    run = run_lookups(table, config, view, options, threads, false, &trace);
  }
  const auto n = static_cast<py::ssize_t>(view.count);
  const auto steps = static_cast<py::ssize_t>(trace.steps);
  std::vector<std::int32_t> predictions(run.prediction.begin(), run.prediction.end());
  std::vector<std::uint64_t> per_image(view.count, 0);
  for (std::size_t i = 0; i < view.count; ++i)
    for (std::size_t t = 0; t < trace.steps; ++t) per_image[i] += trace.comparisons[i * trace.steps + t];
  py::dict out;
  out["predictions"] = to_numpy(std::move(predictions), {n});
  out["comparisons"] = to_numpy(std::move(per_image), {n});
  out["max_distance"] = to_numpy(std::move(run.max_distance), {n});
  out["rows"] = to_numpy(std::move(trace.row), {n, steps});
  out["distances"] = to_numpy(std::move(trace.distance), {n, steps});
  out["step_comparisons"] = to_numpy(std::move(trace.comparisons), {n, steps});
  out["loc_x"] = to_numpy(std::move(trace.loc_x), {n, steps});
  out["loc_y"] = to_numpy(std::move(trace.loc_y), {n, steps});
  out["seconds"] = run.seconds;
  return out;
}

py::object evaluate(const TableHandle& handle, const py::array& images, const py::array& labels,
                    const std::string& search_kind, std::optional<std::uint32_t> probes,
                    std::optional<std::uint32_t> max_comparisons, std::optional<double> epsilon, int threads,
                    const std::string& dataset, const std::string& split,
                    std::optional<std::filesystem::path> hw_config, std::optional<std::filesystem::path> energy_config) {
  check_threads(threads);
  const Table& table = handle.table();
  const ImageView view = image_view(images);
  // The evaluation contract takes an ImageSet: one copy of the pixels (a few ms for 10,000
  // images, outside the timed lookups).
  const ImageSet set = labelled_copy(view, &labels);
  io::check_image_size(handle.info(), table, set, "images");

  experiment::LookupEvaluation settings;
  settings.search = lookup_search(search_kind, probes, max_comparisons, epsilon);
  settings.threads = threads;
  settings.input = {dataset, split};
  settings.provenance.command = "python: mbi.Table.evaluate";
  settings.provenance.version = "mbi " MBI_VERSION;
  const std::filesystem::path hw_path = hw_config ? *hw_config : shipped_config("configs/hw/sram16nm.json");
  const hw::HwConfig hw = hw::load_hw_config(hw_path);
  settings.hw = &hw;
  settings.hw_source = hw_path.string();
  settings.energy = io::load_energy_table(energy_config ? *energy_config : shipped_config("configs/energy/digital16nm.json"));
  nlohmann::json record;
  {
    py::gil_scoped_release unlocked;
    record = experiment::evaluate_lookups(table, set, settings);
  }
  return to_python(record);
}

}  // namespace

void bind_lookup(py::module_& m) {
  auto table = py::reinterpret_borrow<TableClass>(m.attr("Table"));
  table.def("classify", &classify, py::arg("images"), py::arg("search") = "tree", py::arg("probes") = py::none(),
            py::arg("max_comparisons") = py::none(), py::arg("epsilon") = py::none(), py::arg("threads") = 1,
            R"doc(Lookup-only inference: every image through its glimpse steps, one nearest-key lookup each.

images: numpy.uint8 array (N, H, W), C-contiguous, of the size the table's teacher takes; read
in place, not copied.
search, probes, max_comparisons, epsilon: as `mbi eval`'s flags. threads: 0 = all cores.
Returns a dict: predictions (int32, N), comparisons (uint64, N, distances computed per image),
max_distance (uint32, N, worst step's best-match distance), and per step (N, glimpses):
rows and distances (uint32) of each step's match, step_comparisons (uint32), loc_x and loc_y
(int32, where the glimpse was taken); seconds (the lookups alone).)doc");
  table.def("evaluate", &evaluate, py::arg("images"), py::arg("labels"), py::arg("search") = "tree",
            py::arg("probes") = py::none(), py::arg("max_comparisons") = py::none(), py::arg("epsilon") = py::none(),
            py::arg("threads") = 1, py::arg("dataset") = "", py::arg("split") = "", py::arg("hw_config") = py::none(),
            py::arg("energy_config") = py::none(),
            R"doc(Evaluates lookups on labelled images and returns the record `mbi eval --mode mbi --json`
prints, as a dict (accuracy, coverage, comparisons, table bytes, and "report": footprint,
events, energy per image, provenance). Made by the same C++ function as the command line's,
so the two agree field for field but for times and the command.

dataset, split: what the report names as the images' source.
hw_config, energy_config: the search array's and digital compute's energy files (default:
the shipped configs/hw/sram16nm.json and configs/energy/digital16nm.json).)doc");
}

}  // namespace mbi::python
