#pragma once
// How a lookup key is laid out in bits.
//
// A key is a list of segments (for the RAM: one per glimpse scale, the hidden state, and
// the two location axes). Each segment holds `values` small integers in [0, levels).
// Every value is stored in thermometer (unary) code of levels-1 bits: v -> v ones. With
// that code the Manhattan distance between two values equals the popcount of the XOR of
// their codes, so the weighted Manhattan distance of paper eq. 1 is an exact weighted sum
// of popcounts. Each segment starts on a 64-bit word boundary, so one weight per segment
// turns into one weight per word.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mbi {

struct SegmentSpec {
  std::string name;      // e.g. "glimpse0", "hidden", "loc_x"
  std::uint32_t values;  // number of values in the segment
  std::uint32_t levels;  // each value lies in [0, levels); levels >= 2
};

// Most 64-bit words a key may take (4 Mbit): far past any key mbi builds, and a bound on what
// a layout read from a file can make the reader allocate.
inline constexpr std::uint32_t kMaxKeyWords = 1U << 16;

class KeyLayout {
 public:
  KeyLayout() = default;
  // Throws mbi::Error for a segment of fewer than 2 or more than 256 levels, no values, a
  // repeated name, or keys of more than kMaxKeyWords words.
  explicit KeyLayout(std::vector<SegmentSpec> segments);

  const std::vector<SegmentSpec>& segments() const { return segments_; }
  std::uint32_t words() const { return words_; }  // 64-bit words per key
  std::uint32_t first_word(std::size_t segment) const { return first_word_[segment]; }
  std::uint32_t segment_words(std::size_t segment) const;
  std::uint32_t total_values() const { return total_values_; }
  // Index of the segment named `name`; throws mbi::Error when absent.
  std::size_t segment_index(const std::string& name) const;

  // Packs `values` (all segments' values concatenated in segment order, total_values()
  // of them) into `out` (words() words). Values out of range are clamped.
  void encode(std::span<const std::uint8_t> values, std::span<std::uint64_t> out) const;
  // Packs one segment's values (segments()[segment].values of them) into its words of `key`
  // (a words()-word key), leaving the other segments' words alone.
  void encode_segment(std::size_t segment, const std::uint8_t* values, std::uint64_t* key) const;
  // Inverse of encode.
  void decode(std::span<const std::uint64_t> key, std::span<std::uint8_t> values) const;

  // Expands one weight per segment into one weight per word (the form the kernels take).
  std::vector<std::uint32_t> word_weights(std::span<const std::uint32_t> segment_weights) const;

  bool operator==(const KeyLayout& other) const;

 private:
  std::vector<SegmentSpec> segments_;
  std::vector<std::uint32_t> first_word_;
  std::vector<std::uint32_t> first_value_;
  std::uint32_t words_ = 0;
  std::uint32_t total_values_ = 0;
};

}  // namespace mbi
