// The .gnet file: a bit-exact round trip for every bit width, codes packed least significant bit
// first, and a one-line refusal naming the file for every damaged or forged file.
#include "mbi/mlg/network_file.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"
#include "mlg_fixtures.hpp"

namespace mbi::mlg {
namespace {

using test::random_network;

void expect_same_tensor(const StoredTensor& a, const StoredTensor& b, const std::string& what) {
  EXPECT_EQ(a.bits, b.bits) << what;
  EXPECT_EQ(std::memcmp(&a.scale, &b.scale, sizeof a.scale), 0) << what;
  EXPECT_EQ(a.codes, b.codes) << what;
  ASSERT_EQ(a.values.size(), b.values.size()) << what;
  if (!a.values.empty()) {
    EXPECT_EQ(std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)), 0) << what;
  }
}

// Every field of both networks, floats compared bit for bit.
void expect_same_network(const GeneratedNetwork& a, const GeneratedNetwork& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.input, b.input);
  EXPECT_EQ(std::memcmp(&a.input_scale, &b.input_scale, sizeof(float)), 0);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (std::size_t k = 0; k < a.ops.size(); ++k) {
    const Op &x = a.ops[k], &y = b.ops[k];
    const std::string what = "op " + std::to_string(k);
    EXPECT_EQ(x.kind, y.kind) << what;
    EXPECT_EQ(x.out_channels, y.out_channels) << what;
    EXPECT_EQ(x.kernel_rows, y.kernel_rows) << what;
    EXPECT_EQ(x.kernel_cols, y.kernel_cols) << what;
    EXPECT_EQ(x.stride, y.stride) << what;
    EXPECT_EQ(x.padding, y.padding) << what;
    EXPECT_EQ(x.pool, y.pool) << what;
    EXPECT_EQ(x.bias, y.bias) << what;
    EXPECT_EQ(x.scale, y.scale) << what;
    EXPECT_EQ(x.shift, y.shift) << what;
    const GeneratedWeight &v = x.weight, &w = y.weight;
    EXPECT_EQ(v.out, w.out) << what;
    EXPECT_EQ(v.in, w.in) << what;
    EXPECT_EQ(v.span, w.span) << what;
    EXPECT_EQ(v.level1, w.level1) << what;
    EXPECT_EQ(v.level2, w.level2) << what;
    EXPECT_EQ(v.basis_in, w.basis_in) << what;
    EXPECT_EQ(v.basis_out, w.basis_out) << what;
    expect_same_tensor(v.basis, w.basis, what + " B");
    expect_same_tensor(v.coefficients, w.coefficients, what + " U");
    expect_same_tensor(v.mixing, w.mixing, what + " V");
  }
}

// Recomputes the checksum after a forged edit, so that the parser gets past it.
void reseal(std::string& bytes) {
  const std::uint32_t crc = crc32(bytes.data(), bytes.size() - 4);
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
}

template <typename T>
void poke(std::string& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}

// Where the first op starts: magic, version, payload length, name, method, input, scale, op count.
std::size_t first_op_offset(const GeneratedNetwork& n) {
  return 8 + 4 + 4 + (4 + n.name.size()) + (4 + n.method.size()) + 12 + 4 + 4;
}

class GeneratedNetworkFile : public ::testing::Test {
 protected:
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mbi_gnet_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  static std::string bytes_of(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void write(const std::filesystem::path& p, const std::string& b) { std::ofstream(p, std::ios::binary) << b; }
  // The refusal is one line naming the file, and mentions `what`.
  void expect_refused(const std::filesystem::path& p, const std::string& what = "") {
    try {
      load_generated_network(p);
      ADD_FAILURE() << "loaded a damaged file (" << what << ")";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(p.string(), 0), 0U) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_NE(message.find(what), std::string::npos) << message;
    }
  }
  void expect_refused_bytes(const std::string& bytes, const std::string& what) {
    const auto p = dir / "forged.gnet";
    write(p, bytes);
    expect_refused(p, what);
  }
};

TEST_F(GeneratedNetworkFile, RoundTripIsBitExactForEveryBitWidth) {
  for (const int bits : {1, 2, 3, 4, 5, 6, 7, 8, 32, -1}) {
    SCOPED_TRACE(bits);
    GeneratedNetwork n = random_network(100 + static_cast<std::uint64_t>(bits + 1), bits == -1, bits);
    n.name = "net " + std::to_string(bits);
    n.input_scale = 0.0123F;
    const auto path = dir / "a.gnet";
    save_generated_network(path, n);
    const GeneratedNetwork m = load_generated_network(path);
    expect_same_network(m, n);
    // Saving again gives the same bytes.
    save_generated_network(dir / "b.gnet", m);
    EXPECT_EQ(bytes_of(path), bytes_of(dir / "b.gnet"));
    // The file holds about the bytes memory() counts: codes packed, plus a fixed header per op.
    const std::uint64_t size = std::filesystem::file_size(path);
    EXPECT_GE(size, n.memory().total_bytes());
    EXPECT_LE(size, n.memory().total_bytes() + 64 + 160 * n.ops.size());
  }
}

TEST_F(GeneratedNetworkFile, CodesArePackedLeastSignificantBitFirst) {
  GeneratedNetwork n;
  n.input = {1, 1, 5};
  Op dense;
  dense.kind = OpKind::conv;
  dense.out_channels = 1;
  dense.kernel_rows = 1;
  dense.kernel_cols = 5;
  dense.weight.out = 1;
  dense.weight.in = 1;
  dense.weight.span = 5;
  dense.weight.basis_out = 1;
  dense.weight.coefficients.bits = 3;
  dense.weight.coefficients.scale = 1234.5F;
  dense.weight.coefficients.codes = {1, 2, 3, 4, 5};
  n.ops = {dense};
  save_generated_network(dir / "p.gnet", n);
  const std::string bytes = bytes_of(dir / "p.gnet");
  // U follows the empty B: bits, scale, count 5, then 15 bits in 2 bytes:
  // 001 010 011 100 101 from bit 0 up = 0b11010001 0b01011000 (the last bit zero).
  std::string header(1, '\x03');
  const float scale = 1234.5F;
  header.append(reinterpret_cast<const char*>(&scale), 4);
  const std::uint64_t count = 5;
  header.append(reinterpret_cast<const char*>(&count), 8);
  const std::size_t at = bytes.find(header);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(static_cast<unsigned char>(bytes[at + 13]), 0xD1);
  EXPECT_EQ(static_cast<unsigned char>(bytes[at + 14]), 0x58);
  expect_same_network(load_generated_network(dir / "p.gnet"), n);
}

TEST_F(GeneratedNetworkFile, DamagedFilesAreRefusedNamingTheFile) {
  const GeneratedNetwork n = random_network(3);
  const auto path = dir / "a.gnet";
  save_generated_network(path, n);
  const std::string good = bytes_of(path);
  expect_refused(dir / "missing.gnet");
  // Truncated anywhere: in the magic, the version, the payload, the checksum.
  for (const std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{10}, std::size_t{19}, good.size() / 3,
                                good.size() / 2, good.size() - 5, good.size() - 1})
    expect_refused_bytes(good.substr(0, cut), "");
  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x10);
  expect_refused_bytes(flipped, "checksum mismatch");
  std::string magic = good;
  magic[3] = 'X';
  reseal(magic);
  expect_refused_bytes(magic, "bad magic");
  std::string version = good;
  poke<std::uint32_t>(version, 8, 2);
  reseal(version);
  expect_refused_bytes(version, "version 2 is not supported");
}

TEST_F(GeneratedNetworkFile, ForgedContentsAreRefused) {
  const GeneratedNetwork n = random_network(5, false, 3);  // every tensor 3-bit
  save_generated_network(dir / "a.gnet", n);
  const std::string good = bytes_of(dir / "a.gnet");
  const std::size_t op = first_op_offset(n);
  // The first op is a convolution with level 1 and 4 groups of 2 basis kernels of span 9: B
  // holds 72 codes of 3 bits, exactly 27 bytes. Claiming 71 codes leaves the last 3 bits of
  // those 27 bytes spare, which the writer keeps zero: the forgery sets them, a code wider
  // than its 3 bits.
  const std::size_t basis = op + 1 + 6 * 4 + 3 * 4 + 2 + 2 * 4;  // B's bits byte
  ASSERT_EQ(good[basis], '\x03');
  std::uint64_t count;
  std::memcpy(&count, good.data() + basis + 5, 8);
  ASSERT_EQ(count, 72U);
  {
    std::string forged = good;
    poke<std::uint64_t>(forged, basis + 5, 71);
    const std::size_t last = basis + 13 + 26;  // the 27th packed byte
    forged[last] = static_cast<char>(forged[last] | 0xE0);  // bits 213 .. 215: a code beyond 3 bits
    reseal(forged);
    expect_refused_bytes(forged, "beyond its 3 bits");
  }
  {
    std::string forged = good;
    forged[op] = 9;  // no op kind 9
    reseal(forged);
    expect_refused_bytes(forged, "unknown kind 9");
  }
  {
    std::string forged = good;
    forged[basis] = 12;  // 12 bits is not a width
    reseal(forged);
    expect_refused_bytes(forged, "12 bits");
  }
  {
    std::string forged = good;
    forged[op + 1 + 6 * 4 + 3 * 4] = 2;  // level flag 2
    reseal(forged);
    expect_refused_bytes(forged, "level flags");
  }
  {
    std::string forged = good;
    poke<std::uint64_t>(forged, basis + 5, std::uint64_t{1} << 60);  // an absurd count
    reseal(forged);
    expect_refused_bytes(forged, "truncated");
  }
  {
    std::string forged = good;
    poke<std::uint32_t>(forged, op - 4, 0xFFFFFFF0U);  // an absurd number of ops
    reseal(forged);
    expect_refused_bytes(forged, "ops");
  }
  {
    // Stray bytes after the ops, the payload length and the checksum made to agree.
    std::string forged = good.substr(0, good.size() - 4) + std::string("\0\0\0", 3) + "0000";
    std::uint32_t payload;
    std::memcpy(&payload, forged.data() + 12, 4);
    poke<std::uint32_t>(forged, 12, payload + 3);
    reseal(forged);
    expect_refused_bytes(forged, "3 stray bytes");
  }
  {
    // Cut inside the last op, with a payload length and checksum that agree with the cut.
    std::string forged = good.substr(0, good.size() - 4 - 10) + "0000";
    poke<std::uint32_t>(forged, 12, static_cast<std::uint32_t>(forged.size() - 20));
    reseal(forged);
    expect_refused_bytes(forged, "truncated generated network file");
  }
  {
    std::string forged = good;
    poke<std::uint32_t>(forged, 12, 7);  // payload length
    reseal(forged);
    expect_refused_bytes(forged, "payload length");
  }
  {
    // A file that parses but describes an invalid network: the first convolution's stride 0.
    std::string forged = good;
    poke<std::int32_t>(forged, op + 1 + 3 * 4, 0);
    reseal(forged);
    expect_refused_bytes(forged, "stride 0");
  }
}

TEST_F(GeneratedNetworkFile, ParsingNamesTheSourceAndSavingRefusesInvalidNetworks) {
  save_generated_network(dir / "a.gnet", random_network(6));
  const std::string good = bytes_of(dir / "a.gnet");
  EXPECT_NO_THROW(parse_generated_network(good, "memory"));
  try {
    parse_generated_network(good.substr(0, 40), "in memory");
    ADD_FAILURE() << "parsed a truncated file";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("in memory: ", 0), 0U) << e.what();
  }
  GeneratedNetwork bad = random_network(6);
  bad.ops[1].shift.pop_back();
  EXPECT_THROW(save_generated_network(dir / "bad.gnet", bad), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.gnet"));
}

}  // namespace
}  // namespace mbi::mlg
