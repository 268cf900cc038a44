#include "mbi/core/byte_reader.hpp"

#include "mbi/core/checksum.hpp"

namespace mbi {

CheckedContainer open_container(std::string_view bytes, std::string_view magic, std::uint32_t version,
                                const std::string& source, const std::string& description, const std::string& kind) {
  if (bytes.size() < magic.size() + 12 || bytes.substr(0, magic.size()) != magic)
    throw Error(source + ": not " + description + " (bad magic)");
  std::uint32_t stored_crc;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  if (crc32(bytes.data(), bytes.size() - 4) != stored_crc) throw Error(source + ": " + kind + " is corrupt (checksum mismatch)");
  ByteReader in(bytes.substr(0, bytes.size() - 4), source, kind);
  in.take(magic.size());
  const auto stored_version = in.get<std::uint32_t>();
  if (stored_version != version)
    throw Error(source + ": " + kind + " version " + std::to_string(stored_version) + " is not supported (expected " +
                std::to_string(version) + ")");
  return {in, stored_crc};
}

}  // namespace mbi
