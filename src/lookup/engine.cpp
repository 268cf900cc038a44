#include "mbi/lookup/engine.hpp"

#include <algorithm>
#include <array>

#include "mbi/core/error.hpp"
#include "mbi/lookup/quantize.hpp"
#include "mbi/lookup/ram_keys.hpp"

namespace mbi {
namespace {

// A hidden state is usually one word (64 units of 1 bit): copied as such, where std::copy
// called memmove, a visible share of a lookup.
void copy_words(const std::uint64_t* from, std::size_t words, std::uint64_t* to) {
  if (words == 1)
    *to = *from;
  else
    std::copy_n(from, words, to);
}

}  // namespace

LookupEngine::LookupEngine(const Table& table, const RamConfig& config)
    : table_(table),
      config_(config),
      geometry_(GlimpseGeometry::from(config)),
      quantizer_(geometry_, config.norm_mean, config.norm_std, config.phi_lo, config.phi_hi, config.phi_levels()),
      key_layout_(ram_key_layout(config)),
      value_layout_(ram_value_layout(config)) {
  if (!(table.key_layout() == key_layout_) || !(table.value_layout() == value_layout_))
    throw Error(table.name() + ": key layout does not match the teacher configuration it names");
  for (int k = 0; k < config.patches; ++k) glimpse_segments_.push_back(key_layout_.segment_index("glimpse" + std::to_string(k)));
  glimpse_target_ = quantizer_.key_target(key_layout_, glimpse_segments_.data());
  compact_ = quantizer_.compact_supported(glimpse_target_);
  hidden_segment_ = key_layout_.segment_index("hidden");
  loc_x_segment_ = key_layout_.segment_index("loc_x");
  loc_y_segment_ = key_layout_.segment_index("loc_y");
  // The key's hidden segment and the value's only segment are the same specification, so a
  // stored h_t is copied into the next query word for word, never unpacked and repacked.
  const SegmentSpec& h = key_layout_.segments()[hidden_segment_];
  const SegmentSpec& v = value_layout_.segments()[0];
  if (value_layout_.segments().size() != 1 || h.values != v.values || h.levels != v.levels)
    throw Error(table.name() + ": value layout differs from the key's hidden segment");
}

void LookupEngine::make_query(std::size_t slot, int loc_x, int loc_y, const std::uint64_t* hidden,
                              std::uint64_t* key) {
  if (compact_)
    quantizer_.encode(compact_images_[slot], loc_x, loc_y, glimpse_target_, key);
  else
    quantizer_.encode(images_[slot], loc_x, loc_y, glimpse_target_, key);
  copy_words(hidden, value_layout_.words(), key + key_layout_.first_word(hidden_segment_));
  const std::uint8_t x = static_cast<std::uint8_t>(loc_x);
  const std::uint8_t y = static_cast<std::uint8_t>(loc_y);
  key_layout_.encode_segment(loc_x_segment_, &x, key);
  key_layout_.encode_segment(loc_y_segment_, &y, key);
}

LookupResult LookupEngine::infer(const std::uint8_t* pixels, const LookupOptions& options) {
  LookupResult result;
  infer_batch({&pixels, 1}, options, {&result, 1});
  return result;
}

void LookupEngine::infer_batch(std::span<const std::uint8_t* const> images, const LookupOptions& options,
                               std::span<LookupResult> results) {
  if (images.size() != results.size())
    throw Error("lookup batch: " + std::to_string(images.size()) + " images but " + std::to_string(results.size()) +
                " results");
  // A chunk's scratch (its integral images, and the tree nodes its searches have asked for
  // but not yet read) stays in the first two cache levels; at 256 images it did not, and a
  // large batch gains nothing more: 32 queries in flight already overlap the table's misses.
  constexpr std::size_t kChunk = 32;
  for (std::size_t b = 0; b < images.size(); b += kChunk) {
    const std::size_t e = std::min(images.size(), b + kChunk);
    infer_chunk(images.subspan(b, e - b), options, results.subspan(b, e - b));
  }
}

void LookupEngine::infer_chunk(std::span<const std::uint8_t* const> images, const LookupOptions& options,
                               std::span<LookupResult> results) {
  const std::size_t n = images.size();
  const std::size_t words = key_layout_.words();
  const std::size_t hidden_words = value_layout_.words();
  const bool compact = compact_;
  if (compact && compact_images_.size() < n) compact_images_.resize(n);
  if (!compact && images_.size() < n) images_.resize(n);
  hidden_.assign(n * hidden_words, 0);
  loc_.resize(2 * n);
  active_.resize(n);
  queries_.resize(n * words);
  found_.resize(n);
  const std::size_t pixels = static_cast<std::size_t>(config_.image_rows) * config_.image_cols;
  const int start_x = location_to_pixel(config_.start_x, config_.image_cols);
  const int start_y = location_to_pixel(config_.start_y, config_.image_rows);
  for (std::size_t i = 0; i < n; ++i) {
    if (compact)
      compact_images_[i].assign({images[i], pixels}, config_.image_rows, config_.image_cols);
    else
      images_[i].assign({images[i], pixels}, config_.image_rows, config_.image_cols, config_.norm_mean, config_.norm_std);
    // Keeps the steps' storage: callers reuse their results batch after batch, and a fresh
    // vector per image was an allocation per image.
    std::vector<LookupStep> steps = std::move(results[i].steps);
    steps.clear();
    steps.reserve(static_cast<std::size_t>(config_.glimpses));
    results[i] = LookupResult{};
    results[i].steps = std::move(steps);
    loc_[2 * i] = start_x;
    loc_[2 * i + 1] = start_y;
    active_[i] = static_cast<std::uint32_t>(i);
  }
  std::size_t active = n;
  const NearestIndex& index = options.index != nullptr ? *options.index : table_.index();
  const auto table_rows = static_cast<std::uint32_t>(table_.rows());

  for (int t = 0; t < config_.glimpses && active > 0; ++t) {
    for (std::size_t a = 0; a < active; ++a) {
      const std::size_t i = active_[a];
      make_query(i, loc_[2 * i], loc_[2 * i + 1], hidden_.data() + i * hidden_words, queries_.data() + a * words);
    }
    if (options.vote <= 1) {
      index.search({queries_.data(), active * words}, t, options.search, {found_.data(), active});
    } else {
      ranked_.resize(options.vote);
      voted_hidden_.resize(active * hidden_words);
      voted_loc_.resize(2 * active);
      voted_prediction_.resize(active);
      for (std::size_t a = 0; a < active; ++a) {
        const std::size_t k = index.search_k({queries_.data() + a * words, words}, t, options.search, ranked_);
        if (k == 0) throw Error(table_.name() + ": table has no rows");
        found_[a] = ranked_[0];
        vote({ranked_.data(), k}, voted_hidden_.data() + a * hidden_words, &voted_loc_[2 * a], &voted_prediction_[a]);
      }
    }

    // The matched rows' values lie anywhere in the table: ask for all of them before reading
    // any, so that on a table larger than the cache their misses overlap (a tree search has
    // asked already, through its row data, as it settled each row).
    for (std::size_t a = 0; a < active; ++a) {
      const std::size_t row = found_[a].index;
      if (row >= table_rows) continue;
      __builtin_prefetch(table_.next_hidden().data() + row * hidden_words);
      __builtin_prefetch(table_.next_location().data() + 2 * row);
      __builtin_prefetch(table_.prediction().data() + row);
    }
    std::size_t still = 0;
    for (std::size_t a = 0; a < active; ++a) {
      const std::size_t i = active_[a];
      const SearchResult& found = found_[a];
      if (found.index == kNoIndex || found.index >= table_rows) throw Error(table_.name() + ": table has no rows");
      LookupResult& r = results[i];
      r.steps.push_back({found.index, found.distance, found.comparisons, loc_[2 * i], loc_[2 * i + 1]});
      r.comparisons += found.comparisons;
      r.links_read += found.links_read;
      r.max_distance = std::max(r.max_distance, found.distance);
      if (found.distance > options.stop_above) continue;  // stopped: mixed mode asks the teacher
      if (options.vote > 1) {
        copy_words(voted_hidden_.data() + a * hidden_words, hidden_words, hidden_.data() + i * hidden_words);
        loc_[2 * i] = voted_loc_[2 * a];
        loc_[2 * i + 1] = voted_loc_[2 * a + 1];
        r.prediction = voted_prediction_[a];
      } else {
        const auto next = table_.next_hidden(found.index);
        copy_words(next.data(), hidden_words, hidden_.data() + i * hidden_words);
        loc_[2 * i] = table_.next_location()[2 * static_cast<std::size_t>(found.index)];
        loc_[2 * i + 1] = table_.next_location()[2 * static_cast<std::size_t>(found.index) + 1];
        r.prediction = table_.prediction()[found.index];
      }
      if (t + 1 == config_.glimpses) r.completed = true;
      active_[still++] = static_cast<std::uint32_t>(i);
    }
    active = still;
  }
}

void LookupEngine::vote(std::span<const SearchResult> ranked, std::uint64_t* hidden, int* loc, int* prediction) {
  const std::size_t k = ranked.size();
  const std::size_t values = value_layout_.total_values();
  const std::size_t hidden_words = value_layout_.words();
  // The lower median of k values; for two levels, the majority (ties to the lower level).
  const auto median = [&](std::vector<std::uint8_t>& column) {
    const auto mid = column.begin() + static_cast<std::ptrdiff_t>((column.size() - 1) / 2);
    std::nth_element(column.begin(), mid, column.end());
    return *mid;
  };
  vote_values_.resize(k * values);
  for (std::size_t j = 0; j < k; ++j)
    value_layout_.decode(table_.next_hidden(ranked[j].index), {vote_values_.data() + j * values, values});
  voted_values_.resize(values);
  vote_column_.resize(k);
  for (std::size_t v = 0; v < values; ++v) {
    for (std::size_t j = 0; j < k; ++j) vote_column_[j] = vote_values_[j * values + v];
    voted_values_[v] = median(vote_column_);
  }
  value_layout_.encode(voted_values_, {hidden, hidden_words});
  for (std::size_t axis = 0; axis < 2; ++axis) {
    for (std::size_t j = 0; j < k; ++j)
      vote_column_[j] = table_.next_location()[2 * static_cast<std::size_t>(ranked[j].index) + axis];
    loc[axis] = median(vote_column_);
  }
  // Plurality; among tied classes the one whose first vote came from the nearer row.
  std::array<std::uint32_t, 256> count{};
  int best = table_.prediction()[ranked[0].index];
  for (std::size_t j = 0; j < k; ++j) ++count[table_.prediction()[ranked[j].index]];
  for (std::size_t j = 0; j < k; ++j) {
    const int c = table_.prediction()[ranked[j].index];
    if (count[c] > count[best]) best = c;
  }
  *prediction = best;
}

}  // namespace mbi
