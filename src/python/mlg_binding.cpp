// mbi.GeneratedNetwork: a network stored as small quantized bases (.gnet, issue 16) run by
// in-situ generation, classified and evaluated through the evaluation contract: the record
// `mbi mlg eval --json` prints, made by the same function (experiment::mlg_evaluation).
#include <filesystem>
#include <memory>

#include "bindings.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/mlg_study.hpp"
#include "mbi/io/energy_table_json.hpp"
#include "mbi/mlg/classifier.hpp"
#include "mbi/mlg/network_file.hpp"

#ifndef MBI_VERSION
#define MBI_VERSION "unknown"
#endif

namespace mbi::python {

namespace {

struct NetworkHandle {
  explicit NetworkHandle(const std::filesystem::path& file) : path(file), network(mlg::load_generated_network(file)) {}
  std::filesystem::path path;
  mlg::GeneratedNetwork network;
};

void check_run(const NetworkHandle& h, const ImageView& view, int tile, int threads) {
  if (tile < 1 || tile > (1 << 16)) throw Error("tile: must be in 1..65536");
  if (threads < 0 || threads > 1024) throw Error("threads: must be in 0..1024 (0 = all cores)");
  if (view.rows != h.network.input.rows || view.cols != h.network.input.cols)
    throw Error(h.path.string() + ": made for " + std::to_string(h.network.input.rows) + "x" +
                std::to_string(h.network.input.cols) + " images, the images are " + std::to_string(view.rows) + "x" +
                std::to_string(view.cols));
}

py::array_t<std::int32_t> classify(const NetworkHandle& h, const py::array& images, int tile, int threads) {
  const ImageView view = image_view(images);
  check_run(h, view, tile, threads);
  const ImageSet set = labelled_copy(view, nullptr);
  std::vector<int> predictions(set.count(), -1);
  {
    py::gil_scoped_release unlocked;
    mlg::InSituClassifier classifier(h.network, {.tile = tile}, threads);
    eval::Ledger ledger;
    classifier.classify(set, predictions, ledger);
  }
  return to_numpy(std::vector<std::int32_t>(predictions.begin(), predictions.end()),
                  {static_cast<py::ssize_t>(predictions.size())});
}

py::object evaluate(const NetworkHandle& h, const py::array& images, const py::array& labels, int tile, int threads,
                    const std::string& dataset, const std::string& split,
                    std::optional<std::filesystem::path> energy_config) {
  const ImageView view = image_view(images);
  check_run(h, view, tile, threads);
  const ImageSet set = labelled_copy(view, &labels);
  if (set.classes > h.network.classes())
    throw Error("labels: go up to " + std::to_string(set.classes - 1) + " but " + h.path.string() + " classifies " +
                std::to_string(h.network.classes()) + " classes");
  // As `mbi mlg eval`: the memory and generation energies, with the digital MAC's.
  eval::EnergyTable energy = io::load_energy_table(energy_config ? *energy_config : shipped_config("configs/energy/mlg_memory.json"));
  energy.merge(io::load_energy_table(shipped_config("configs/energy/digital16nm.json")));
  eval::Provenance provenance;
  provenance.command = "python: mbi.GeneratedNetwork.evaluate";
  provenance.version = "mbi " MBI_VERSION;
  provenance.inputs = {{"network", h.path.string()}, {"data", dataset}};
  nlohmann::json record;
  {
    py::gil_scoped_release unlocked;
    record = experiment::mlg_evaluation(h.network, h.path.string(), set, {dataset, split}, {.tile = tile}, energy,
                                        provenance, threads);
  }
  return to_python(record);
}

}  // namespace

void bind_mlg(py::module_& m) {
  py::class_<NetworkHandle, std::shared_ptr<NetworkHandle>>(m, "GeneratedNetwork", R"doc(A network whose weights are
generated on the fly from small quantized bases (a .gnet file from `mbi mlg train`), run by
in-situ generation: each layer's weights expanded tile by tile next to the compute.

GeneratedNetwork(path) reads and checks the file; raises mbi.Error naming it when missing,
corrupt or of another version.)doc")
      .def(py::init<const std::filesystem::path&>(), py::arg("path"))
      .def_property_readonly("input_shape",
                             [](const NetworkHandle& h) { return py::make_tuple(h.network.input.rows, h.network.input.cols); },
                             "(H, W) of the images it takes.")
      .def_property_readonly("classes", [](const NetworkHandle& h) { return h.network.classes(); })
      .def_property_readonly("memory_ratio", [](const NetworkHandle& h) { return h.network.memory_ratio(); },
                             "Stored bits over the same network's float32 bits.")
      .def_property_readonly("memory", [](const NetworkHandle& h) { return to_python(experiment::mlg_memory_json(h.network)); },
                             "Stored bits by kind (bases, coefficients, mixing, float weights, norms, biases) as a dict.")
      .def("classify", &classify, py::arg("images"), py::arg("tile") = 16, py::arg("threads") = 1,
           R"doc(Predicted class of every image (numpy.uint8 (N, H, W)), as int32 (N,), by in-situ
generation (`tile` output channels generated at once; threads: 0 = all cores).)doc")
      .def("evaluate", &evaluate, py::arg("images"), py::arg("labels"), py::arg("tile") = 16, py::arg("threads") = 1,
           py::arg("dataset") = "", py::arg("split") = "", py::arg("energy_config") = py::none(),
           R"doc(The record `mbi mlg eval --json` prints, as a dict: accuracy, footprint, events and
energy per image, "memory" by kind, and "per_inference": bytes read, generation MACs and
energy beside the float network read from memory. energy_config: the memory and generation
energies (default: the shipped configs/energy/mlg_memory.json).)doc");
}

}  // namespace mbi::python
