#pragma once
// A lookup table's columns and trees as views, wherever their bytes live (a mapped file, a
// TableData in memory): what a Table searches and a lookup reads.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mbi/search/forest.hpp"
#include "mbi/search/key_layout.hpp"
#include "mbi/search/kmeans_tree.hpp"

namespace mbi {

struct TableView {
  std::size_t rows = 0;
  KeyLayout key_layout;
  KeyLayout value_layout;
  std::span<const std::uint32_t> segment_weights;
  std::string_view metadata_json;
  std::span<const std::uint64_t> keys;
  std::span<const std::uint64_t> next_hidden;
  std::span<const std::uint8_t> next_location;
  std::span<const std::uint8_t> step;
  std::span<const std::uint8_t> prediction;
  std::optional<KMeansTree> tree;             // a view (KMeansTree::view); rows are in its order
  std::vector<ForestIndex::ExtraTree> forest;  // further trees, views with their row maps
};

}  // namespace mbi
