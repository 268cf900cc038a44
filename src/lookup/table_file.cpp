// Table file writing and memory-mapped reading. The format is described in
// docs/table-format.md; keep the two in step.
#include "mbi/lookup/table_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"

namespace mbi {
namespace {

static_assert(std::endian::native == std::endian::little, "table files are little-endian");

constexpr char kMagic[8] = {'M', 'B', 'I', 'T', 'A', 'B', 'L', 'E'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 64;
constexpr std::size_t kEntryBytes = 24;  // directory entry: tag[4], u32 zero, u64 offset, u64 size
constexpr std::size_t kAlignment = 64;   // every section starts on a cache line

// Header field offsets.
constexpr std::size_t kVersionAt = 8;
constexpr std::size_t kSectionCountAt = 12;
constexpr std::size_t kFileBytesAt = 16;
constexpr std::size_t kRowsAt = 24;
constexpr std::size_t kCrcAt = 32;
constexpr std::size_t kReservedAt = 36;  // bytes 36..63 of the header are zero

// Section tags, in the order they are written.
constexpr std::string_view kKeyLayout = "KLAY";
constexpr std::string_view kValueLayout = "VLAY";
constexpr std::string_view kWeights = "WGHT";
constexpr std::string_view kMetadata = "META";
constexpr std::string_view kKeys = "KEYS";
constexpr std::string_view kHidden = "HIDN";
constexpr std::string_view kLocation = "NLOC";
constexpr std::string_view kStep = "STEP";
constexpr std::string_view kPrediction = "PRED";
constexpr std::string_view kTree = "TREE";
// Tree i > 0 of a forest: "TRE1".."TRE7" (its serialized tree) and "ROW1".."ROW7" (its row map).
constexpr std::string_view kForestTreePrefix = "TRE";
constexpr std::string_view kForestRowsPrefix = "ROW";

std::string forest_tag(std::string_view prefix, std::size_t i) { return std::string(prefix) + char('0' + i); }

// The forest tree number (1..7) of a "TREi" or "ROWi" tag, or 0.
std::size_t forest_index(std::string_view tag, std::string_view prefix) {
  if (tag.substr(0, 3) != prefix || tag[3] < '1' || tag[3] >= char('0' + kMaxTrees)) return 0;
  return static_cast<std::size_t>(tag[3] - '0');
}

// A section tag as it may be quoted in a message: bytes outside printable ASCII as '?', so
// that a forged tag cannot break the one-line error.
std::string printable(std::string_view tag) {
  std::string out(tag);
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '?';
  return out;
}

std::size_t align_up(std::size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

template <typename T>
void put(std::string& out, std::size_t at, T value) {
  std::memcpy(out.data() + at, &value, sizeof value);
}

template <typename T>
T get(const std::byte* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

void append_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

// KeyLayout as bytes: u32 segment count, then per segment u32 values, u32 levels, u32 name
// length and the name's UTF-8 bytes.
std::string encode_layout(const KeyLayout& layout) {
  std::string out;
  append_u32(out, static_cast<std::uint32_t>(layout.segments().size()));
  for (const SegmentSpec& s : layout.segments()) {
    append_u32(out, s.values);
    append_u32(out, s.levels);
    append_u32(out, static_cast<std::uint32_t>(s.name.size()));
    out += s.name;
  }
  return out;
}

template <typename T>
std::string_view bytes_of(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

// Reads a layout section; throws a plain message, which the caller prefixes with the file.
KeyLayout decode_layout(std::span<const std::byte> bytes, std::string_view tag) {
  std::size_t at = 0;
  const auto malformed = [&] { return Error("section " + printable(tag) + " is malformed"); };
  const auto u32 = [&] {
    if (bytes.size() - at < 4) throw malformed();
    const auto v = get<std::uint32_t>(bytes.data() + at);
    at += 4;
    return v;
  };
  const std::uint32_t count = u32();
  if (count > bytes.size() / 12) throw malformed();  // each segment takes at least 12 bytes
  std::vector<SegmentSpec> segments(count);
  for (SegmentSpec& s : segments) {
    s.values = u32();
    s.levels = u32();
    const std::uint32_t length = u32();
    if (bytes.size() - at < length) throw malformed();
    s.name.assign(reinterpret_cast<const char*>(bytes.data() + at), length);
    if (printable(s.name) != s.name) throw malformed();  // names are printable: they go into messages
    at += length;
  }
  if (at != bytes.size()) throw malformed();
  return KeyLayout(std::move(segments));
}

}  // namespace

namespace {

// The sections of a table's file, in the order they are written, with what they hold. Owns
// the bytes that exist only in the file (layouts, serialized trees, forest tags).
struct SectionPlan {
  struct Section {
    std::string_view tag;
    std::string_view bytes;
  };
  std::vector<Section> sections;
  std::vector<std::string> owned;  // reserved up front: `sections` views into it

  explicit SectionPlan(const TableData& table) {
    owned.reserve(3 + 3 * table.forest.size());
    const auto own = [&](std::string bytes) -> std::string_view { return owned.emplace_back(std::move(bytes)); };
    sections = {
        {kKeyLayout, own(encode_layout(table.key_layout))},
        {kValueLayout, own(encode_layout(table.value_layout))},
        {kWeights, bytes_of(table.segment_weights)},
        {kMetadata, table.metadata_json},
        {kKeys, bytes_of(table.keys)},
        {kHidden, bytes_of(table.next_hidden)},
        {kLocation, bytes_of(table.next_location)},
        {kStep, bytes_of(table.step)},
        {kPrediction, bytes_of(table.prediction)},
    };
    if (table.tree) sections.push_back({kTree, own(table.tree->serialize())});
    for (std::size_t i = 1; i <= table.forest.size(); ++i) {
      const ForestTree& f = table.forest[i - 1];
      const std::string_view tree_tag = own(forest_tag(kForestTreePrefix, i));
      const std::string_view rows_tag = own(forest_tag(kForestRowsPrefix, i));
      sections.push_back({tree_tag, own(f.tree.serialize())});
      sections.push_back({rows_tag, bytes_of(f.rows)});
    }
  }

  // Where each section starts, and the file's size.
  std::vector<std::size_t> offsets(std::size_t& file_bytes) const {
    std::vector<std::size_t> at;
    std::size_t end = kHeaderBytes + sections.size() * kEntryBytes;
    for (const Section& s : sections) {
      at.push_back(align_up(end));
      end = at.back() + s.bytes.size();
    }
    file_bytes = end;
    return at;
  }
};

}  // namespace

std::size_t table_file_bytes(const TableData& table) {
  table.check_consistent("table");
  std::size_t bytes = 0;
  SectionPlan(table).offsets(bytes);
  return bytes;
}

void write_table(const std::filesystem::path& path, const TableData& table) {
  table.check_consistent(path.string());
  const SectionPlan plan(table);
  std::size_t bytes = 0;
  const std::vector<std::size_t> offsets = plan.offsets(bytes);
  // Fill the buffer; padding stays zero.
  std::string file(bytes, '\0');
  std::memcpy(file.data(), kMagic, sizeof kMagic);
  put<std::uint32_t>(file, kVersionAt, kVersion);
  put<std::uint32_t>(file, kSectionCountAt, static_cast<std::uint32_t>(plan.sections.size()));
  put<std::uint64_t>(file, kFileBytesAt, file.size());
  put<std::uint64_t>(file, kRowsAt, table.rows());
  for (std::size_t i = 0; i < plan.sections.size(); ++i) {
    const SectionPlan::Section& section = plan.sections[i];
    const std::size_t entry = kHeaderBytes + i * kEntryBytes;
    std::memcpy(file.data() + entry, section.tag.data(), 4);
    put<std::uint64_t>(file, entry + 8, offsets[i]);
    put<std::uint64_t>(file, entry + 16, section.bytes.size());
    if (!section.bytes.empty()) std::memcpy(file.data() + offsets[i], section.bytes.data(), section.bytes.size());
  }
  put<std::uint32_t>(file, kCrcAt, crc32(file.data() + kHeaderBytes, file.size() - kHeaderBytes));
  write_file_atomic(path, file);
}

TableFile::TableFile(const std::filesystem::path& path) : path_(path) {
  const std::string name = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(name + ": cannot open: " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw Error(name + ": cannot stat: " + why);
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw Error(name + ": cannot map: " + why);
    }
    mapping_ = p;
    mapping_bytes_ = size;
  }
  ::close(fd);  // the mapping keeps the file alive

  try {
    const auto* base = static_cast<const std::byte*>(mapping_);
    const auto fail = [&](const std::string& why) { return Error(name + ": " + why); };
    // Magic first: a short file that is not a table at all should say so.
    if (size == 0 || std::memcmp(base, kMagic, std::min(size, sizeof kMagic)) != 0)
      throw fail(size == 0 ? "empty file, not an MBI table" : "not an MBI table (bad magic)");
    if (size < kHeaderBytes) throw fail("truncated (" + std::to_string(size) + " bytes, the header alone is 64)");
    const auto version = get<std::uint32_t>(base + kVersionAt);
    if (version != kVersion)
      throw fail("unsupported table format version " + std::to_string(version) + " (this build reads " +
                 std::to_string(kVersion) + ")");
    const auto file_bytes = get<std::uint64_t>(base + kFileBytesAt);
    if (file_bytes > size)
      throw fail("truncated (" + std::to_string(size) + " of " + std::to_string(file_bytes) + " bytes)");
    if (file_bytes < size)
      throw fail("inconsistent size (" + std::to_string(size) + " bytes, the header says " +
                 std::to_string(file_bytes) + ")");
    if (crc32(base + kHeaderBytes, size - kHeaderBytes) != get<std::uint32_t>(base + kCrcAt))
      throw fail("checksum mismatch (the file is corrupt)");
    // The checksum covers everything after the header; the header's own fields are checked
    // against the sections below, and its reserved bytes must be zero.
    for (std::size_t at = kReservedAt; at < kHeaderBytes; ++at)
      if (base[at] != std::byte{0}) throw fail("header byte " + std::to_string(at) + " is not zero (reserved)");

    // From here the bytes are what the writer wrote (or a deliberate forgery): sizes are still
    // checked, so that nothing reads outside the mapping.
    const auto rows = get<std::uint64_t>(base + kRowsAt);
    const auto section_count = get<std::uint32_t>(base + kSectionCountAt);
    if (rows >= kNoIndex) throw fail("inconsistent sizes: " + std::to_string(rows) + " rows");
    if (section_count > (size - kHeaderBytes) / kEntryBytes) throw fail("inconsistent sizes: section directory");
    view_.rows = static_cast<std::size_t>(rows);
    const std::size_t n = view_.rows;

    std::span<const std::byte> found[10];
    bool present[10] = {};
    std::span<const std::byte> forest_found[2][kMaxTrees];  // [0]: TREi, [1]: ROWi
    bool forest_present[2][kMaxTrees] = {};
    constexpr std::string_view kTags[10] = {kKeyLayout, kValueLayout, kWeights, kMetadata, kKeys,
                                            kHidden,    kLocation,    kStep,    kPrediction, kTree};
    for (std::uint32_t i = 0; i < section_count; ++i) {
      const std::byte* entry = base + kHeaderBytes + i * kEntryBytes;
      const std::string_view tag(reinterpret_cast<const char*>(entry), 4);
      const auto offset = get<std::uint64_t>(entry + 8);
      const auto bytes = get<std::uint64_t>(entry + 16);
      if (get<std::uint32_t>(entry + 4) != 0)
        throw fail("section " + printable(tag) + ": directory entry bytes 4-7 are not zero (reserved)");
      if (offset % kAlignment != 0 || offset > size || bytes > size - offset)
        throw fail("inconsistent sizes: section " + printable(tag) + " lies outside the file");
      for (int kind = 0; kind < 2; ++kind)
        if (const std::size_t t = forest_index(tag, kind == 0 ? kForestTreePrefix : kForestRowsPrefix); t != 0) {
          if (forest_present[kind][t]) throw fail("section " + printable(tag) + " appears twice");
          forest_present[kind][t] = true;
          forest_found[kind][t] = {base + offset, static_cast<std::size_t>(bytes)};
        }
      const auto known = std::find(std::begin(kTags), std::end(kTags), tag) - std::begin(kTags);
      if (known == 10) continue;  // a forest section, or one this version does not know: skip it
      if (present[known]) throw fail("section " + printable(tag) + " appears twice");
      present[known] = true;
      found[known] = {base + offset, static_cast<std::size_t>(bytes)};
    }
    for (int t = 0; t < 9; ++t)  // all but the tree are required
      if (!present[t]) throw fail("missing section " + std::string(kTags[t]));

    try {
      view_.key_layout = decode_layout(found[0], kKeyLayout);
      view_.value_layout = decode_layout(found[1], kValueLayout);
    } catch (const Error& e) {
      throw fail(e.what());
    }
    const KeyLayout& key_layout = view_.key_layout;
    if (key_layout.words() == 0) throw fail("the key layout is empty");
    const std::size_t key_words = key_layout.words();
    const std::size_t value_words = view_.value_layout.words();
    const auto expect = [&](int t, std::size_t want) {
      if (found[t].size() != want)
        throw fail("inconsistent sizes: section " + std::string(kTags[t]) + " has " +
                   std::to_string(found[t].size()) + " bytes, expected " + std::to_string(want) + " for " +
                   std::to_string(n) + " rows");
    };
    expect(2, 4 * key_layout.segments().size());
    expect(4, n * key_words * 8);
    expect(5, n * value_words * 8);
    expect(6, n * 2);
    expect(7, n);
    expect(8, n);

    view_.segment_weights = {reinterpret_cast<const std::uint32_t*>(found[2].data()), key_layout.segments().size()};
    view_.metadata_json = {reinterpret_cast<const char*>(found[3].data()), found[3].size()};
    view_.keys = {reinterpret_cast<const std::uint64_t*>(found[4].data()), n * key_words};
    view_.next_hidden = {reinterpret_cast<const std::uint64_t*>(found[5].data()), n * value_words};
    view_.next_location = {reinterpret_cast<const std::uint8_t*>(found[6].data()), n * 2};
    view_.step = {reinterpret_cast<const std::uint8_t*>(found[7].data()), n};
    view_.prediction = {reinterpret_cast<const std::uint8_t*>(found[8].data()), n};
    // Trees are parsed in place. Whether they fit the keys (sizes, row maps) is the search
    // index's to check (ForestIndex), for tables from files and from memory alike.
    if (present[9]) view_.tree = KMeansTree::view_bytes(found[9], name);
    // Forest trees 1, 2, ... each need their tree and row map, and the first tree.
    std::size_t extra = 0;
    while (extra + 1 < kMaxTrees && (forest_present[0][extra + 1] || forest_present[1][extra + 1])) ++extra;
    for (std::size_t i = 1; i < kMaxTrees; ++i) {
      const bool any = forest_present[0][i] || forest_present[1][i];
      if (!any) continue;
      if (i > extra) throw fail("section " + forest_tag(kForestTreePrefix, i) + " without the trees before it");
      if (!forest_present[0][i] || !forest_present[1][i])
        throw fail("missing section " + forest_tag(forest_present[0][i] ? kForestRowsPrefix : kForestTreePrefix, i));
      if (!view_.tree) throw fail("section " + forest_tag(kForestTreePrefix, i) + " without section TREE");
    }
    for (std::size_t i = 1; i <= extra; ++i) {
      const std::string tag = forest_tag(kForestTreePrefix, i);
      ForestIndex::ExtraTree f{KMeansTree::view_bytes(forest_found[0][i], name + " (" + tag + ")"), {}};
      if (forest_found[1][i].size() != n * 4)
        throw fail("inconsistent sizes: section " + forest_tag(kForestRowsPrefix, i) + " has " +
                   std::to_string(forest_found[1][i].size()) + " bytes, expected " + std::to_string(n * 4));
      f.rows = {reinterpret_cast<const std::uint32_t*>(forest_found[1][i].data()), n};
      view_.forest.push_back(std::move(f));
    }
  } catch (...) {
    unmap();
    throw;
  }
}

TableFile::~TableFile() { unmap(); }

void TableFile::unmap() noexcept {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
  mapping_ = nullptr;
  mapping_bytes_ = 0;
}

}  // namespace mbi
