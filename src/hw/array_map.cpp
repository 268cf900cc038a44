#include "mbi/hw/array_map.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "mbi/core/error.hpp"

namespace mbi::hw {

std::vector<std::uint32_t> resolve_components(std::size_t segments, std::span<const std::uint32_t> given) {
  if (given.empty()) {
    std::vector<std::uint32_t> own(segments);
    std::iota(own.begin(), own.end(), 0U);
    return own;
  }
  if (given.size() != segments)
    throw Error("component_of_segment has " + std::to_string(given.size()) + " entries for " +
                std::to_string(segments) + " segments");
  const std::uint32_t count = *std::max_element(given.begin(), given.end()) + 1;
  std::vector<bool> used(count, false);
  for (std::uint32_t c : given) used[c] = true;
  if (std::find(used.begin(), used.end(), false) != used.end())
    throw Error("component numbers must be 0..n-1 with none left empty");
  return {given.begin(), given.end()};
}

namespace {

// Fills arrays with runs, opening a new array when the current one is full.
class Packer {
 public:
  Packer(std::vector<ArraySlice>& out, std::uint32_t cols, Coding coding) : out_(out), cols_(cols), coding_(coding) {}

  void start(std::uint32_t component, std::uint32_t ladder_bits) {
    component_ = component;
    ladder_bits_ = ladder_bits;
    open_ = false;
  }

  void place(std::uint32_t value, std::uint32_t levels) {
    const std::uint32_t width = columns_per_value(levels, coding_);
    if (width <= cols_) {
      if (!open_ || current().columns_used + width > cols_) open_array();
      add_run(value, levels, 0, width);
      return;
    }
    // Wider than an array: cut the code column by column.
    for (std::uint32_t bit = 0; bit < width;) {
      if (!open_ || current().columns_used == cols_) open_array();
      const std::uint32_t take = std::min(width - bit, cols_ - current().columns_used);
      add_run(value, levels, bit, take);
      bit += take;
    }
  }

 private:
  ArraySlice& current() { return out_.back(); }

  void open_array() {
    out_.push_back(ArraySlice{component_, ladder_bits_, 0, 0, {}});
    open_ = true;
  }

  void add_run(std::uint32_t value, std::uint32_t levels, std::uint32_t first_bit, std::uint32_t bits) {
    ArraySlice& a = current();
    a.runs.push_back(ValueRun{value, levels, first_bit, bits, a.columns_used});
    a.columns_used += bits;
    for (std::uint32_t b = first_bit; b < first_bit + bits; ++b) a.max_distance += column_significance(b, coding_);
  }

  std::vector<ArraySlice>& out_;
  std::uint32_t cols_;
  Coding coding_;
  std::uint32_t component_ = 0;
  std::uint32_t ladder_bits_ = 1;
  bool open_ = false;
};

}  // namespace

ArrayMap::ArrayMap(const std::vector<SegmentSpec>& segments, std::span<const std::uint32_t> component_of_segment,
                   std::uint32_t cols, Coding coding)
    : component_of_segment_(resolve_components(segments.size(), component_of_segment)), cols_(cols), coding_(coding) {
  if (segments.empty()) throw Error("a key needs at least one segment");
  if (cols == 0) throw Error("an array needs at least one column");
  std::vector<std::uint32_t> first_value(segments.size());
  for (std::size_t s = 0; s < segments.size(); ++s) {
    if (segments[s].levels < 2 || segments[s].levels > 256)
      throw Error("segment " + segments[s].name + ": levels must lie in [2, 256]");
    if (segments[s].values == 0) throw Error("segment " + segments[s].name + " has no values");
    first_value[s] = total_values_;
    total_values_ += segments[s].values;
  }
  components_ = *std::max_element(component_of_segment_.begin(), component_of_segment_.end()) + 1;

  Packer packer(arrays_, cols, coding);
  for (std::uint32_t component = 0; component < components_; ++component) {
    // Distinct precharge ladders of this component, in order of first appearance.
    std::vector<std::uint32_t> ladders;
    for (std::size_t s = 0; s < segments.size(); ++s) {
      if (component_of_segment_[s] != component) continue;
      const std::uint32_t ladder = coding == Coding::binary ? binary_bits(segments[s].levels) : 1U;
      if (std::find(ladders.begin(), ladders.end(), ladder) == ladders.end()) ladders.push_back(ladder);
    }
    for (std::uint32_t ladder : ladders) {
      packer.start(component, ladder);
      for (std::size_t s = 0; s < segments.size(); ++s) {
        if (component_of_segment_[s] != component) continue;
        if ((coding == Coding::binary ? binary_bits(segments[s].levels) : 1U) != ladder) continue;
        for (std::uint32_t i = 0; i < segments[s].values; ++i) packer.place(first_value[s] + i, segments[s].levels);
      }
    }
  }
}

std::uint32_t ArrayMap::columns_used() const {
  std::uint32_t total = 0;
  for (const ArraySlice& a : arrays_) total += a.columns_used;
  return total;
}

std::string ArrayMap::describe() const {
  std::ostringstream out;
  for (std::size_t i = 0; i < arrays_.size(); ++i) {
    const ArraySlice& a = arrays_[i];
    out << "array " << i << ": component " << a.component << ", " << a.columns_used << "/" << cols_ << " columns, values "
        << a.runs.front().value << ".." << a.runs.back().value;
    if (coding_ == Coding::binary) out << ", " << a.ladder_bits << "-bit precharge ladder";
    out << "\n";
  }
  return out.str();
}

}  // namespace mbi::hw
