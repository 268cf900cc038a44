// mbi.hw_energy: the 10T-SRAM search array's energy per match and per inference (the paper's
// Fig. 6(c) and Table I), as `mbi hw energy` computes it, optionally for the workload a
// table's lookups measure through the circuit model.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <optional>

#include "bindings.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/hw_studies.hpp"
#include "mbi/hw/experiments.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/io/table_info.hpp"
#include "table_handle.hpp"

namespace mbi::python {

namespace {

py::object hw_energy(std::optional<std::filesystem::path> config_file, std::optional<double> comparisons_per_image,
                     std::optional<double> arrays_per_key, std::optional<double> accuracy,
                     std::optional<double> storage_mb, std::shared_ptr<TableHandle> table, std::optional<py::array> images,
                     std::optional<py::array> labels, std::uint32_t probes, const std::string& coding,
                     std::uint64_t seed, int threads) {
  const std::filesystem::path path = config_file ? *config_file : shipped_config("configs/hw/sram16nm.json");
  const hw::HwConfig config = hw::load_hw_config(path);
  hw::EnergyExperimentOptions options;
  options.config_source = path.string();
  options.comparisons_per_image = comparisons_per_image;
  options.arrays_per_key = arrays_per_key;
  options.accuracy_pct = accuracy;
  options.storage_mb = storage_mb;
  if (coding != "binary" && coding != "thermometer") throw Error("coding: must be 'binary' or 'thermometer'");
  if (threads < 0 || threads > 1024) throw Error("threads: must be in 0..1024 (0 = all cores)");
  nlohmann::json measured;
  if (table) {
    if (!images || !labels) throw Error("images, labels: measuring a table's workload needs labelled images");
    const ImageView view = image_view(*images);
    const ImageSet set = labelled_copy(view, &*labels);
    io::check_image_size(table->info(), table->table(), set, "images");
    experiment::HwLookups lookups{table->table(), table->info().config, set};
    lookups.probes = probes;
    lookups.threads = threads;
    experiment::MeasuredWorkload m;
    {
      py::gil_scoped_release unlocked;
      m = experiment::measure_workload(lookups, config, coding, seed);
    }
    options.comparisons_per_image = comparisons_per_image.value_or(m.comparisons_per_image);
    options.arrays_per_key = arrays_per_key.value_or(m.arrays_per_key);
    options.accuracy_pct = accuracy.value_or(m.accuracy_pct);
    options.storage_mb = storage_mb.value_or(m.storage_mb);
    measured = m.summary;
  }
  io::ResultFiles out = hw::energy_experiment(config, options);
  if (!measured.is_null()) out.summary["measured"] = measured;
  return to_python(out.summary);
}

}  // namespace

void bind_hw(py::module_& m) {
  m.def("hw_energy", &hw_energy, py::kw_only(), py::arg("config") = py::none(),
        py::arg("comparisons_per_image") = py::none(), py::arg("arrays_per_key") = py::none(),
        py::arg("accuracy") = py::none(), py::arg("storage_mb") = py::none(), py::arg("table") = nullptr,
        py::arg("images") = py::none(), py::arg("labels") = py::none(), py::arg("probes") = 1,
        py::arg("coding") = "thermometer", py::arg("seed") = 1, py::arg("threads") = 1,
        R"doc(Energy of the 10T-SRAM search array, as `mbi hw energy --json` reports it (a dict:
match_pj by part, inference energy in nJ, Table I).

config: the array's parameter file (default: the shipped configs/hw/sram16nm.json).
comparisons_per_image, arrays_per_key, accuracy, storage_mb: the workload (default: the
paper's, from the config).
table, images, labels: measure the workload instead by these lookups through the circuit
model (tree leaves as array tiles, `probes` leaves per step, `coding` arrays); the figures
given explicitly still win.)doc");
}

}  // namespace mbi::python
