// Table file writing and memory-mapped reading. The format is described in
// docs/table-format.md; keep the two in step.
#include "mbi/table_file.hpp"

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

#include "mbi/atomic_file.hpp"
#include "mbi/checksum.hpp"
#include "mbi/error.hpp"

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

template <typename T>
void permute(std::vector<T>& column, std::size_t width, std::span<const std::uint32_t> order) {
  std::vector<T> out(column.size());
  for (std::size_t p = 0; p < order.size(); ++p)
    std::copy_n(column.begin() + std::size_t{order[p]} * width, width, out.begin() + p * width);
  column.swap(out);
}

// Throws unless the columns of `t` agree; `where` prefixes the message.
void check_consistent(const TableData& t, const std::string& where) {
  const std::size_t rows = t.rows();
  const auto expect = [&](const char* what, std::size_t got, std::size_t want) {
    if (got != want)
      throw Error(where + ": " + what + " holds " + std::to_string(got) + " elements, expected " + std::to_string(want) +
                  " for " + std::to_string(rows) + " rows");
  };
  if (t.key_layout.words() == 0) throw Error(where + ": the key layout is empty");
  if (rows >= kNoIndex) throw Error(where + ": more than 2^32-2 rows");
  expect("segment_weights", t.segment_weights.size(), t.key_layout.segments().size());
  expect("keys", t.keys.size(), rows * t.key_layout.words());
  expect("next_hidden", t.next_hidden.size(), rows * t.value_layout.words());
  expect("next_location", t.next_location.size(), rows * 2);
  expect("prediction", t.prediction.size(), rows);
  if (t.tree && (t.tree->rows() != rows || t.tree->words() != t.key_layout.words()))
    throw Error(where + ": the tree covers " + std::to_string(t.tree->rows()) + " keys of " +
                std::to_string(t.tree->words()) + " words, the table has " + std::to_string(rows) + " of " +
                std::to_string(t.key_layout.words()));
}

// Reads a layout section; throws a plain message, which the caller prefixes with the file.
KeyLayout decode_layout(std::span<const std::byte> bytes, std::string_view tag) {
  std::size_t at = 0;
  const auto malformed = [&] { return Error("section " + std::string(tag) + " is malformed"); };
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
    at += length;
  }
  if (at != bytes.size()) throw malformed();
  return KeyLayout(std::move(segments));
}

}  // namespace

void TableData::reorder_rows(std::span<const std::uint32_t> order) {
  const std::size_t n = rows();
  std::vector<bool> seen(n, false);
  bool permutation = order.size() == n;
  for (std::size_t p = 0; permutation && p < n; ++p) {
    permutation = order[p] < n && !seen[order[p]];
    if (permutation) seen[order[p]] = true;
  }
  if (!permutation) throw Error("table: row order is not a permutation of the " + std::to_string(n) + " rows");
  check_consistent(*this, "table");
  permute(keys, key_layout.words(), order);
  permute(next_hidden, value_layout.words(), order);
  permute(next_location, 2, order);
  permute(step, 1, order);
  permute(prediction, 1, order);
  tree.reset();
}

void TableData::build_tree(const KMeansTreeParams& params, bool per_step) {
  check_consistent(*this, "table");
  KMeansTreeBuild built = build_kmeans_tree(keys, key_layout.word_weights(segment_weights), params,
                                            per_step ? std::span<const std::uint8_t>(step) : std::span<const std::uint8_t>());
  reorder_rows(built.order);
  tree = std::move(built.tree);
}

void write_table(const std::filesystem::path& path, const TableData& table) {
  check_consistent(table, path.string());

  struct Section {
    std::string_view tag;
    std::string_view bytes;
  };
  const std::string key_layout = encode_layout(table.key_layout);
  const std::string value_layout = encode_layout(table.value_layout);
  const std::string tree = table.tree ? table.tree->serialize() : std::string();
  std::vector<Section> sections = {
      {kKeyLayout, key_layout},
      {kValueLayout, value_layout},
      {kWeights, bytes_of(table.segment_weights)},
      {kMetadata, table.metadata_json},
      {kKeys, bytes_of(table.keys)},
      {kHidden, bytes_of(table.next_hidden)},
      {kLocation, bytes_of(table.next_location)},
      {kStep, bytes_of(table.step)},
      {kPrediction, bytes_of(table.prediction)},
  };
  if (table.tree) sections.push_back({kTree, tree});

  // Place the sections, then fill the buffer; padding stays zero.
  std::vector<std::size_t> offsets;
  std::size_t end = kHeaderBytes + sections.size() * kEntryBytes;
  for (const Section& s : sections) {
    offsets.push_back(align_up(end));
    end = offsets.back() + s.bytes.size();
  }
  std::string file(end, '\0');
  std::memcpy(file.data(), kMagic, sizeof kMagic);
  put<std::uint32_t>(file, kVersionAt, kVersion);
  put<std::uint32_t>(file, kSectionCountAt, static_cast<std::uint32_t>(sections.size()));
  put<std::uint64_t>(file, kFileBytesAt, file.size());
  put<std::uint64_t>(file, kRowsAt, table.rows());
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const std::size_t entry = kHeaderBytes + i * kEntryBytes;
    std::memcpy(file.data() + entry, sections[i].tag.data(), 4);
    put<std::uint64_t>(file, entry + 8, offsets[i]);
    put<std::uint64_t>(file, entry + 16, sections[i].bytes.size());
    if (!sections[i].bytes.empty())
      std::memcpy(file.data() + offsets[i], sections[i].bytes.data(), sections[i].bytes.size());
  }
  put<std::uint32_t>(file, kCrcAt, crc32(file.data() + kHeaderBytes, file.size() - kHeaderBytes));
  write_file_atomic(path, file);
}

MappedTable::MappedTable(const std::filesystem::path& path) : path_(path) {
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
    if (std::memcmp(base, kMagic, std::min(size, sizeof kMagic)) != 0 || size == 0)
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

    // From here the bytes are what the writer wrote (or a deliberate forgery): sizes are still
    // checked, so that nothing reads outside the mapping.
    const auto rows = get<std::uint64_t>(base + kRowsAt);
    const auto section_count = get<std::uint32_t>(base + kSectionCountAt);
    if (rows >= kNoIndex) throw fail("inconsistent sizes: " + std::to_string(rows) + " rows");
    if (section_count > (size - kHeaderBytes) / kEntryBytes) throw fail("inconsistent sizes: section directory");
    rows_ = static_cast<std::size_t>(rows);

    std::span<const std::byte> found[10];
    bool present[10] = {};
    constexpr std::string_view kTags[10] = {kKeyLayout, kValueLayout, kWeights, kMetadata, kKeys,
                                            kHidden,    kLocation,    kStep,    kPrediction, kTree};
    for (std::uint32_t i = 0; i < section_count; ++i) {
      const std::byte* entry = base + kHeaderBytes + i * kEntryBytes;
      const std::string_view tag(reinterpret_cast<const char*>(entry), 4);
      const auto offset = get<std::uint64_t>(entry + 8);
      const auto bytes = get<std::uint64_t>(entry + 16);
      if (offset % kAlignment != 0 || offset > size || bytes > size - offset)
        throw fail("inconsistent sizes: section " + std::string(tag) + " lies outside the file");
      const auto known = std::find(std::begin(kTags), std::end(kTags), tag) - std::begin(kTags);
      if (known == 10) continue;  // a section this version does not know: skip it
      if (present[known]) throw fail("section " + std::string(tag) + " appears twice");
      present[known] = true;
      found[known] = {base + offset, static_cast<std::size_t>(bytes)};
    }
    for (int t = 0; t < 9; ++t)  // all but the tree are required
      if (!present[t]) throw fail("missing section " + std::string(kTags[t]));

    try {
      key_layout_ = decode_layout(found[0], kKeyLayout);
      value_layout_ = decode_layout(found[1], kValueLayout);
    } catch (const Error& e) {
      throw fail(e.what());
    }
    if (key_layout_.words() == 0) throw fail("the key layout is empty");
    const std::size_t key_words = key_layout_.words();
    const std::size_t value_words = value_layout_.words();
    const auto expect = [&](int t, std::size_t want) {
      if (found[t].size() != want)
        throw fail("inconsistent sizes: section " + std::string(kTags[t]) + " has " +
                   std::to_string(found[t].size()) + " bytes, expected " + std::to_string(want) + " for " +
                   std::to_string(rows_) + " rows");
    };
    expect(2, 4 * key_layout_.segments().size());
    expect(4, rows_ * key_words * 8);
    expect(5, rows_ * value_words * 8);
    expect(6, rows_ * 2);
    expect(7, rows_);
    expect(8, rows_);

    segment_weights_ = {reinterpret_cast<const std::uint32_t*>(found[2].data()), key_layout_.segments().size()};
    word_weights_ = key_layout_.word_weights(segment_weights_);
    metadata_json_ = {reinterpret_cast<const char*>(found[3].data()), found[3].size()};
    keys_ = {reinterpret_cast<const std::uint64_t*>(found[4].data()), rows_ * key_words};
    next_hidden_ = {reinterpret_cast<const std::uint64_t*>(found[5].data()), rows_ * value_words};
    next_location_ = {reinterpret_cast<const std::uint8_t*>(found[6].data()), rows_ * 2};
    step_ = {reinterpret_cast<const std::uint8_t*>(found[7].data()), rows_};
    prediction_ = {reinterpret_cast<const std::uint8_t*>(found[8].data()), rows_};
    if (present[9]) {
      tree_ = KMeansTree::view_bytes(found[9], name);
      if (tree_->rows() != rows_ || tree_->words() != key_words)
        throw fail("inconsistent sizes: the tree covers " + std::to_string(tree_->rows()) + " keys of " +
                   std::to_string(tree_->words()) + " words, the table has " + std::to_string(rows_) + " of " +
                   std::to_string(key_words));
      find_step_nodes();
    }
  } catch (...) {
    unmap();
    throw;
  }
}

// Recognises a per-step tree from its structure rather than a flag, so that the file format
// stays as it was: the root's children must each hold a single step, in strictly increasing
// step order. Any tree that passes routes a step's queries to exactly that step's rows,
// whoever built it. One pass over the step column.
void MappedTable::find_step_nodes() {
  step_node_.clear();
  const KMeansTreeNode& root = tree_->nodes()[0];
  if (root.child_count == 0) return;
  std::vector<std::uint32_t> found(256, kNoIndex);
  int previous = -1;
  for (std::uint32_t c = root.first_child; c < root.first_child + root.child_count; ++c) {
    const KMeansTreeNode& child = tree_->nodes()[c];
    const std::uint8_t s = step_[child.begin];
    if (static_cast<int>(s) <= previous) return;
    for (std::uint32_t row = child.begin; row < child.end; ++row)
      if (step_[row] != s) return;
    found[s] = c;
    previous = s;
  }
  step_node_ = std::move(found);
}

MappedTable::~MappedTable() { unmap(); }

MappedTable::MappedTable(MappedTable&& other) noexcept
    : path_(std::move(other.path_)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_bytes_(std::exchange(other.mapping_bytes_, 0)),
      rows_(other.rows_),
      key_layout_(std::move(other.key_layout_)),
      value_layout_(std::move(other.value_layout_)),
      word_weights_(std::move(other.word_weights_)),
      segment_weights_(other.segment_weights_),
      metadata_json_(other.metadata_json_),
      keys_(other.keys_),
      next_hidden_(other.next_hidden_),
      next_location_(other.next_location_),
      step_(other.step_),
      prediction_(other.prediction_),
      tree_(std::move(other.tree_)),
      step_node_(std::move(other.step_node_)) {}

MappedTable& MappedTable::operator=(MappedTable&& other) noexcept {
  if (this != &other) {
    unmap();
    path_ = std::move(other.path_);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_bytes_ = std::exchange(other.mapping_bytes_, 0);
    rows_ = other.rows_;
    key_layout_ = std::move(other.key_layout_);
    value_layout_ = std::move(other.value_layout_);
    word_weights_ = std::move(other.word_weights_);
    segment_weights_ = other.segment_weights_;
    metadata_json_ = other.metadata_json_;
    keys_ = other.keys_;
    next_hidden_ = other.next_hidden_;
    next_location_ = other.next_location_;
    step_ = other.step_;
    prediction_ = other.prediction_;
    tree_ = std::move(other.tree_);
    step_node_ = std::move(other.step_node_);
  }
  return *this;
}

void MappedTable::unmap() noexcept {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
  mapping_ = nullptr;
  mapping_bytes_ = 0;
}

std::span<const std::uint64_t> MappedTable::key(std::size_t row) const {
  const std::size_t words = key_layout_.words();
  return keys_.subspan(row * words, words);
}

std::span<const std::uint64_t> MappedTable::next_hidden(std::size_t row) const {
  const std::size_t words = value_layout_.words();
  return next_hidden_.subspan(row * words, words);
}

SearchResult MappedTable::nearest(std::span<const std::uint64_t> query, std::uint32_t probes) const {
  if (tree_) return tree_->search(query, keys_, word_weights_, probes);
  return exhaustive_nearest(query, keys_, word_weights_);
}

SearchResult MappedTable::nearest_at_step(std::span<const std::uint64_t> query, int step,
                                          const TreeSearchOptions& options) const {
  SearchResult result;
  nearest_batch_at_step(query, step, options, {&result, 1});
  return result;
}

void MappedTable::nearest_batch_at_step(std::span<const std::uint64_t> queries, int step,
                                        const TreeSearchOptions& options, std::span<SearchResult> results) const {
  const std::size_t words = key_layout_.words();
  if (queries.size() != results.size() * words)
    throw Error(path_.string() + ": batch of " + std::to_string(queries.size()) + " query words for " +
                std::to_string(results.size()) + " keys of " + std::to_string(words) + " words");
  if (!tree_) {
    for (std::size_t i = 0; i < results.size(); ++i)
      results[i] = exhaustive_nearest(queries.subspan(i * words, words), keys_, word_weights_);
    return;
  }
  TreeSearchOptions o = options;
  o.start_node = step_root(step);
  tree_->search_batch(queries, keys_, word_weights_, o, results);
}

}  // namespace mbi
