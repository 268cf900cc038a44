#include "mbi/ternary/network_file.hpp"

#include <string>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/byte_reader.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"

namespace mbi::ternary {
namespace {

constexpr char kMagic[8] = {'M', 'B', 'I', 'T', 'N', 'E', 'T', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxLayers = 1024;

void put_string(std::string& out, const std::string& s) {
  put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

template <typename T>
void put_vector(std::string& out, const std::vector<T>& v) {
  put_bytes<std::uint64_t>(out, v.size());
  for (const T& x : v) put_bytes<T>(out, x);
}

// A count of elements of `bytes_each` bytes, refused when the file cannot hold that many
// (so nothing is allocated beyond the bytes read).
template <typename T>
std::vector<T> get_vector(ByteReader& in, const std::string& source) {
  const auto n = in.get<std::uint64_t>();
  if (n > in.left() / sizeof(T)) throw Error(source + ": truncated ternary network file (a list of " + std::to_string(n) + ")");
  std::vector<T> v(static_cast<std::size_t>(n));
  for (T& x : v) x = in.get<T>();
  return v;
}

}  // namespace

void save_network(const std::filesystem::path& path, const Network& network) {
  network.validate();
  std::string payload;
  put_string(payload, network.name);
  put_bytes<std::int32_t>(payload, network.input.channels);
  put_bytes<std::int32_t>(payload, network.input.rows);
  put_bytes<std::int32_t>(payload, network.input.cols);
  put_bytes<std::int32_t>(payload, network.activation_bits);
  put_vector(payload, network.input_thresholds);
  put_bytes<std::uint32_t>(payload, static_cast<std::uint32_t>(network.layers.size()));
  for (const Layer& l : network.layers) {
    put_bytes<std::uint8_t>(payload, static_cast<std::uint8_t>(l.kind));
    put_bytes<std::int32_t>(payload, l.kernel);
    put_bytes<std::int32_t>(payload, l.padding);
    put_bytes<std::int32_t>(payload, l.out_channels);
    put_vector(payload, l.weights);
    put_bytes<std::uint8_t>(payload, l.has_activation ? 1 : 0);
    put_vector(payload, l.thresholds);
    put_vector(payload, l.rising);
  }
  std::string out(kMagic, sizeof kMagic);
  put_bytes<std::uint32_t>(out, kVersion);
  put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(payload.size()));
  out += payload;
  put_bytes<std::uint32_t>(out, crc32(out.data(), out.size()));
  write_file_atomic(path, out);
}

Network load_network(const std::filesystem::path& path) { return parse_network(read_file(path), path.string()); }

Network parse_network(std::string_view bytes, const std::string& source) {
  ByteReader in = open_container(bytes, {kMagic, sizeof kMagic}, kVersion, source, "a ternary network file",
                                 "ternary network file")
                      .reader;
  if (in.get<std::uint32_t>() != in.left()) throw Error(source + ": ternary network payload length is wrong");
  Network n;
  n.name = std::string(in.take(in.get<std::uint32_t>()));
  n.input.channels = in.get<std::int32_t>();
  n.input.rows = in.get<std::int32_t>();
  n.input.cols = in.get<std::int32_t>();
  n.activation_bits = in.get<std::int32_t>();
  n.input_thresholds = get_vector<std::int64_t>(in, source);
  const auto layers = in.get<std::uint32_t>();
  if (layers > kMaxLayers) throw Error(source + ": " + std::to_string(layers) + " layers");
  for (std::uint32_t i = 0; i < layers; ++i) {
    Layer l;
    l.kind = static_cast<LayerKind>(in.get<std::uint8_t>());
    l.kernel = in.get<std::int32_t>();
    l.padding = in.get<std::int32_t>();
    l.out_channels = in.get<std::int32_t>();
    l.weights = get_vector<std::int8_t>(in, source);
    l.has_activation = in.get<std::uint8_t>() != 0;
    l.thresholds = get_vector<std::int64_t>(in, source);
    l.rising = get_vector<std::uint8_t>(in, source);
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

}  // namespace mbi::ternary
