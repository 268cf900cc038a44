#include "mbi/mlg/network_file.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/byte_reader.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"

namespace mbi::mlg {
namespace {

constexpr char kMagic[8] = {'M', 'B', 'I', 'G', 'N', 'E', 'T', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxOps = 1U << 16;
// The fewest bytes one op takes (kind, six ints, the weight's five ints and two flags, three
// empty tensors, three empty lists): an op count the payload cannot hold is refused before
// anything is allocated for it.
constexpr std::size_t kTensorHeaderBytes = 1 + 4 + 8;
constexpr std::size_t kMinOpBytes = 1 + 6 * 4 + 5 * 4 + 2 + 3 * kTensorHeaderBytes + 3 * 8;

void put_string(std::string& out, const std::string& s) {
  put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

void put_floats(std::string& out, const std::vector<float>& v) {
  put_bytes<std::uint64_t>(out, v.size());
  for (const float x : v) put_bytes<float>(out, x);
}

// bits, scale, count, then float32 values or the codes packed `bits` bits each, least
// significant bit first (code k occupies stream bits k bits .. k bits + bits - 1, stream bit b
// being bit b % 8 of byte b / 8); the last byte's unused high bits are zero.
void put_tensor(std::string& out, const StoredTensor& t) {
  put_bytes<std::uint8_t>(out, static_cast<std::uint8_t>(t.bits));
  put_bytes<float>(out, t.scale);
  put_bytes<std::uint64_t>(out, t.size());
  if (t.bits == 32) {
    for (const float x : t.values) put_bytes<float>(out, x);
    return;
  }
  std::uint32_t pending = 0;  // bits not yet written, lowest first
  int pending_bits = 0;
  for (const std::uint8_t code : t.codes) {
    pending |= static_cast<std::uint32_t>(code) << pending_bits;
    pending_bits += t.bits;
    while (pending_bits >= 8) {
      out += static_cast<char>(pending & 0xFFU);
      pending >>= 8;
      pending_bits -= 8;
    }
  }
  if (pending_bits > 0) out += static_cast<char>(pending & 0xFFU);
}

void put_weight(std::string& out, const GeneratedWeight& w) {
  put_bytes<std::int32_t>(out, w.out);
  put_bytes<std::int32_t>(out, w.in);
  put_bytes<std::int32_t>(out, w.span);
  put_bytes<std::uint8_t>(out, w.level1 ? 1 : 0);
  put_bytes<std::uint8_t>(out, w.level2 ? 1 : 0);
  put_bytes<std::int32_t>(out, w.basis_in);
  put_bytes<std::int32_t>(out, w.basis_out);
  put_tensor(out, w.basis);
  put_tensor(out, w.coefficients);
  put_tensor(out, w.mixing);
}

std::string get_string(ByteReader& in) { return std::string(in.take(in.get<std::uint32_t>())); }

// A list refused when the file cannot hold that many (nothing allocated beyond the bytes read).
std::vector<float> get_floats(ByteReader& in, const std::string& where) {
  const auto n = in.get<std::uint64_t>();
  if (n > in.left() / sizeof(float))
    throw Error(where + "truncated generated network file (a list of " + std::to_string(n) + " floats)");
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = in.get<float>();
  return v;
}

StoredTensor get_tensor(ByteReader& in, const std::string& where) {
  StoredTensor t;
  t.bits = in.get<std::uint8_t>();
  if (t.bits != 32 && (t.bits < 1 || t.bits > 8))
    throw Error(where + "a tensor of " + std::to_string(t.bits) + " bits (1 .. 8 or 32 allowed)");
  t.scale = in.get<float>();
  const auto n = in.get<std::uint64_t>();
  if (t.bits == 32) {
    if (n > in.left() / sizeof(float))
      throw Error(where + "truncated generated network file (a tensor of " + std::to_string(n) + " floats)");
    t.values.resize(static_cast<std::size_t>(n));
    for (float& x : t.values) x = in.get<float>();
    return t;
  }
  const auto bits = static_cast<std::uint64_t>(t.bits);
  // n codes need ceil(n bits / 8) bytes: n bits <= 8 left, tested without overflowing.
  if (n > (static_cast<std::uint64_t>(in.left()) * 8) / bits)
    throw Error(where + "truncated generated network file (a tensor of " + std::to_string(n) + " codes)");
  const std::string_view packed = in.take(static_cast<std::size_t>((n * bits + 7) / 8));
  t.codes.resize(static_cast<std::size_t>(n));
  const std::uint32_t mask = (1U << t.bits) - 1;
  std::uint32_t pending = 0;
  int pending_bits = 0;
  std::size_t next_byte = 0;
  for (std::uint8_t& code : t.codes) {
    while (pending_bits < t.bits) {
      pending |= static_cast<std::uint32_t>(static_cast<unsigned char>(packed[next_byte++])) << pending_bits;
      pending_bits += 8;
    }
    code = static_cast<std::uint8_t>(pending & mask);
    pending >>= t.bits;
    pending_bits -= t.bits;
  }
  // What is left of the last byte must be zero: set bits there would be a code wider than
  // `bits` (the writer never sets them).
  if (pending != 0) throw Error(where + "a packed code has bits set beyond its " + std::to_string(t.bits) + " bits");
  return t;
}

GeneratedWeight get_weight(ByteReader& in, const std::string& where) {
  GeneratedWeight w;
  w.out = in.get<std::int32_t>();
  w.in = in.get<std::int32_t>();
  w.span = in.get<std::int32_t>();
  const auto level1 = in.get<std::uint8_t>();
  const auto level2 = in.get<std::uint8_t>();
  if (level1 > 1 || level2 > 1)
    throw Error(where + "level flags " + std::to_string(level1) + ", " + std::to_string(level2) + " (0 or 1 allowed)");
  w.level1 = level1 == 1;
  w.level2 = level2 == 1;
  w.basis_in = in.get<std::int32_t>();
  w.basis_out = in.get<std::int32_t>();
  w.basis = get_tensor(in, where);
  w.coefficients = get_tensor(in, where);
  w.mixing = get_tensor(in, where);
  return w;
}

}  // namespace

void save_generated_network(const std::filesystem::path& path, const GeneratedNetwork& network) {
  try {
    network.validate();
  } catch (const Error& e) {
    throw Error(path.string() + ": not saved: " + e.what());
  }
  std::string payload;
  put_string(payload, network.name);
  put_string(payload, network.method);
  put_bytes<std::int32_t>(payload, network.input.channels);
  put_bytes<std::int32_t>(payload, network.input.rows);
  put_bytes<std::int32_t>(payload, network.input.cols);
  put_bytes<float>(payload, network.input_scale);
  put_bytes<std::uint32_t>(payload, static_cast<std::uint32_t>(network.ops.size()));
  // Every field of every op, used by its kind or not, so that a load gives back exactly the
  // network saved; the unused ones cost a few dozen bytes per op.
  for (const Op& op : network.ops) {
    put_bytes<std::uint8_t>(payload, static_cast<std::uint8_t>(op.kind));
    put_bytes<std::int32_t>(payload, op.out_channels);
    put_bytes<std::int32_t>(payload, op.kernel_rows);
    put_bytes<std::int32_t>(payload, op.kernel_cols);
    put_bytes<std::int32_t>(payload, op.stride);
    put_bytes<std::int32_t>(payload, op.padding);
    put_bytes<std::int32_t>(payload, op.pool);
    put_weight(payload, op.weight);
    put_floats(payload, op.bias);
    put_floats(payload, op.scale);
    put_floats(payload, op.shift);
  }
  std::string out(kMagic, sizeof kMagic);
  put_bytes<std::uint32_t>(out, kVersion);
  put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(payload.size()));
  out += payload;
  put_bytes<std::uint32_t>(out, crc32(out.data(), out.size()));
  write_file_atomic(path, out);
}

GeneratedNetwork load_generated_network(const std::filesystem::path& path) {
  return parse_generated_network(read_file(path), path.string());
}

GeneratedNetwork parse_generated_network(std::string_view bytes, const std::string& source) {
  ByteReader in = open_container(bytes, {kMagic, sizeof kMagic}, kVersion, source, "a generated network file",
                                 "generated network file")
                      .reader;
  if (in.get<std::uint32_t>() != in.left()) throw Error(source + ": generated network payload length is wrong");
  GeneratedNetwork n;
  n.name = get_string(in);
  n.method = get_string(in);
  n.input.channels = in.get<std::int32_t>();
  n.input.rows = in.get<std::int32_t>();
  n.input.cols = in.get<std::int32_t>();
  n.input_scale = in.get<float>();
  const auto ops = in.get<std::uint32_t>();
  if (ops > kMaxOps || ops > in.left() / kMinOpBytes)
    throw Error(source + ": " + std::to_string(ops) + " ops (the file holds at most " +
                std::to_string(in.left() / kMinOpBytes) + ")");
  n.ops.reserve(ops);
  for (std::uint32_t k = 0; k < ops; ++k) {
    const std::string where = source + ": op " + std::to_string(k) + ": ";
    Op op;
    const auto kind = in.get<std::uint8_t>();
    if (kind < static_cast<std::uint8_t>(OpKind::conv) || kind > static_cast<std::uint8_t>(OpKind::add))
      throw Error(where + "unknown kind " + std::to_string(kind));
    op.kind = static_cast<OpKind>(kind);
    op.out_channels = in.get<std::int32_t>();
    op.kernel_rows = in.get<std::int32_t>();
    op.kernel_cols = in.get<std::int32_t>();
    op.stride = in.get<std::int32_t>();
    op.padding = in.get<std::int32_t>();
    op.pool = in.get<std::int32_t>();
    op.weight = get_weight(in, where);
    op.bias = get_floats(in, where);
    op.scale = get_floats(in, where);
    op.shift = get_floats(in, where);
    n.ops.push_back(std::move(op));
  }
  if (in.left() != 0) throw Error(source + ": " + std::to_string(in.left()) + " stray bytes after the ops");
  try {
    n.validate();
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return n;
}

}  // namespace mbi::mlg
