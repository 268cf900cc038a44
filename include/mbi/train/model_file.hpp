#pragma once
// Teacher model files (.pt by convention, but not a pickle): a versioned, checksummed
// container holding the RamConfig as JSON and every parameter as raw little-endian
// float32, so the file reads the same under any LibTorch version.
//
//   "MBIMODEL" | u32 version | u32 json_len | json | u32 n_tensors |
//   n x (u32 name_len | name | u32 ndim | i64 dims[ndim] | f32 data[]) | u32 crc32(all before)
#include <nlohmann/json.hpp>

#include <filesystem>

#include "mbi/lookup/ram_config.hpp"
#include "mbi/io/ram_config_json.hpp"
#include "mbi/train/ram_model.hpp"

namespace mbi::train {

using io::config_from_json;
using io::config_to_json;

struct LoadedModel {
  RamModel model{nullptr};
  nlohmann::json meta;   // free-form record written beside the config (training summary)
  std::uint32_t checksum = 0;  // CRC-32 of the whole file: identifies the teacher
};

// Writes atomically. `meta` is stored verbatim.
void save_model(const std::filesystem::path& path, RamModel& model, const nlohmann::json& meta = {});
// Throws mbi::Error naming the file when it is missing, corrupt, of another version, or
// when its tensors do not match the architecture its config describes.
LoadedModel load_model(const std::filesystem::path& path);
// Loads parameters into an existing model; refuses a file made for another architecture.
void load_parameters_into(const std::filesystem::path& path, RamModel& model);

}  // namespace mbi::train
