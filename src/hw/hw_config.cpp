#include "mbi/hw/hw_config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"

namespace mbi::hw {

KeySpec paper_key() {
  // phi: 3 scales x 16 values of 2 bits; h: 64 x 1 bit; l: pixel coordinates 0..28.
  // Weights: the paper's best BO point (a, b, c) = (29.98, 16.08, 9.93).
  KeySpec key;
  key.segments = {{"glimpse0", 16, 4}, {"glimpse1", 16, 4}, {"glimpse2", 16, 4},
                  {"hidden", 64, 2},   {"loc_x", 1, 29},    {"loc_y", 1, 29}};
  key.weights = {29.98, 29.98, 29.98, 16.08, 9.93, 9.93};
  key.components = {0, 0, 0, 1, 2, 2};
  return key;
}

std::vector<CimBaseline> paper_baselines() {
  return {
      {"MLP-CIM", "[12] (paper Table I)", "MLP", 28, 930816, 8, 930816, 18.45, 0.88, 99.15, 100.9},
      {"ResNet20-CIM", "[13] (paper Table I)", "ResNet20", 55, 272650, 5, 114947584, 18.37, 0.162, 99.52, 12510.0},
      {"LeNet-CIM", "[14] (paper Table I)", "LeNet", 65, 61706, 1, 411240, 40.3, 0.007, 98.0, 20.4},
  };
}

HwConfig default_hw_config() {
  HwConfig c;
  c.key = paper_key();
  c.baselines = paper_baselines();
  return c;
}

namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw Error(where + ": " + what); }

// Reading and writing of one field, by type.
void read(const json& j, const std::string& where, double& out) {
  if (!j.is_number()) fail(where, "expected a number");
  out = j.get<double>();
  if (!std::isfinite(out)) fail(where, "expected a finite number");
}
void read(const json& j, const std::string& where, std::uint32_t& out) {
  if (!j.is_number_integer() || j.get<long long>() < 0 || j.get<long long>() > std::numeric_limits<std::uint32_t>::max())
    fail(where, "expected a non-negative integer");
  out = j.get<std::uint32_t>();
}
void read(const json& j, const std::string& where, std::size_t& out) {
  if (!j.is_number_integer() || j.get<long long>() < 0) fail(where, "expected a non-negative integer");
  out = j.get<std::size_t>();
}
void read(const json& j, const std::string& where, std::string& out) {
  if (!j.is_string()) fail(where, "expected a string");
  out = j.get<std::string>();
}
void read(const json& j, const std::string& where, std::vector<double>& out) {
  if (!j.is_array()) fail(where, "expected an array of numbers");
  out.clear();
  for (std::size_t i = 0; i < j.size(); ++i) read(j[i], where + "[" + std::to_string(i) + "]", out.emplace_back());
}
void read(const json& j, const std::string& where, AdcRange& out) {
  std::string s;
  read(j, where, s);
  if (s == "unit_step")
    out = AdcRange::unit_step;
  else if (s == "array_span")
    out = AdcRange::array_span;
  else if (s == "fixed_volts")
    out = AdcRange::fixed_volts;
  else
    fail(where, "expected unit_step, array_span or fixed_volts");
}

template <class T>
json write(const T& v) {
  return json(v);
}
json write(const AdcRange& r) {
  return r == AdcRange::unit_step ? "unit_step" : r == AdcRange::array_span ? "array_span" : "fixed_volts";
}

// The fields of each section, listed once for reading and writing.
template <class V>
void fields(ArrayConfig& a, V&& v) {
  v("rows", a.rows);
  v("cols", a.cols);
  v("v_precharge_max_v", a.v_precharge_max_v);
  v("adc_bits", a.adc_bits);
  v("adc_range", a.adc_range);
  v("adc_full_scale_v", a.adc_full_scale_v);
  v("tiles", a.tiles);
}
template <class V>
void fields(DeviceParams& d, V&& v) {
  v("vdd_v", d.vdd_v);
  v("vth0_v", d.vth0_v);
  v("alpha", d.alpha);
  v("ion_ua", d.ion_ua);
  v("sigma_vth_mv", d.sigma_vth_mv);
  v("req_factor", d.req_factor);
  v("read_stack_devices", d.read_stack_devices);
  v("precharge_width", d.precharge_width);
  v("bitline_cap_ff", d.bitline_cap_ff);
  v("bitline_cap_sigma", d.bitline_cap_sigma);
  v("sumline_cap_ff", d.sumline_cap_ff);
  v("precharge_ns", d.precharge_ns);
  v("discharge_ns", d.discharge_ns);
}
template <class V>
void fields(EnergyParams& e, V&& v) {
  v("discharged_line_fraction", e.discharged_line_fraction);
  v("query_line_cap_ff", e.query_line_cap_ff);
  v("query_toggle_fraction", e.query_toggle_fraction);
  v("wordline_cap_ff", e.wordline_cap_ff);
  v("control_cap_ff", e.control_cap_ff);
  v("peripheral_overhead_pj", e.peripheral_overhead_pj);
  v("adc_comparator_pj_per_bit", e.adc_comparator_pj_per_bit);
  v("adc_dac_pj_per_unit", e.adc_dac_pj_per_unit);
  v("logic_multiply_pj", e.logic_multiply_pj);
  v("logic_add_pj", e.logic_add_pj);
  v("logic_compare_pj", e.logic_compare_pj);
  v("logic_register_pj", e.logic_register_pj);
  v("link_read_pj", e.link_read_pj);
}
template <class V>
void fields(VariabilitySettings& s, V&& v) {
  v("trials", s.trials);
  v("histogram_bin_mv", s.histogram_bin_mv);
  v("sigma_sweep_mv", s.sigma_sweep_mv);
}
template <class V>
void fields(SearchWorkload& w, V&& v) {
  v("glimpses", w.glimpses);
  v("tree_levels", w.tree_levels);
  v("keys_per_node", w.keys_per_node);
  v("key_splits", w.key_splits);
}
template <class V>
void fields(MbiEntry& m, V&& v) {
  v("model", m.model);
  v("node_nm", m.node_nm);
  v("accuracy_pct", m.accuracy_pct);
  v("storage_mb", m.storage_mb);
  v("data", m.data);
}
template <class V>
void fields(CimBaseline& b, V&& v) {
  v("name", b.name);
  v("reference", b.reference);
  v("model", b.model);
  v("node_nm", b.node_nm);
  v("weights", b.weights);
  v("weight_bits", b.weight_bits);
  v("macs", b.macs);
  v("tops_per_w", b.tops_per_w);
  v("storage_mb", b.storage_mb);
  v("accuracy_pct", b.accuracy_pct);
  v("energy_nj", b.energy_nj);
  v("data", b.data);
}

bool is_note(const std::string& key) { return !key.empty() && key.front() == '_'; }

// Reads the known fields of `object` into `target`, rejecting unknown keys.
template <class T>
void read_section(const json& object, const std::string& where, T& target) {
  if (!object.is_object()) fail(where, "expected an object");
  std::vector<std::string> known;
  fields(target, [&](const char* key, auto& field) {
    known.emplace_back(key);
    if (auto it = object.find(key); it != object.end()) read(*it, where + "." + key, field);
  });
  for (const auto& [key, value] : object.items())
    if (!is_note(key) && std::find(known.begin(), known.end(), key) == known.end())
      fail(where + "." + key, "unknown key");
}

template <class T>
json write_section(T value) {
  json out = json::object();
  fields(value, [&](const char* key, auto& field) { out[key] = write(field); });
  return out;
}

KeySpec read_key(const json& object, const std::string& where) {
  if (!object.is_object()) fail(where, "expected an object");
  for (const auto& [key, value] : object.items())
    if (!is_note(key) && key != "segments") fail(where + "." + key, "unknown key");
  const auto it = object.find("segments");
  if (it == object.end() || !it->is_array() || it->empty()) fail(where + ".segments", "expected a non-empty array");
  KeySpec key;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& s = (*it)[i];
    const std::string at = where + ".segments[" + std::to_string(i) + "]";
    if (!s.is_object()) fail(at, "expected an object");
    SegmentSpec spec;
    double weight = 1.0;
    std::uint32_t component = static_cast<std::uint32_t>(i);
    for (const auto& [name, value] : s.items()) {
      if (is_note(name)) continue;
      if (name == "name")
        read(value, at + ".name", spec.name);
      else if (name == "values")
        read(value, at + ".values", spec.values);
      else if (name == "levels")
        read(value, at + ".levels", spec.levels);
      else if (name == "weight")
        read(value, at + ".weight", weight);
      else if (name == "component")
        read(value, at + ".component", component);
      else
        fail(at + "." + name, "unknown key");
    }
    if (spec.values == 0) fail(at + ".values", "must be at least 1");
    if (spec.levels < 2 || spec.levels > 256) fail(at + ".levels", "must lie in [2, 256]");
    key.segments.push_back(spec);
    key.weights.push_back(weight);
    key.components.push_back(component);
  }
  return key;
}

void validate(const HwConfig& c) {
  const ArrayConfig& a = c.array;
  const DeviceParams& d = a.device;
  if (a.rows == 0 || a.cols == 0) fail("array", "rows and cols must be positive");
  if (a.tiles == 0) fail("array.tiles", "must be at least 1");
  if (a.adc_bits > 16) fail("array.adc_bits", "must be at most 16");
  if (!(a.v_precharge_max_v > 0)) fail("array.v_precharge_max_v", "must be positive");
  if (a.adc_range == AdcRange::fixed_volts && !(a.adc_full_scale_v > 0))
    fail("array.adc_full_scale_v", "must be positive with adc_range fixed_volts");
  if (!(d.vdd_v > d.vth0_v)) fail("device.vdd_v", "must exceed vth0_v");
  if (!(d.ion_ua > 0) || !(d.alpha > 0) || !(d.req_factor > 0)) fail("device", "ion_ua, alpha and req_factor must be positive");
  if (d.read_stack_devices == 0) fail("device.read_stack_devices", "must be at least 1");
  if (!(d.precharge_width > 0)) fail("device.precharge_width", "must be positive");
  if (!(d.bitline_cap_ff > 0) || d.sumline_cap_ff < 0) fail("device", "capacitances must be positive");
  if (d.sigma_vth_mv < 0 || d.bitline_cap_sigma < 0) fail("device", "sigmas must not be negative");
  if (!(d.precharge_ns > 0) || !(d.discharge_ns > 0)) fail("device", "precharge_ns and discharge_ns must be positive");
  if (c.variability.trials == 0) fail("variability.trials", "must be at least 1");
  if (!(c.variability.histogram_bin_mv > 0)) fail("variability.histogram_bin_mv", "must be positive");
  for (const CimBaseline& b : c.baselines)
    if (!(b.node_nm > 0)) fail("baselines." + b.name + ".node_nm", "must be positive");
}

}  // namespace

HwConfig parse_hw_config(const json& document) {
  if (!document.is_object()) fail("(top level)", "expected an object");
  HwConfig c = default_hw_config();
  for (const auto& [key, value] : document.items()) {
    if (is_note(key)) continue;
    if (key == "array")
      read_section(value, key, c.array);
    else if (key == "device")
      read_section(value, key, c.array.device);
    else if (key == "energy")
      read_section(value, key, c.energy);
    else if (key == "variability")
      read_section(value, key, c.variability);
    else if (key == "workload")
      read_section(value, key, c.workload);
    else if (key == "mbi")
      read_section(value, key, c.mbi);
    else if (key == "key")
      c.key = read_key(value, key);
    else if (key == "baselines") {
      if (!value.is_array()) fail(key, "expected an array");
      c.baselines.clear();
      for (std::size_t i = 0; i < value.size(); ++i)
        read_section(value[i], "baselines[" + std::to_string(i) + "]", c.baselines.emplace_back());
    } else {
      fail(key, "unknown key");
    }
  }
  validate(c);
  return c;
}

HwConfig load_hw_config(const std::filesystem::path& file) {
  const std::string origin = file.string();
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error&) {
    throw Error(origin + ": cannot read the file");
  }
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(origin + ": invalid JSON: " + e.what());
  }
  try {
    return parse_hw_config(document);
  } catch (const Error& e) {
    throw Error(origin + ": " + e.what());
  }
}

json to_json(const HwConfig& c) {
  json out;
  out["array"] = write_section(c.array);
  out["device"] = write_section(c.array.device);
  out["energy"] = write_section(c.energy);
  out["variability"] = write_section(c.variability);
  out["workload"] = write_section(c.workload);
  out["mbi"] = write_section(c.mbi);
  json segments = json::array();
  for (std::size_t i = 0; i < c.key.segments.size(); ++i)
    segments.push_back({{"name", c.key.segments[i].name},
                        {"values", c.key.segments[i].values},
                        {"levels", c.key.segments[i].levels},
                        {"weight", c.key.weights[i]},
                        {"component", c.key.components[i]}});
  out["key"] = {{"segments", segments}};
  out["baselines"] = json::array();
  for (const CimBaseline& b : c.baselines) out["baselines"].push_back(write_section(b));
  return out;
}

}  // namespace mbi::hw
