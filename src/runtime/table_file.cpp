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
// Tree i > 0 of a forest: "TRE1".."TRE7" (its serialized tree) and "ROW1".."ROW7" (its row map).
constexpr std::string_view kForestTreePrefix = "TRE";
constexpr std::string_view kForestRowsPrefix = "ROW";

std::string forest_tag(std::string_view prefix, std::size_t i) { return std::string(prefix) + char('0' + i); }

// The forest tree number (1..7) of a "TREi" or "ROWi" tag, or 0.
std::size_t forest_index(std::string_view tag, std::string_view prefix) {
  if (tag.substr(0, 3) != prefix || tag[3] < '1' || tag[3] >= char('0' + kMaxTrees)) return 0;
  return static_cast<std::size_t>(tag[3] - '0');
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
  const auto check_tree = [&](const KMeansTree& tree) {
    if (tree.rows() != rows || tree.words() != t.key_layout.words())
      throw Error(where + ": a tree covers " + std::to_string(tree.rows()) + " keys of " + std::to_string(tree.words()) +
                  " words, the table has " + std::to_string(rows) + " of " + std::to_string(t.key_layout.words()));
  };
  if (t.tree) check_tree(*t.tree);
  if (!t.forest.empty() && !t.tree) throw Error(where + ": a forest without a first tree");
  if (t.forest.size() + 1 > kMaxTrees)
    throw Error(where + ": " + std::to_string(t.forest.size() + 1) + " trees, at most " + std::to_string(kMaxTrees));
  for (const ForestTree& f : t.forest) {
    check_tree(f.tree);
    expect("a forest tree's rows", f.rows.size(), rows);
  }
}

// Throws unless `rows` holds each of 0..rows.size()-1 once.
void check_permutation(std::span<const std::uint32_t> rows, const std::string& what) {
  std::vector<bool> seen(rows.size(), false);
  for (const std::uint32_t r : rows) {
    if (r >= rows.size() || seen[r]) throw Error(what + " is not a permutation of the rows");
    seen[r] = true;
  }
}

// Recognises a per-step tree from its structure rather than a flag, so that the file format
// stays as it was: the root's children must each hold a single step, in strictly increasing
// step order. Any tree that passes routes a step's queries to exactly that step's rows,
// whoever built it. Returns the root child of each step value (kNoIndex: no rows), or an
// empty vector when the tree is not per step. `step` is the step of each position in the
// tree's order. One pass over it.
std::vector<std::uint32_t> find_step_nodes(const KMeansTree& tree, std::span<const std::uint8_t> step) {
  const KMeansTreeNode& root = tree.nodes()[0];
  if (root.child_count == 0) return {};
  std::vector<std::uint32_t> found(256, kNoIndex);
  int previous = -1;
  for (std::uint32_t c = root.first_child; c < root.first_child + root.child_count; ++c) {
    const KMeansTreeNode& child = tree.nodes()[c];
    const std::uint8_t s = step[child.begin];
    if (static_cast<int>(s) <= previous) return {};
    for (std::uint32_t p = child.begin; p < child.end; ++p)
      if (step[p] != s) return {};
    found[s] = c;
    previous = s;
  }
  return found;
}

std::uint32_t step_root_of(const std::vector<std::uint32_t>& step_node, int step) {
  if (step < 0 || static_cast<std::size_t>(step) >= step_node.size()) return 0;
  const std::uint32_t node = step_node[static_cast<std::size_t>(step)];
  return node == kNoIndex ? 0 : node;
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
  forest.clear();
}

void TableData::build_tree(const KMeansTreeParams& params, bool per_step, std::size_t trees,
                           std::size_t global_trees) {
  if (trees < 1 || trees > kMaxTrees)
    throw Error("table: " + std::to_string(trees) + " trees asked for, 1 to " + std::to_string(kMaxTrees) + " allowed");
  if (global_trees >= trees)
    throw Error("table: " + std::to_string(global_trees) + " trees spanning all steps asked for among " +
                std::to_string(trees) + " (the first tree follows per_step)");
  check_consistent(*this, "table");
  const std::vector<std::uint32_t> word_weights = key_layout.word_weights(segment_weights);
  const auto groups = [&](bool by_step) {
    return by_step ? std::span<const std::uint8_t>(step) : std::span<const std::uint8_t>();
  };
  KMeansTreeBuild built = build_kmeans_tree(keys, word_weights, params, groups(per_step));
  reorder_rows(built.order);
  tree = std::move(built.tree);
  for (std::size_t i = 1; i < trees; ++i) {
    // Seeds far apart from the first tree's and from each other (a table built with seed s + 1
    // should not share trees with this one).
    KMeansTreeParams p = params;
    p.seed = params.seed + 0x9E3779B97F4A7C15ULL * i;
    KMeansTreeBuild more = build_kmeans_tree(keys, word_weights, p, groups(per_step && i < trees - global_trees));
    forest.push_back({std::move(more.tree), std::move(more.order)});
  }
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
  std::vector<std::string> forest_bytes;  // serialized trees and tags, kept alive for `sections`
  forest_bytes.reserve(3 * table.forest.size());
  for (std::size_t i = 1; i <= table.forest.size(); ++i) {
    const ForestTree& f = table.forest[i - 1];
    forest_bytes.push_back(forest_tag(kForestTreePrefix, i));
    const std::string& tree_tag = forest_bytes.back();
    forest_bytes.push_back(forest_tag(kForestRowsPrefix, i));
    const std::string& rows_tag = forest_bytes.back();
    forest_bytes.push_back(f.tree.serialize());
    sections.push_back({tree_tag, forest_bytes.back()});
    sections.push_back({rows_tag, bytes_of(f.rows)});
  }

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
    std::span<const std::byte> forest_found[2][kMaxTrees];  // [0]: TREi, [1]: ROWi
    bool forest_present[2][kMaxTrees] = {};
    constexpr std::string_view kTags[10] = {kKeyLayout, kValueLayout, kWeights, kMetadata, kKeys,
                                            kHidden,    kLocation,    kStep,    kPrediction, kTree};
    for (std::uint32_t i = 0; i < section_count; ++i) {
      const std::byte* entry = base + kHeaderBytes + i * kEntryBytes;
      const std::string_view tag(reinterpret_cast<const char*>(entry), 4);
      const auto offset = get<std::uint64_t>(entry + 8);
      const auto bytes = get<std::uint64_t>(entry + 16);
      if (offset % kAlignment != 0 || offset > size || bytes > size - offset)
        throw fail("inconsistent sizes: section " + std::string(tag) + " lies outside the file");
      for (int kind = 0; kind < 2; ++kind)
        if (const std::size_t t = forest_index(tag, kind == 0 ? kForestTreePrefix : kForestRowsPrefix); t != 0) {
          if (forest_present[kind][t]) throw fail("section " + std::string(tag) + " appears twice");
          forest_present[kind][t] = true;
          forest_found[kind][t] = {base + offset, static_cast<std::size_t>(bytes)};
        }
      const auto known = std::find(std::begin(kTags), std::end(kTags), tag) - std::begin(kTags);
      if (known == 10) continue;  // a forest section, or one this version does not know: skip it
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
      step_node_ = find_step_nodes(*tree_, step_);
    }
    // Forest trees 1, 2, ... each need their tree and row map, and the first tree.
    std::size_t extra = 0;
    while (extra + 1 < kMaxTrees && (forest_present[0][extra + 1] || forest_present[1][extra + 1])) ++extra;
    for (std::size_t i = 1; i < kMaxTrees; ++i) {
      const bool any = forest_present[0][i] || forest_present[1][i];
      if (!any) continue;
      if (i > extra) throw fail("section " + forest_tag(kForestTreePrefix, i) + " without the trees before it");
      if (!forest_present[0][i] || !forest_present[1][i])
        throw fail("missing section " + forest_tag(forest_present[0][i] ? kForestRowsPrefix : kForestTreePrefix, i));
      if (!tree_) throw fail("section " + forest_tag(kForestTreePrefix, i) + " without section TREE");
    }
    for (std::size_t i = 1; i <= extra; ++i) {
      const std::string tag = forest_tag(kForestTreePrefix, i);
      Forest f;
      f.tree = KMeansTree::view_bytes(forest_found[0][i], name + " (" + tag + ")");
      if (f.tree.rows() != rows_ || f.tree.words() != key_words)
        throw fail("inconsistent sizes: tree " + tag + " covers " + std::to_string(f.tree.rows()) + " keys of " +
                   std::to_string(f.tree.words()) + " words, the table has " + std::to_string(rows_) + " of " +
                   std::to_string(key_words));
      if (forest_found[1][i].size() != rows_ * 4)
        throw fail("inconsistent sizes: section " + forest_tag(kForestRowsPrefix, i) + " has " +
                   std::to_string(forest_found[1][i].size()) + " bytes, expected " + std::to_string(rows_ * 4));
      f.rows = {reinterpret_cast<const std::uint32_t*>(forest_found[1][i].data()), rows_};
      try {
        check_permutation(f.rows, "section " + forest_tag(kForestRowsPrefix, i));
      } catch (const Error& e) {
        throw fail(e.what());
      }
      f.keys.resize(rows_ * key_words);
      std::vector<std::uint8_t> steps(rows_);
      for (std::size_t p = 0; p < rows_; ++p) {
        std::copy_n(keys_.begin() + std::size_t{f.rows[p]} * key_words, key_words, f.keys.begin() + p * key_words);
        steps[p] = step_[f.rows[p]];
      }
      f.step_node = find_step_nodes(f.tree, steps);
      forest_.push_back(std::move(f));
    }
  } catch (...) {
    unmap();
    throw;
  }
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
      forest_(std::move(other.forest_)),
      step_node_(std::move(other.step_node_)),
      bounds_(std::move(other.bounds_)) {}

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
    forest_ = std::move(other.forest_);
    step_node_ = std::move(other.step_node_);
    bounds_ = std::move(other.bounds_);
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

bool MappedTable::every_tree_per_step() const {
  if (!tree_ || step_node_.empty()) return false;
  return std::all_of(forest_.begin(), forest_.end(), [](const Forest& f) { return !f.step_node.empty(); });
}

const KMeansTreeBounds& MappedTable::tree_bounds(std::size_t i) const {
  if (i >= tree_count())
    throw Error(path_.string() + ": no tree " + std::to_string(i) + " (the table has " + std::to_string(tree_count()) +
                ")");
  std::call_once(bounds_->once, [&] {
    bounds_->bounds.push_back(tree_->bounds(keys_, word_weights_));
    for (const Forest& f : forest_) bounds_->bounds.push_back(f.tree.bounds(f.keys, word_weights_));
  });
  return bounds_->bounds[i];
}

std::size_t MappedTable::resident_bytes() const {
  std::size_t bytes = mapping_bytes_;
  for (const Forest& f : forest_) bytes += f.keys.size() * sizeof(std::uint64_t);
  return bytes;
}

SearchResult MappedTable::nearest(std::span<const std::uint64_t> query, std::uint32_t probes) const {
  if (!tree_) return exhaustive_nearest(query, keys_, word_weights_);
  SearchResult result;
  TreeSearchOptions options;
  options.probes = probes;
  search_trees(query, -1, options, {&result, 1});
  return result;
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
  search_trees(queries, step, options, results);
}

void MappedTable::search_trees(std::span<const std::uint64_t> queries, int step, const TreeSearchOptions& options,
                               std::span<SearchResult> results) const {
  TreeSearchOptions o = options;
  if (o.max_comparisons > 0 && !forest_.empty())
    o.max_comparisons = std::max<std::uint32_t>(1, o.max_comparisons / static_cast<std::uint32_t>(tree_count()));
  if (o.epsilon >= 0) {
    // Bounded: one query at a time through the trees, each pruned by the best distance the
    // trees before it found, so a forest costs little more than its best tree.
    const std::size_t words = key_layout_.words();
    tree_bounds(0);  // computes every tree's bounds once, before the loop
    const auto& bounds = bounds_->bounds;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto q = queries.subspan(i * words, words);
      SearchResult& best = results[i];
      o.bound = options.bound;
      o.bounds = &bounds[0];
      o.start_node = step_root_of(step_node_, step);
      best = tree_->search(q, keys_, word_weights_, o);
      for (std::size_t t = 1; t < tree_count(); ++t) {
        const Forest& f = forest_[t - 1];
        o.bound = std::min(options.bound, best.distance);
        o.bounds = &bounds[t];
        o.start_node = step_root_of(f.step_node, step);
        const SearchResult r = f.tree.search(q, f.keys, word_weights_, o);
        best.comparisons += r.comparisons;
        if (r.index != kNoIndex) keep_closer(best, f.rows[r.index], r.distance, r.depth);
      }
    }
    return;
  }
  o.start_node = step_root_of(step_node_, step);
  tree_->search_batch(queries, keys_, word_weights_, o, results);
  if (forest_.empty()) return;
  // Per thread and reused: this runs once per glimpse step of every lookup batch.
  thread_local std::vector<SearchResult> scratch;
  scratch.resize(results.size());
  const std::span<SearchResult> other(scratch);
  for (const Forest& f : forest_) {
    o.start_node = step_root_of(f.step_node, step);
    f.tree.search_batch(queries, f.keys, word_weights_, o, other);
    for (std::size_t i = 0; i < results.size(); ++i) {
      SearchResult& best = results[i];
      const SearchResult& r = other[i];
      best.comparisons += r.comparisons;
      if (r.index != kNoIndex) keep_closer(best, f.rows[r.index], r.distance, r.depth);
    }
  }
}

}  // namespace mbi
