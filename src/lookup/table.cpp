#include "mbi/lookup/table.hpp"

#include <utility>

#include "mbi/core/error.hpp"

namespace mbi {
namespace {

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

Table Table::open(const std::filesystem::path& path) {
  auto file = std::make_shared<const TableFile>(path);
  TableView view = file->view();
  const std::size_t bytes = file->mapped_bytes();
  return Table(std::move(view), path.string(), std::move(file), bytes);
}

Table Table::borrow(const TableData& data, std::string name) {
  data.check_consistent(name);
  // As much as the table would map from its file: what it holds in memory, trees included.
  return Table(data.view(), std::move(name), nullptr, table_file_bytes(data));
}

Table::Table(TableView view, std::string name, std::shared_ptr<const TableFile> file, std::size_t base_bytes)
    : file_(std::move(file)), name_(std::move(name)), view_(std::move(view)), base_bytes_(base_bytes) {
  word_weights_ = view_.key_layout.word_weights(view_.segment_weights);
  exhaustive_ = ExhaustiveIndex(view_.keys, word_weights_);
  if (!view_.tree) return;
  // A settled row's value is asked for while the other queries of a batch still search
  // (TreeSearchContext::row_data): next hidden state, next location, prediction.
  std::vector<RowData> row_data = {
      {view_.next_hidden.data(), static_cast<std::uint32_t>(8 * view_.value_layout.words())},
      {view_.next_location.data(), 2},
      {view_.prediction.data(), 1}};
  forest_.emplace(view_.keys, word_weights_, view_.step, *view_.tree, view_.forest, std::move(row_data), name_);
}

std::span<const std::uint64_t> Table::key(std::size_t row) const {
  const std::size_t words = view_.key_layout.words();
  return view_.keys.subspan(row * words, words);
}

std::span<const std::uint64_t> Table::next_hidden(std::size_t row) const {
  const std::size_t words = view_.value_layout.words();
  return view_.next_hidden.subspan(row * words, words);
}

const NearestIndex& Table::index() const {
  if (forest_) return *forest_;
  return exhaustive_;
}

TableData Table::copy() const {
  TableData d;
  d.key_layout = key_layout();
  d.value_layout = value_layout();
  d.segment_weights.assign(segment_weights().begin(), segment_weights().end());
  d.metadata_json = std::string(metadata_json());
  d.keys.assign(keys().begin(), keys().end());
  d.next_hidden.assign(next_hidden().begin(), next_hidden().end());
  d.next_location.assign(next_location().begin(), next_location().end());
  d.step.assign(step().begin(), step().end());
  d.prediction.assign(prediction().begin(), prediction().end());
  if (view_.tree) d.tree = KMeansTree::from_bytes(as_bytes(view_.tree->serialize()), name_);
  for (const ForestIndex::ExtraTree& f : view_.forest)
    d.forest.push_back({KMeansTree::from_bytes(as_bytes(f.tree.serialize()), name_), {f.rows.begin(), f.rows.end()}});
  return d;
}

std::size_t Table::resident_bytes() const { return base_bytes_ + (forest_ ? forest_->copied_bytes() : 0); }

}  // namespace mbi
