#include "mbi/cim/float_network_file.hpp"

#include <string>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/byte_reader.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"

namespace mbi::cim {
namespace {

constexpr char kMagic[8] = {'M', 'B', 'I', 'F', 'N', 'E', 'T', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxLayers = 1024;

void put_floats(std::string& out, const std::vector<float>& v) {
  put_bytes<std::uint64_t>(out, v.size());
  for (const float x : v) put_bytes<float>(out, x);
}

// A list refused when the file cannot hold that many (nothing allocated beyond the bytes read).
std::vector<float> get_floats(ByteReader& in, const std::string& source) {
  const auto n = in.get<std::uint64_t>();
  if (n > in.left() / sizeof(float)) throw Error(source + ": truncated float network file (a list of " + std::to_string(n) + ")");
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = in.get<float>();
  return v;
}

}  // namespace

void save_float_network(const std::filesystem::path& path, const FloatNetwork& network) {
  network.validate();
  std::string payload;
  put_bytes<std::uint32_t>(payload, static_cast<std::uint32_t>(network.name.size()));
  payload += network.name;
  put_bytes<std::int32_t>(payload, network.input.channels);
  put_bytes<std::int32_t>(payload, network.input.rows);
  put_bytes<std::int32_t>(payload, network.input.cols);
  put_bytes<float>(payload, network.input_scale);
  put_bytes<std::uint32_t>(payload, static_cast<std::uint32_t>(network.layers.size()));
  for (const FloatLayer& l : network.layers) {
    put_bytes<std::uint8_t>(payload, static_cast<std::uint8_t>(l.kind));
    put_bytes<std::int32_t>(payload, l.kernel);
    put_bytes<std::int32_t>(payload, l.padding);
    put_bytes<std::int32_t>(payload, l.out_channels);
    put_floats(payload, l.weights);
    put_floats(payload, l.bias);
    put_bytes<std::uint8_t>(payload, l.relu ? 1 : 0);
  }
  std::string out(kMagic, sizeof kMagic);
  put_bytes<std::uint32_t>(out, kVersion);
  put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(payload.size()));
  out += payload;
  put_bytes<std::uint32_t>(out, crc32(out.data(), out.size()));
  write_file_atomic(path, out);
}

FloatNetwork load_float_network(const std::filesystem::path& path) { return parse_float_network(read_file(path), path.string()); }

FloatNetwork parse_float_network(std::string_view bytes, const std::string& source) {
  ByteReader in =
      open_container(bytes, {kMagic, sizeof kMagic}, kVersion, source, "a float network file", "float network file").reader;
  if (in.get<std::uint32_t>() != in.left()) throw Error(source + ": float network payload length is wrong");
  FloatNetwork n;
  n.name = std::string(in.take(in.get<std::uint32_t>()));
  n.input.channels = in.get<std::int32_t>();
  n.input.rows = in.get<std::int32_t>();
  n.input.cols = in.get<std::int32_t>();
  n.input_scale = in.get<float>();
  const auto layers = in.get<std::uint32_t>();
  if (layers > kMaxLayers) throw Error(source + ": " + std::to_string(layers) + " layers");
  for (std::uint32_t i = 0; i < layers; ++i) {
    FloatLayer l;
    l.kind = static_cast<ternary::LayerKind>(in.get<std::uint8_t>());
    l.kernel = in.get<std::int32_t>();
    l.padding = in.get<std::int32_t>();
    l.out_channels = in.get<std::int32_t>();
    l.weights = get_floats(in, source);
    l.bias = get_floats(in, source);
    l.relu = in.get<std::uint8_t>() != 0;
    n.layers.push_back(std::move(l));
  }
  if (in.left() != 0) throw Error(source + ": " + std::to_string(in.left()) + " stray bytes after the layers");
  try {
    n.validate();
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return n;
}

}  // namespace mbi::cim
