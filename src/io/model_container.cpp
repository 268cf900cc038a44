#include "mbi/io/model_container.hpp"

#include <cstring>

#include "mbi/core/byte_reader.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"

namespace mbi::io {
namespace {

constexpr char kMagic[8] = {'M', 'B', 'I', 'M', 'O', 'D', 'E', 'L'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxRank = 8;

}  // namespace

ModelContainer parse_model_container(std::string_view bytes, const std::string& source) {
  auto [in, checksum] = open_container(bytes, {kMagic, sizeof kMagic}, kVersion, source, "an mbi model file", "model file");
  ModelContainer c;
  c.checksum = checksum;
  const std::string_view header = in.take(in.get<std::uint32_t>());
  try {
    c.header = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": bad model header: " + e.what());
  }
  const auto n = in.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < n; ++i) {
    NamedTensor t;
    t.name = std::string(in.take(in.get<std::uint32_t>()));
    const auto rank = in.get<std::uint32_t>();
    if (rank > kMaxRank) throw Error(source + ": tensor " + std::to_string(i) + " has rank " + std::to_string(rank));
    // Elements are bounded by the bytes left before they are multiplied on: no overflow, and
    // no allocation beyond what the file holds.
    const std::uint64_t most = in.left() / sizeof(float);
    std::uint64_t elements = 1;
    for (std::uint32_t d = 0; d < rank; ++d) {
      const auto size = in.get<std::int64_t>();
      if (size < 0 || (size > 0 && elements > most / static_cast<std::uint64_t>(size)))
        throw Error(source + ": tensor " + std::to_string(i) + " has a bad shape");
      elements *= static_cast<std::uint64_t>(size);
      t.dims.push_back(size);
    }
    const std::string_view data = in.take(static_cast<std::size_t>(elements) * sizeof(float));
    t.data.resize(static_cast<std::size_t>(elements));
    if (!data.empty()) std::memcpy(t.data.data(), data.data(), data.size());
    c.tensors.push_back(std::move(t));
  }
  if (in.left() != 0) throw Error(source + ": " + std::to_string(in.left()) + " stray bytes after the tensors");
  return c;
}

std::string serialize_model_container(const nlohmann::json& header, const std::vector<NamedTensor>& tensors) {
  std::string out(kMagic, sizeof kMagic);
  put_bytes<std::uint32_t>(out, kVersion);
  const std::string text = header.dump();
  put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(text.size()));
  out += text;
  put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(tensors.size()));
  for (const NamedTensor& t : tensors) {
    put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(t.name.size()));
    out += t.name;
    put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(t.dims.size()));
    for (const std::int64_t d : t.dims) put_bytes<std::int64_t>(out, d);
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  }
  put_bytes<std::uint32_t>(out, crc32(out.data(), out.size()));
  return out;
}

}  // namespace mbi::io
