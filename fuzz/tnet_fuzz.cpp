// Ternary network files (.tnet). The input gets a valid checksum appended, so mutations reach
// the parser behind it instead of stopping at the CRC: any bytes must give a valid network
// or an mbi::Error, and a valid network small enough to run must run.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mbi/core/byte_reader.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"
#include "mbi/ternary/network_file.hpp"
#include "mbi/ternary/reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  mbi::put_bytes<std::uint32_t>(bytes, mbi::crc32(bytes.data(), bytes.size()));
  try {
    const mbi::ternary::Network n = mbi::ternary::parse_network(bytes, "fuzz.tnet");
    std::size_t work = 0;
    for (const mbi::ternary::Layer& l : n.layers) work += l.weights.size();
    for (const mbi::ternary::Shape& s : n.shapes()) work += s.size();
    if (n.input.size() <= 4096 && work <= 1'000'000) {
      const std::vector<std::uint8_t> pixels(n.input.size(), 200);
      mbi::ternary::predict(n, pixels.data());
    }
  } catch (const mbi::Error&) {
  }
  return 0;
}
