#include "mbi/hw/hw_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mbi/core/error.hpp"

namespace mbi::hw {
namespace {

const std::filesystem::path kShipped = std::filesystem::path(MBI_SOURCE_DIR) / "configs/hw/sram16nm.json";

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("mbi_hw_test_" + std::to_string(::getpid()) + "_" + name + ".json");
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::filesystem::path& path) {
  try {
    load_hw_config(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(HwConfig, ShippedFileEqualsBuiltInDefaults) {
  const HwConfig loaded = load_hw_config(kShipped);
  EXPECT_EQ(to_json(loaded), to_json(default_hw_config()));
}

TEST(HwConfig, RoundTripsThroughJson) {
  HwConfig c = default_hw_config();
  c.array.adc_bits = 6;
  c.array.adc_range = AdcRange::array_span;
  c.array.device.sigma_vth_mv = 45;
  c.key.segments.pop_back();
  c.key.weights.pop_back();
  c.key.components.pop_back();
  EXPECT_EQ(to_json(parse_hw_config(to_json(c))), to_json(c));
}

TEST(HwConfig, PartialFileKeepsDefaults) {
  const HwConfig c = load_hw_config(write_temp("partial", R"({"array": {"adc_bits": 6}, "_notes": "x"})"));
  EXPECT_EQ(c.array.adc_bits, 6U);
  EXPECT_EQ(c.array.cols, 32U);
  EXPECT_EQ(c.key.segments.size(), 6U);
}

TEST(HwConfig, ErrorsAreOneLineAndNameTheFile) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"syntax", R"({"array": {"rows": 32,}})"},
      {"unknown_key", R"({"array": {"rowz": 32}})"},
      {"unknown_section", R"({"arrays": {}})"},
      {"wrong_type", R"({"device": {"vdd_v": "0.8"}})"},
      {"negative", R"({"array": {"rows": -1}})"},
      {"bad_enum", R"({"array": {"adc_range": "huge"}})"},
      {"bad_value", R"({"device": {"vdd_v": 0.3}})"},
      {"bad_segment", R"({"key": {"segments": [{"name": "x", "values": 4, "levels": 1}]}})"},
      {"not_object", R"([1, 2])"},
  };
  for (const auto& [name, text] : cases) {
    const auto path = write_temp(name, text);
    const std::string message = error_of(path);
    EXPECT_NE(message.find(path.string()), std::string::npos) << name << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << name << ": " << message;
  }
  EXPECT_NE(error_of(write_temp("unknown_key", R"({"array": {"rowz": 32}})")).find("array.rowz"), std::string::npos);
  EXPECT_NE(error_of(write_temp("wrong_type", R"({"device": {"vdd_v": "0.8"}})")).find("device.vdd_v"), std::string::npos);
}

TEST(HwConfig, MissingFileIsNamed) {
  const std::string message = error_of("/nonexistent/hw.json");
  EXPECT_NE(message.find("/nonexistent/hw.json"), std::string::npos) << message;
}

}  // namespace
}  // namespace mbi::hw
