// The JSON config files mbi reads: hardware parameters (configs/hw), per-event energy
// tables (configs/energy) and device noise parameters (configs/device). Text that parses as JSON must give a config or an mbi::Error
// naming the key at fault; text that does not gives one of nlohmann's exceptions (a parse
// error, or out_of_range for a number past a double), which the loaders turn into a
// one-line error naming the file.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

#include "mbi/core/error.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/io/device_json.hpp"
#include "mbi/io/energy_table_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(data, data + size);
  } catch (const nlohmann::json::exception&) {  // what the file loaders catch too
    return 0;
  }
  try {
    mbi::hw::parse_hw_config(document);
  } catch (const mbi::Error&) {
  }
  try {
    mbi::io::parse_energy_table(document);
  } catch (const mbi::Error&) {
  }
  try {
    mbi::io::parse_pcm_parameters(document);
  } catch (const mbi::Error&) {
  }
  try {
    mbi::io::parse_telegraph_noise(document);
  } catch (const mbi::Error&) {
  }
  try {
    mbi::io::parse_digital_faults(document);
  } catch (const mbi::Error&) {
  }
  return 0;
}
