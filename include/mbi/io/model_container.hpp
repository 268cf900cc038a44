#pragma once
// The bytes of a model file (.pt by convention, but not a pickle), apart from any tensor
// library: a versioned, checksummed container of a JSON header and named float32 tensors, so
// that the file reads the same under any LibTorch version and can be checked (and fuzzed)
// without one. mbi::train::save_model and load_model fill it from and into a model.
//
//   "MBIMODEL" | u32 version | u32 json_len | json | u32 n_tensors |
//   n x (u32 name_len | name | u32 ndim | i64 dims[ndim] | f32 data[]) | u32 crc32(all before)
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mbi::io {

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> dims;
  std::vector<float> data;  // product of dims values, row-major
};

struct ModelContainer {
  nlohmann::json header;  // {"config": ..., "meta": ...}
  std::vector<NamedTensor> tensors;
  std::uint32_t checksum = 0;  // the stored CRC-32: identifies the file
};

// Throws mbi::Error naming `source` when the bytes are not a well-formed container of this
// version: bad magic, checksum mismatch, truncation, a header that is not JSON, a tensor of
// more than 8 dimensions or more elements than the bytes hold.
ModelContainer parse_model_container(std::string_view bytes, const std::string& source);
// The container's bytes, checksum included.
std::string serialize_model_container(const nlohmann::json& header, const std::vector<NamedTensor>& tensors);

}  // namespace mbi::io
