#include "mbi/search/key_layout.hpp"

#include <algorithm>
#include <bit>

#include "mbi/core/error.hpp"

namespace mbi {
namespace {

constexpr std::uint32_t kWordBits = 64;

std::uint32_t bits_per_value(const SegmentSpec& s) { return s.levels - 1; }

// Sets `count` consecutive bits starting at bit `bit` of the little-endian word array.
// A value's code may straddle a word boundary; the distance does not care, since the
// popcount of an XOR counts differing bits wherever they lie.
void set_ones(std::uint64_t* words, std::uint64_t bit, std::uint32_t count) {
  while (count > 0) {
    const auto word = static_cast<std::size_t>(bit / kWordBits);
    const auto offset = static_cast<std::uint32_t>(bit % kWordBits);
    const std::uint32_t take = std::min(count, kWordBits - offset);
    const std::uint64_t run = take == kWordBits ? ~0ULL : ((1ULL << take) - 1) << offset;
    words[word] |= run;
    bit += take;
    count -= take;
  }
}

// Number of ones among `count` bits starting at `bit`: the value a thermometer code holds.
std::uint32_t count_ones(const std::uint64_t* words, std::uint64_t bit, std::uint32_t count) {
  std::uint32_t ones = 0;
  while (count > 0) {
    const auto word = static_cast<std::size_t>(bit / kWordBits);
    const auto offset = static_cast<std::uint32_t>(bit % kWordBits);
    const std::uint32_t take = std::min(count, kWordBits - offset);
    const std::uint64_t mask = take == kWordBits ? ~0ULL : ((1ULL << take) - 1) << offset;
    ones += static_cast<std::uint32_t>(std::popcount(words[word] & mask));
    bit += take;
    count -= take;
  }
  return ones;
}

}  // namespace

KeyLayout::KeyLayout(std::vector<SegmentSpec> segments) : segments_(std::move(segments)) {
  first_word_.reserve(segments_.size());
  first_value_.reserve(segments_.size());
  for (std::size_t s = 0; s < segments_.size(); ++s) {
    const SegmentSpec& spec = segments_[s];
    // Values arrive as uint8, so 256 levels is the most a value can express.
    if (spec.levels < 2 || spec.levels > 256)
      throw Error("key layout: segment '" + spec.name + "' has " + std::to_string(spec.levels) +
                  " levels (must be 2..256)");
    if (spec.values == 0) throw Error("key layout: segment '" + spec.name + "' has no values");
    for (std::size_t t = 0; t < s; ++t)
      if (segments_[t].name == spec.name) throw Error("key layout: segment name '" + spec.name + "' repeats");
    // Sizes in 64 bits, bounded before they narrow: a layout read from a file must not make
    // a key of billions of words (nor wrap one into a few).
    const std::uint64_t bits = static_cast<std::uint64_t>(spec.values) * bits_per_value(spec);
    const std::uint64_t words = static_cast<std::uint64_t>(words_) + (bits + kWordBits - 1) / kWordBits;
    if (words > kMaxKeyWords)
      throw Error("key layout: keys of more than " + std::to_string(kMaxKeyWords) + " words (segment '" + spec.name +
                  "' has " + std::to_string(spec.values) + " values of " + std::to_string(spec.levels) + " levels)");
    first_word_.push_back(words_);
    first_value_.push_back(total_values_);
    words_ = static_cast<std::uint32_t>(words);
    total_values_ += spec.values;  // at most 64 x kMaxKeyWords: every value takes a bit or more
  }
}

std::uint32_t KeyLayout::segment_words(std::size_t segment) const {
  const SegmentSpec& spec = segments_[segment];
  const std::uint64_t bits = static_cast<std::uint64_t>(spec.values) * bits_per_value(spec);
  return static_cast<std::uint32_t>((bits + kWordBits - 1) / kWordBits);  // bounded by the constructor
}

std::size_t KeyLayout::segment_index(const std::string& name) const {
  for (std::size_t s = 0; s < segments_.size(); ++s)
    if (segments_[s].name == name) return s;
  throw Error("key layout: no segment named '" + name + "'");
}

void KeyLayout::encode(std::span<const std::uint8_t> values, std::span<std::uint64_t> out) const {
  if (values.size() != total_values_ || out.size() != words_)
    throw Error("key layout: encode got " + std::to_string(values.size()) + " values into " +
                std::to_string(out.size()) + " words, layout needs " + std::to_string(total_values_) +
                " values and " + std::to_string(words_) + " words");
  for (std::size_t s = 0; s < segments_.size(); ++s) encode_segment(s, values.data() + first_value_[s], out.data());
}

void KeyLayout::encode_segment(std::size_t segment, const std::uint8_t* values, std::uint64_t* key) const {
  const SegmentSpec& spec = segments_[segment];
  const std::uint32_t width = bits_per_value(spec);
  std::uint64_t* words = key + first_word_[segment];
  const std::uint32_t count = segment_words(segment);
  if (count == 1) {  // the common case (a location, a small patch): built in a register
    std::uint64_t word = 0;
    for (std::uint32_t i = 0, offset = 0; i < spec.values; ++i, offset += width) {
      const std::uint32_t ones = std::min<std::uint32_t>(values[i], width);
      word |= (ones == kWordBits ? ~0ULL : (1ULL << ones) - 1) << offset;
    }
    *words = word;  // unused tail bits stay zero, as the distance assumes
    return;
  }
  std::fill_n(words, count, 0);
  std::uint64_t bit = 0;
  for (std::uint32_t i = 0; i < spec.values; ++i, bit += width) {
    const std::uint32_t ones = std::min<std::uint32_t>(values[i], width);
    const auto offset = static_cast<std::uint32_t>(bit % kWordBits);
    if (offset + ones < kWordBits)  // the common case: the code fits in one word
      words[bit / kWordBits] |= ((1ULL << ones) - 1) << offset;
    else
      set_ones(words, bit, ones);
  }
}

void KeyLayout::decode(std::span<const std::uint64_t> key, std::span<std::uint8_t> values) const {
  if (key.size() != words_ || values.size() != total_values_)
    throw Error("key layout: decode got " + std::to_string(key.size()) + " words into " +
                std::to_string(values.size()) + " values, layout needs " + std::to_string(words_) +
                " words and " + std::to_string(total_values_) + " values");
  for (std::size_t s = 0; s < segments_.size(); ++s) {
    const SegmentSpec& spec = segments_[s];
    const std::uint32_t width = bits_per_value(spec);
    const std::uint64_t* segment = key.data() + first_word_[s];
    for (std::uint32_t i = 0; i < spec.values; ++i)
      values[first_value_[s] + i] =
          static_cast<std::uint8_t>(count_ones(segment, static_cast<std::uint64_t>(i) * width, width));
  }
}

std::vector<std::uint32_t> KeyLayout::word_weights(std::span<const std::uint32_t> segment_weights) const {
  if (segment_weights.size() != segments_.size())
    throw Error("key layout: got " + std::to_string(segment_weights.size()) + " segment weights for " +
                std::to_string(segments_.size()) + " segments");
  std::vector<std::uint32_t> weights(words_);
  for (std::size_t s = 0; s < segments_.size(); ++s)
    std::fill_n(weights.begin() + first_word_[s], segment_words(s), segment_weights[s]);
  return weights;
}

bool KeyLayout::operator==(const KeyLayout& other) const {
  if (segments_.size() != other.segments_.size()) return false;
  for (std::size_t s = 0; s < segments_.size(); ++s) {
    const SegmentSpec& a = segments_[s];
    const SegmentSpec& b = other.segments_[s];
    if (a.name != b.name || a.values != b.values || a.levels != b.levels) return false;
  }
  return true;
}

}  // namespace mbi
