#include "mbi/io/device_json.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/io/json_file.hpp"

namespace mbi::io {
namespace {

using Fields = std::vector<std::pair<const char*, double*>>;

// Fills `fields` from `document[section]`, each {"value", "source"}; every field required.
void read_section(const nlohmann::json& document, const std::string& section, const Fields& fields) {
  if (!document.is_object()) throw Error("a device config must be a JSON object");
  if (!document.contains(section) || !document.at(section).is_object())
    throw Error("no section '" + section + "' (an object of parameter -> {value, source})");
  std::map<std::string, double*> wanted;
  for (const auto& [name, target] : fields) wanted[name] = target;
  std::map<std::string, bool> seen;
  for (const auto& [key, entry] : document.at(section).items()) {
    if (!key.empty() && key[0] == '_') continue;
    const auto it = wanted.find(key);
    if (it == wanted.end()) throw Error(section + "." + key + ": unknown parameter");
    if (!entry.is_object() || !entry.contains("value") || !entry.at("value").is_number() || !entry.contains("source") ||
        !entry.at("source").is_string() || entry.at("source").get<std::string>().empty())
      throw Error(section + "." + key + ": expected {\"value\": number, \"source\": text}");
    for (const auto& [field, v] : entry.items())
      if (field != "value" && field != "source" && (field.empty() || field[0] != '_'))
        throw Error(section + "." + key + "." + field + ": unknown key (expected value and source)");
    *it->second = entry.at("value").get<double>();
    seen[key] = true;
  }
  for (const auto& [name, target] : fields)
    if (!seen.count(name)) throw Error(section + "." + name + ": missing");
}

}  // namespace

device::PcmParameters parse_pcm_parameters(const nlohmann::json& document) {
  device::PcmParameters p;
  read_section(document, "pcm",
               {{"g_max", &p.g_max},
                {"programming_c0", &p.programming_c0},
                {"programming_c1", &p.programming_c1},
                {"programming_c2", &p.programming_c2},
                {"drift_mu_slope", &p.drift_mu_slope},
                {"drift_mu_offset", &p.drift_mu_offset},
                {"drift_mu_min", &p.drift_mu_min},
                {"drift_mu_max", &p.drift_mu_max},
                {"drift_sigma_slope", &p.drift_sigma_slope},
                {"drift_sigma_offset", &p.drift_sigma_offset},
                {"drift_sigma_min", &p.drift_sigma_min},
                {"drift_sigma_max", &p.drift_sigma_max},
                {"t0", &p.t0},
                {"read_q_scale", &p.read_q_scale},
                {"read_q_exponent", &p.read_q_exponent},
                {"read_q_floor", &p.read_q_floor},
                {"read_q_max", &p.read_q_max},
                {"t_read", &p.t_read}});
  p.validate();
  return p;
}

device::PcmParameters load_pcm_parameters(const std::filesystem::path& file) {
  return parse_json_file(file, [](const nlohmann::json& document) { return parse_pcm_parameters(document); });
}

device::TelegraphNoise parse_telegraph_noise(const nlohmann::json& document) {
  device::TelegraphNoise t;
  read_section(document, "telegraph", {{"amplitude", &t.amplitude}, {"occupancy", &t.occupancy}, {"rate", &t.rate}});
  t.validate();
  return t;
}

device::TelegraphNoise load_telegraph_noise(const std::filesystem::path& file) {
  return parse_json_file(file, [](const nlohmann::json& document) { return parse_telegraph_noise(document); });
}

device::DigitalFaults parse_digital_faults(const nlohmann::json& document) {
  device::DigitalFaults d;
  read_section(document, "digital",
               {{"flip_probability", &d.flip_probability}, {"stuck_at_zero", &d.stuck_at_zero}, {"stuck_at_one", &d.stuck_at_one}});
  d.validate();
  return d;
}

device::DigitalFaults load_digital_faults(const std::filesystem::path& file) {
  return parse_json_file(file, [](const nlohmann::json& document) { return parse_digital_faults(document); });
}

}  // namespace mbi::io
