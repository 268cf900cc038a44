#pragma once
// A lookup table ready to search: its columns, wherever they live (a mapped file or a
// TableData in memory), and the search indexes over its keys (search/index.hpp): the
// exhaustive scan always, the tree or forest when the table has one. What LookupEngine reads.
//
// Opening a file maps it (TableFile) and copies nothing but the further trees' keys of a
// forest; borrowing a TableData copies nothing at all, so tuning and DAgger search the table
// they are building without writing it to a file.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mbi/lookup/table_data.hpp"
#include "mbi/lookup/table_file.hpp"
#include "mbi/lookup/table_view.hpp"
#include "mbi/search/exhaustive.hpp"
#include "mbi/search/forest.hpp"

namespace mbi {

class Table {
 public:
  // Maps and checks a table file. Throws mbi::Error naming it on any problem (TableFile's,
  // and trees that do not fit the keys).
  static Table open(const std::filesystem::path& path);
  // Searches `data` in place: it must outlive the table and stay unchanged. `name` stands for
  // the table in messages. Throws mbi::Error naming it when the columns disagree.
  static Table borrow(const TableData& data, std::string name = "in-memory table");

  Table(Table&&) noexcept = default;
  Table& operator=(Table&&) noexcept = default;

  // The file's path, or the name given to borrow(): what messages about this table name.
  const std::string& name() const { return name_; }
  std::size_t rows() const { return view_.rows; }
  const KeyLayout& key_layout() const { return view_.key_layout; }
  const KeyLayout& value_layout() const { return view_.value_layout; }
  std::span<const std::uint32_t> segment_weights() const { return view_.segment_weights; }
  std::span<const std::uint32_t> word_weights() const { return word_weights_; }  // expanded per key word
  std::string_view metadata_json() const { return view_.metadata_json; }
  std::span<const std::uint64_t> keys() const { return view_.keys; }
  std::span<const std::uint64_t> key(std::size_t row) const;
  std::span<const std::uint64_t> next_hidden() const { return view_.next_hidden; }
  std::span<const std::uint64_t> next_hidden(std::size_t row) const;
  std::span<const std::uint8_t> next_location() const { return view_.next_location; }
  std::span<const std::uint8_t> step() const { return view_.step; }
  std::span<const std::uint8_t> prediction() const { return view_.prediction; }

  // The search the table was built for: its forest (or single tree) when it has one, else the
  // exhaustive scan. Searches take the glimpse step as their group.
  const NearestIndex& index() const;
  const ExhaustiveIndex& exhaustive() const { return exhaustive_; }
  // The trees, or nullptr when the table has none.
  const ForestIndex* forest() const { return forest_ ? &*forest_ : nullptr; }
  const KMeansTree* tree() const { return forest_ ? &forest_->tree(0) : nullptr; }
  std::size_t tree_count() const { return forest_ ? forest_->tree_count() : 0; }
  // True when the first tree's root has one child per recorded step (a per-step tree).
  bool tree_per_step() const { return forest_ && forest_->tree_grouped(0); }
  // True when every tree is per step, so that a search at a step reaches only that step's
  // rows; false when some tree spans all steps (or there is no tree).
  bool every_tree_per_step() const { return forest_ && forest_->every_tree_grouped(); }
  // The first tree's node under which `step`'s rows lie (0, the root, for a global tree).
  std::uint32_t step_root(int step) const { return forest_ ? forest_->group_root(0, step) : 0; }

  // A writable copy (to re-weight or re-tree): the columns in their stored order, the trees
  // owning their bytes.
  TableData copy() const;

  // Bytes the table keeps in memory: the mapped file (or the borrowed columns) plus the
  // forest's reordered copies of the keys.
  std::size_t resident_bytes() const;

 private:
  Table(TableView view, std::string name, std::shared_ptr<const TableFile> file, std::size_t base_bytes);

  std::shared_ptr<const TableFile> file_;  // keeps the mapping alive; null for a borrowed table
  std::string name_;
  TableView view_;
  std::vector<std::uint32_t> word_weights_;
  ExhaustiveIndex exhaustive_;
  std::optional<ForestIndex> forest_;
  std::size_t base_bytes_ = 0;
};

}  // namespace mbi
