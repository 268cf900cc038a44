#pragma once
// Reads a binary file's bytes front to back, every read checked against what is left, so a
// truncated or forged file ends in one clear error instead of a read past the end. Values
// are little-endian on the machines mbi runs on (x86-64, AArch64), as they were written.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mbi/core/error.hpp"

namespace mbi {

class ByteReader {
 public:
  // `source` names the file and `kind` what it holds ("model file"), for the error message
  // "<source>: truncated <kind>".
  ByteReader(std::string_view bytes, std::string source, std::string kind)
      : bytes_(bytes), source_(std::move(source)), kind_(std::move(kind)) {}

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, take(sizeof v).data(), sizeof v);
    return v;
  }
  std::string_view take(std::size_t n) {
    if (n > bytes_.size() - pos_) throw Error(source_ + ": truncated " + kind_);
    const std::string_view s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t left() const { return bytes_.size() - pos_; }

 private:
  std::string_view bytes_;
  std::string source_;
  std::string kind_;
  std::size_t pos_ = 0;
};

// The checked files mbi writes share one frame: "magic | u32 version | ... | u32 crc32 of
// everything before". open_container() checks the magic, the checksum and the version (one-
// line errors: "<source>: not <description> (bad magic)", "<source>: <kind> is corrupt
// (checksum mismatch)", "<source>: <kind> version V is not supported (expected E)") and
// returns a reader over the bytes after the version and before the checksum.
struct CheckedContainer {
  ByteReader reader;
  std::uint32_t checksum;  // the stored CRC-32: identifies the file
};
CheckedContainer open_container(std::string_view bytes, std::string_view magic, std::uint32_t version,
                                const std::string& source, const std::string& description, const std::string& kind);

// Appends `v`'s bytes to `out`: the writing side of ByteReader.
template <typename T>
void put_bytes(std::string& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace mbi
