#include "mbi/lookup_engine.hpp"

#include "mbi/error.hpp"
#include "mbi/quantize.hpp"
#include "mbi/ram_keys.hpp"

namespace mbi {

LookupEngine::LookupEngine(const MappedTable& table, const RamConfig& config)
    : table_(table),
      config_(config),
      geometry_(GlimpseGeometry::from(config)),
      key_layout_(ram_key_layout(config)),
      value_layout_(ram_value_layout(config)) {
  if (!(table.key_layout() == key_layout_) || !(table.value_layout() == value_layout_))
    throw Error(table.path().string() + ": key layout does not match the teacher configuration it names");
  glimpse_.resize(static_cast<std::size_t>(geometry_.size()));
  phi_levels_.resize(glimpse_.size());
  hidden_.resize(static_cast<std::size_t>(config.hidden));
  values_.resize(key_layout_.total_values());
  query_.resize(key_layout_.words());
}

void LookupEngine::load_image(const std::uint8_t* pixels) {
  // The same call as the teacher's input pipeline (train::make_batch): identical glimpses.
  const std::size_t size = static_cast<std::size_t>(config_.image_rows) * config_.image_cols;
  image_.assign({pixels, size}, config_.image_rows, config_.image_cols, config_.norm_mean, config_.norm_std);
}

void LookupEngine::make_query(int loc_x, int loc_y, const std::uint8_t* hidden_levels, std::vector<std::uint64_t>& key,
                              std::vector<std::uint8_t>* values) {
  extract_glimpse(image_, geometry_, loc_x, loc_y, glimpse_);
  const int levels = config_.phi_levels();
  for (std::size_t k = 0; k < glimpse_.size(); ++k)
    phi_levels_[k] = quantize_level(glimpse_[k], config_.phi_lo, config_.phi_hi, levels);
  ram_key_values(config_, phi_levels_.data(), hidden_levels, loc_x, loc_y, values_.data());
  key.resize(key_layout_.words());
  key_layout_.encode(values_, key);
  if (values != nullptr) *values = values_;
}

LookupResult LookupEngine::infer(const std::uint8_t* pixels, const LookupOptions& options) {
  load_image(pixels);
  LookupResult result;
  result.steps.reserve(static_cast<std::size_t>(config_.glimpses));
  std::fill(hidden_.begin(), hidden_.end(), std::uint8_t{0});
  int loc_x = location_to_pixel(config_.start_x, config_.image_cols);
  int loc_y = location_to_pixel(config_.start_y, config_.image_rows);
  TreeSearchOptions search;
  search.probes = options.probes;
  search.max_comparisons = options.max_comparisons;
  for (int t = 0; t < config_.glimpses; ++t) {
    make_query(loc_x, loc_y, hidden_.data(), query_);
    const SearchResult found = options.nearest      ? options.nearest(query_, values_, t)
                               : options.exhaustive ? exhaustive_nearest(query_, table_.keys(), table_.word_weights())
                                                    : table_.nearest_at_step(query_, t, search);
    if (found.index == kNoIndex) throw Error(table_.path().string() + ": table has no rows");
    result.steps.push_back({found.index, found.distance, found.comparisons, loc_x, loc_y});
    result.comparisons += found.comparisons;
    result.max_distance = std::max(result.max_distance, found.distance);
    if (found.distance > options.stop_above) return result;
    value_layout_.decode(table_.next_hidden(found.index), hidden_);
    loc_x = table_.next_location()[2 * static_cast<std::size_t>(found.index)];
    loc_y = table_.next_location()[2 * static_cast<std::size_t>(found.index) + 1];
    result.prediction = table_.prediction()[found.index];
  }
  result.completed = true;
  return result;
}

}  // namespace mbi
