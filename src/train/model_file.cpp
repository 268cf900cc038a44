#include "mbi/train/model_file.hpp"

#include <cstring>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/io/model_container.hpp"
#include "mbi/io/ram_config_json.hpp"

namespace mbi::train {
namespace {

struct ParsedFile {
  RamConfig config;
  nlohmann::json meta;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  std::uint32_t checksum = 0;
};

ParsedFile parse(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw Error(path.string() + ": model file not found");
  io::ModelContainer c = io::parse_model_container(read_file(path), path.string());
  ParsedFile parsed;
  try {
    parsed.config = config_from_json(c.header.at("config"));
    parsed.meta = c.header.value("meta", nlohmann::json::object());
  } catch (const std::exception& e) {
    throw Error(path.string() + ": bad model header: " + e.what());
  }
  for (io::NamedTensor& t : c.tensors) {
    torch::Tensor tensor = torch::empty(t.dims, torch::kFloat32);
    if (!t.data.empty()) std::memcpy(tensor.data_ptr<float>(), t.data.data(), t.data.size() * sizeof(float));
    parsed.tensors.emplace_back(std::move(t.name), std::move(tensor));
  }
  // The stored CRC identifies the file (a CRC over data plus its own CRC is a constant).
  parsed.checksum = c.checksum;
  return parsed;
}

void copy_into(const ParsedFile& parsed, RamModel& model, const std::filesystem::path& path) {
  auto params = model->named_parameters();
  if (params.size() != parsed.tensors.size())
    throw Error(path.string() + ": made for another architecture (" + std::to_string(parsed.tensors.size()) +
                " tensors, model has " + std::to_string(params.size()) + ")");
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : parsed.tensors) {
    auto* target = params.find(name);
    if (target == nullptr) throw Error(path.string() + ": made for another architecture (unknown tensor " + name + ")");
    if (!target->sizes().equals(tensor.sizes()))
      throw Error(path.string() + ": made for another architecture (tensor " + name + " has shape " +
                  c10::str(tensor.sizes()) + ", model expects " + c10::str(target->sizes()) + ")");
    target->copy_(tensor);
  }
}

}  // namespace

void save_model(const std::filesystem::path& path, RamModel& model, const nlohmann::json& meta) {
  std::vector<io::NamedTensor> tensors;
  for (const auto& item : model->named_parameters()) {
    const torch::Tensor t = item.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    tensors.push_back({item.key(), t.sizes().vec(), {t.data_ptr<float>(), t.data_ptr<float>() + t.numel()}});
  }
  write_file_atomic(path, io::serialize_model_container({{"config", config_to_json(model->config())}, {"meta", meta}},
                                                        tensors));
}

LoadedModel load_model(const std::filesystem::path& path) {
  ParsedFile parsed = parse(path);
  LoadedModel loaded;
  loaded.model = RamModel(parsed.config);
  copy_into(parsed, loaded.model, path);
  loaded.meta = std::move(parsed.meta);
  loaded.checksum = parsed.checksum;
  loaded.model->eval();
  return loaded;
}

void load_parameters_into(const std::filesystem::path& path, RamModel& model) {
  const ParsedFile parsed = parse(path);
  copy_into(parsed, model, path);
}

}  // namespace mbi::train
