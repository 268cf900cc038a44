#include "mbi/train/model_file.hpp"

#include <cstring>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"
#include "mbi/io/ram_config_json.hpp"

namespace mbi::train {
namespace {

constexpr char kMagic[8] = {'M', 'B', 'I', 'M', 'O', 'D', 'E', 'L'};
constexpr std::uint32_t kVersion = 1;

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

class Reader {
 public:
  Reader(const std::string& bytes, const std::filesystem::path& path) : bytes_(bytes), path_(path) {}
  template <typename T>
  T get() {
    T v;
    need(sizeof v);
    std::memcpy(&v, bytes_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string take(std::size_t n) {
    need(n);
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  const char* take_raw(std::size_t n) {
    need(n);
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }

 private:
  void need(std::size_t n) const {
    if (pos_ + n > bytes_.size()) throw Error(path_.string() + ": truncated model file");
  }
  const std::string& bytes_;
  const std::filesystem::path& path_;
  std::size_t pos_ = 0;
};

struct ParsedFile {
  RamConfig config;
  nlohmann::json meta;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  std::uint32_t checksum = 0;
};

ParsedFile parse(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw Error(path.string() + ": model file not found");
  const std::string bytes = read_file(path);
  if (bytes.size() < sizeof kMagic + 12 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw Error(path.string() + ": not an mbi model file (bad magic)");
  std::uint32_t stored_crc;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  if (crc32(bytes.data(), bytes.size() - 4) != stored_crc)
    throw Error(path.string() + ": model file is corrupt (checksum mismatch)");
  Reader in(bytes, path);
  in.take(sizeof kMagic);
  const auto version = in.get<std::uint32_t>();
  if (version != kVersion)
    throw Error(path.string() + ": model file version " + std::to_string(version) + " is not supported (expected " +
                std::to_string(kVersion) + ")");
  ParsedFile parsed;
  const auto json_len = in.get<std::uint32_t>();
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(in.take(json_len));
    parsed.config = config_from_json(header.at("config"));
    parsed.meta = header.value("meta", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": bad model header: " + e.what());
  }
  const auto n = in.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string name = in.take(in.get<std::uint32_t>());
    const auto ndim = in.get<std::uint32_t>();
    if (ndim > 8) throw Error(path.string() + ": bad tensor rank for " + name);
    std::vector<std::int64_t> dims(ndim);
    std::int64_t numel = 1;
    for (auto& d : dims) {
      d = in.get<std::int64_t>();
      if (d < 0 || d > (1 << 28)) throw Error(path.string() + ": bad tensor shape for " + name);
      numel *= d;
    }
    const char* data = in.take_raw(static_cast<std::size_t>(numel) * sizeof(float));
    torch::Tensor t = torch::empty(dims, torch::kFloat32);
    std::memcpy(t.data_ptr<float>(), data, static_cast<std::size_t>(numel) * sizeof(float));
    parsed.tensors.emplace_back(std::move(name), std::move(t));
  }
  // The stored CRC identifies the file (a CRC over data plus its own CRC is a constant).
  parsed.checksum = stored_crc;
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
  std::string out(kMagic, sizeof kMagic);
  put<std::uint32_t>(out, kVersion);
  const std::string header = nlohmann::json{{"config", config_to_json(model->config())}, {"meta", meta}}.dump();
  put<std::uint32_t>(out, static_cast<std::uint32_t>(header.size()));
  out += header;
  const auto params = model->named_parameters();
  put<std::uint32_t>(out, static_cast<std::uint32_t>(params.size()));
  for (const auto& item : params) {
    const torch::Tensor t = item.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    put<std::uint32_t>(out, static_cast<std::uint32_t>(item.key().size()));
    out += item.key();
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.dim()));
    for (const auto d : t.sizes()) put<std::int64_t>(out, d);
    out.append(reinterpret_cast<const char*>(t.data_ptr<float>()), static_cast<std::size_t>(t.numel()) * sizeof(float));
  }
  put<std::uint32_t>(out, crc32(out.data(), out.size()));
  write_file_atomic(path, out);
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
