#include "mbi/io/ram_config_json.hpp"

#include "mbi/core/error.hpp"

namespace mbi::io {

nlohmann::json config_to_json(const RamConfig& c) {
  return {{"image_rows", c.image_rows},
          {"image_cols", c.image_cols},
          {"classes", c.classes},
          {"norm_mean", c.norm_mean},
          {"norm_std", c.norm_std},
          {"glimpses", c.glimpses},
          {"patch", c.patch},
          {"patches", c.patches},
          {"scale", c.scale},
          {"glimpse_hidden", c.glimpse_hidden},
          {"loc_hidden", c.loc_hidden},
          {"glimpse_out", c.glimpse_out},
          {"core_width", c.core_width},
          {"added_core_layers", c.added_core_layers},
          {"hidden", c.hidden},
          {"loc_net_hidden", c.loc_net_hidden},
          {"glimpse_bits", c.glimpse_bits},
          {"hidden_bits", c.hidden_bits},
          {"phi_lo", c.phi_lo},
          {"phi_hi", c.phi_hi},
          {"policy_std", c.policy_std},
          {"start", c.start == StartPolicy::kRandom ? "random" : "fixed"},
          {"start_x", c.start_x},
          {"start_y", c.start_y}};
}

RamConfig config_from_json(const nlohmann::json& j) {
  RamConfig c;
  const nlohmann::json defaults = config_to_json(c);
  for (const auto& [key, value] : j.items())
    if (!defaults.contains(key)) throw Error("unknown model config key '" + key + "'");
  auto get = [&](const char* key, auto& field) {
    if (j.contains(key)) j.at(key).get_to(field);
  };
  get("image_rows", c.image_rows);
  get("image_cols", c.image_cols);
  get("classes", c.classes);
  get("norm_mean", c.norm_mean);
  get("norm_std", c.norm_std);
  get("glimpses", c.glimpses);
  get("patch", c.patch);
  get("patches", c.patches);
  get("scale", c.scale);
  get("glimpse_hidden", c.glimpse_hidden);
  get("loc_hidden", c.loc_hidden);
  get("glimpse_out", c.glimpse_out);
  get("core_width", c.core_width);
  get("added_core_layers", c.added_core_layers);
  get("hidden", c.hidden);
  get("loc_net_hidden", c.loc_net_hidden);
  get("glimpse_bits", c.glimpse_bits);
  get("hidden_bits", c.hidden_bits);
  get("phi_lo", c.phi_lo);
  get("phi_hi", c.phi_hi);
  get("policy_std", c.policy_std);
  get("start_x", c.start_x);
  get("start_y", c.start_y);
  if (j.contains("start")) {
    const auto s = j.at("start").get<std::string>();
    if (s != "random" && s != "fixed") throw Error("model config: start must be random or fixed");
    c.start = s == "random" ? StartPolicy::kRandom : StartPolicy::kFixed;
  }
  return c;
}

}  // namespace mbi::io
