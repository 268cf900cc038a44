// Device noise configs: the shipped files load into the parameters the models are tested
// with, and a missing, unknown or malformed parameter is refused naming the file and key.
#include "mbi/io/device_json.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"

namespace mbi::io {
namespace {

namespace fs = std::filesystem;

TEST(DeviceJson, ShippedConfigsLoadTheModelsDefaults) {
  const fs::path root = fs::path(MBI_SOURCE_DIR) / "configs/device";
  const device::PcmParameters p = load_pcm_parameters(root / "pcm_aihwkit.json");
  const device::PcmParameters d;
  EXPECT_EQ(p.g_max, d.g_max);
  EXPECT_EQ(p.programming_c1, d.programming_c1);
  EXPECT_EQ(p.drift_sigma_offset, d.drift_sigma_offset);
  EXPECT_EQ(p.read_q_exponent, d.read_q_exponent);
  EXPECT_EQ(p.t_read, d.t_read);
  const device::TelegraphNoise t = load_telegraph_noise(root / "telegraph_and_faults.json");
  EXPECT_EQ(t.amplitude, 0.1);
  const device::DigitalFaults f = load_digital_faults(root / "telegraph_and_faults.json");
  EXPECT_EQ(f.flip_probability, 0.001);
}

TEST(DeviceJson, RefusalsNameTheFileAndTheKey) {
  const fs::path dir = fs::temp_directory_path() / ("mbi_device_json_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string good = read_file(fs::path(MBI_SOURCE_DIR) / "configs/device/pcm_aihwkit.json");
  auto refused = [&](const std::string& text) -> std::string {
    const fs::path f = dir / "pcm.json";
    write_file_atomic(f, text);
    try {
      load_pcm_parameters(f);
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_NE(refused(replaced("\"t0\": {\"value\": 20.0,", "\"t0x\": {\"value\": 20.0,")).find("pcm.t0x: unknown"), std::string::npos);
  EXPECT_NE(refused(replaced("\"g_max\": {\"value\": 25.0,", "\"g_max\": {\"value\": \"25\",")).find("pcm.g_max: expected"),
            std::string::npos);
  EXPECT_NE(refused(replaced("\"g_max\": {\"value\": 25.0,", "\"g_max\": {\"value\": -25.0,")).find("g_max must be a positive"),
            std::string::npos);
  EXPECT_NE(refused("{\"pcm\": {}}").find("pcm.g_max: missing"), std::string::npos);
  EXPECT_NE(refused("{\"other\": 1}").find("no section 'pcm'"), std::string::npos);
  EXPECT_NE(refused("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_EQ(refused("{\"pcm\": {}}").rfind((dir / "pcm.json").string(), 0), 0U);  // the file comes first
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mbi::io
