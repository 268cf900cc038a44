// AP arithmetic against plain integers: every row of the array computes its own operands, and
// after each operation every row must hold exactly what int64 arithmetic wrapped to the
// destination's width gives, in exactly the stated number of passes.
#include "mbi/ap/arithmetic.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "mbi/ap/truth_table.hpp"
#include "mbi/core/error.hpp"

namespace mbi::ap {
namespace {

// `value` wrapped into a field of `bits` bits, as the field would read it back.
std::int64_t wrap(std::int64_t value, std::uint32_t bits, bool is_signed) {
  const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  const std::uint64_t raw = static_cast<std::uint64_t>(value) & mask;
  if (is_signed && bits < 64 && ((raw >> (bits - 1)) & 1U)) return static_cast<std::int64_t>(raw | ~mask);
  return static_cast<std::int64_t>(raw);
}

std::int64_t random_value(std::mt19937_64& rng, Field f) {
  const std::uint64_t raw = f.bits == 64 ? rng() : rng() & ((std::uint64_t{1} << f.bits) - 1);
  return wrap(static_cast<std::int64_t>(raw), f.bits, f.is_signed);
}

TEST(TruthTable, OrdersChangesSoNoRowIsRewritten) {
  // The full adder's changes over (a, b, carry): 001->010 must run before 011->001, and
  // 110->101 before 100->110.
  const std::vector<PatternChange> ordered =
      in_place_order({{0b011, 0b001}, {0b001, 0b010}, {0b100, 0b110}, {0b110, 0b101}, {0b111, 0b111}});
  ASSERT_EQ(ordered.size(), 4U);  // the unchanged pattern is dropped
  const auto at = [&](std::uint32_t from) {
    for (std::size_t i = 0; i < ordered.size(); ++i)
      if (ordered[i].from == from) return i;
    return ordered.size();
  };
  EXPECT_LT(at(0b001), at(0b011));
  EXPECT_LT(at(0b110), at(0b100));
  EXPECT_THROW(in_place_order({{1, 2}, {2, 1}}), Error);  // a swap needs a scratch column
  EXPECT_THROW(in_place_order({{1, 2}, {1, 3}}), Error);  // one pattern, two results
}

struct Case {
  std::uint32_t dst_bits;
  bool dst_signed;
  std::uint32_t src_bits;
  bool src_signed;
};

// Random operands (and their extremes) in 700 rows for every width pairing up to 9 bits, both
// signednesses, add and subtract; a condition column leaves a third of the rows alone.
TEST(Arithmetic, AddAndSubtractAreExactForEveryWidthAndSign) {
  std::mt19937_64 rng(7);
  const std::size_t rows = 700;
  for (std::uint32_t w = 1; w <= 9; ++w)
    for (std::uint32_t m = 1; m <= w; ++m)
      for (int signs = 0; signs < 4; ++signs)
        for (const bool sub : {false, true}) {
          const Field dst{0, w, (signs & 1) != 0};
          const Field src{w, m, (signs & 2) != 0};
          const std::uint32_t carry = w + m, flag = w + m + 1;
          CamArray cam(rows, w + m + 2);
          std::vector<std::int64_t> a(rows), b(rows);
          std::vector<bool> on(rows);
          for (std::size_t r = 0; r < rows; ++r) {
            a[r] = random_value(rng, src);
            b[r] = random_value(rng, dst);
            if (r < 8) {  // extremes: all zeros, all ones in either operand
              a[r] = wrap(r & 1 ? -1 : 0, m, src.is_signed);
              b[r] = wrap(r & 2 ? -1 : 0, w, dst.is_signed);
            }
            on[r] = r % 3 != 0;
            store_value(cam, r, src, a[r]);
            store_value(cam, r, dst, b[r]);
            cam.store(r, flag, 1, on[r] ? 1 : 0);
          }
          cam.reset_counts();
          const std::vector<ColumnBit> condition = {{flag, true}};
          if (sub)
            subtract(cam, dst, src, carry, condition);
          else
            add(cam, dst, src, carry, condition);
          EXPECT_EQ(cam.counts().compares, add_passes(dst, src));
          EXPECT_EQ(cam.counts().writes, add_passes(dst, src));
          for (std::size_t r = 0; r < rows; ++r) {
            const std::int64_t expect = on[r] ? wrap(sub ? b[r] - a[r] : b[r] + a[r], w, dst.is_signed) : b[r];
            ASSERT_EQ(load_value(cam, r, dst), expect)
                << (sub ? "sub" : "add") << " w=" << w << " m=" << m << " signs=" << signs << " row " << r << ": "
                << b[r] << (sub ? " - " : " + ") << a[r];
            ASSERT_EQ(load_value(cam, r, src), a[r]);  // the source is left as it was
            ASSERT_EQ(cam.load(r, carry, 1), 0U);      // and the carry clear
          }
        }
}

TEST(Arithmetic, PassCountsAreAsStated) {
  // Accumulating a 4-bit activation into a 12-bit partial sum: 2 + 3 x 4 + 8 x 2 + 1 passes.
  EXPECT_EQ(add_passes({0, 12, true}, {12, 4, false}), 31U);
  // A signed source sign-extends through every bit: 2 + 11 x 4 + 1.
  EXPECT_EQ(add_passes({0, 12, true}, {12, 4, true}), 47U);
  EXPECT_EQ(add_passes({0, 1, false}, {1, 1, false}), 3U);
}

TEST(Arithmetic, ReluClearAndCopy) {
  const std::size_t rows = 256;
  const Field x{0, 8, true}, y{8, 5, false}, z{13, 10, true};
  CamArray cam(rows, 23);
  for (std::size_t r = 0; r < rows; ++r) store_value(cam, r, x, static_cast<std::int64_t>(r) - 128);
  cam.reset_counts();
  copy(cam, z, x);  // sign extension
  EXPECT_EQ(cam.counts().compares, 1U + 10U);
  copy(cam, y, x);  // truncation to 5 unsigned bits
  relu(cam, x);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int64_t v = static_cast<std::int64_t>(r) - 128;
    ASSERT_EQ(load_value(cam, r, z), v);
    ASSERT_EQ(load_value(cam, r, y), v & 31);
    ASSERT_EQ(load_value(cam, r, x), v < 0 ? 0 : v);
  }
  cam.reset_counts();
  relu(cam, x);
  clear(cam, z);
  EXPECT_EQ(cam.counts().compares, 2U);
  for (std::size_t r = 0; r < rows; ++r) ASSERT_EQ(load_value(cam, r, z), 0);
}

// Every value of the field against random monotone thresholds (with repeats, and thresholds
// outside the field's range that every value or no value reaches), rising and falling, signed
// and unsigned: the level must be the count of thresholds reached, in the stated passes.
TEST(Arithmetic, RequantizeCountsTheThresholdsReached) {
  std::mt19937_64 rng(11);
  for (std::uint32_t w = 1; w <= 9; ++w)
    for (const bool is_signed : {false, true})
      for (const bool rising : {true, false})
        for (int trial = 0; trial < 6; ++trial) {
          const Field value{0, w, is_signed}, level{w, 4, false};
          const std::int64_t lo = is_signed ? -(std::int64_t{1} << (w - 1)) : 0;
          const std::int64_t hi = is_signed ? (std::int64_t{1} << (w - 1)) - 1 : (std::int64_t{1} << w) - 1;
          std::vector<std::int64_t> t(1 + rng() % 15);
          for (std::int64_t& x : t) x = lo - 2 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 5));
          if (trial == 0) t = {lo, lo, hi, hi + 1};  // the edges
          std::sort(t.begin(), t.end());
          if (!rising) std::reverse(t.begin(), t.end());
          const std::size_t rows = static_cast<std::size_t>(hi - lo + 1) * 2;
          CamArray cam(rows, w + 5);
          for (std::size_t r = 0; r < rows; ++r) {
            store_value(cam, r, value, lo + static_cast<std::int64_t>(r / 2));
            store_value(cam, r, level, 9);  // stale bits the requantization must replace
            cam.store(r, w + 4, 1, r % 2);  // the condition: odd rows only
          }
          cam.reset_counts();
          const std::vector<ColumnBit> condition = {{w + 4, true}};
          requantize(cam, level, value, t, rising, condition);
          EXPECT_EQ(cam.counts().compares, requantize_passes(value, t, rising));
          for (std::size_t r = 0; r < rows; ++r) {
            const std::int64_t v = lo + static_cast<std::int64_t>(r / 2);
            const auto reached = std::count_if(t.begin(), t.end(), [&](std::int64_t x) { return rising ? v >= x : v <= x; });
            ASSERT_EQ(load_value(cam, r, level), r % 2 ? reached : 9) << "w=" << w << " v=" << v;
            ASSERT_EQ(load_value(cam, r, value), v);
          }
        }
  // 15 distinct thresholds over an 8-bit value: one pattern per 0 bit above the lowest 1
  // (rising) plus one, after the pass that sets every row's base level.
  const std::vector<std::int64_t> t = {128};
  EXPECT_EQ(requantize_passes({0, 8, false}, t, true), 1U + 1U);  // 1000 0000: only the prefix pattern
  const std::vector<std::int64_t> u = {1};
  EXPECT_EQ(requantize_passes({0, 8, false}, u, true), 1U + 7U + 1U);  // 0000 0001: 7 zeros above
  const std::vector<std::int64_t> unsorted = {3, 1};
  EXPECT_THROW(requantize_passes({0, 8, false}, unsorted, true), Error);
}

// max_into and argmax on every pair of 5-bit values (signed and unsigned), ties included.
TEST(Arithmetic, MaxAndArgmaxAreExact) {
  for (const bool is_signed : {false, true}) {
    const std::uint32_t w = 5;
    const Field a{0, w, is_signed}, b{w, w, is_signed};
    const std::uint32_t greater = 2 * w, equal = 2 * w + 1, mark = 2 * w + 2;
    const std::size_t rows = 32 * 32;
    CamArray cam(rows, 2 * w + 3);
    const std::int64_t lo = is_signed ? -16 : 0;
    for (std::size_t r = 0; r < rows; ++r) {
      store_value(cam, r, a, lo + static_cast<std::int64_t>(r % 32));
      store_value(cam, r, b, lo + static_cast<std::int64_t>(r / 32));
    }
    cam.reset_counts();
    const std::vector<ColumnBit> mark_it = {{mark, true}};
    max_into(cam, a, b, greater, equal, mark_it);
    EXPECT_EQ(cam.counts().compares, max_passes(a, true));
    for (std::size_t r = 0; r < rows; ++r) {
      const std::int64_t x = lo + static_cast<std::int64_t>(r % 32), y = lo + static_cast<std::int64_t>(r / 32);
      ASSERT_EQ(load_value(cam, r, a), std::max(x, y));
      ASSERT_EQ(cam.load(r, mark, 1), y > x ? 1U : 0U);
      ASSERT_EQ(cam.load(r, greater, 1) + cam.load(r, equal, 1), 0U);  // scratch left clear
    }
  }
  // argmax of 7 random signed 6-bit values per row, with many ties.
  std::mt19937_64 rng(3);
  const std::uint32_t w = 6, n = 7;
  std::vector<Field> values;
  for (std::uint32_t j = 0; j < n; ++j) values.push_back({j * w, w, true});
  const Field index{n * w, 3, false}, best{n * w + 3, w, true};
  const std::uint32_t greater = n * w + 3 + w, equal = greater + 1;
  const std::size_t rows = 3000;
  CamArray cam(rows, equal + 1);
  std::vector<std::vector<std::int64_t>> v(rows, std::vector<std::int64_t>(n));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::uint32_t j = 0; j < n; ++j) {
      v[r][j] = static_cast<std::int64_t>(rng() % (r % 2 ? 64 : 4)) - (r % 2 ? 32 : 2);
      store_value(cam, r, values[j], v[r][j]);
    }
  cam.reset_counts();
  argmax(cam, values, index, best, greater, equal);
  EXPECT_EQ(cam.counts().compares, 1 + (1 + w) + (n - 1) * max_passes(best, true));
  for (std::size_t r = 0; r < rows; ++r) {
    const auto top = std::max_element(v[r].begin(), v[r].end());
    ASSERT_EQ(load_value(cam, r, index), top - v[r].begin()) << "row " << r;
    ASSERT_EQ(load_value(cam, r, best), *top);
  }
}

TEST(Arithmetic, RefusesFieldsThatDoNotFit) {
  CamArray cam(4, 16);
  EXPECT_THROW(store_value(cam, 0, {0, 4, false}, 16), Error);
  EXPECT_THROW(store_value(cam, 0, {0, 4, false}, -1), Error);
  EXPECT_THROW(store_value(cam, 0, {0, 4, true}, 8), Error);
  EXPECT_NO_THROW(store_value(cam, 0, {0, 4, true}, -8));
  EXPECT_THROW(add(cam, {0, 4, false}, {4, 5, false}, 12), Error);  // source wider
  EXPECT_THROW(add(cam, {0, 4, false}, {3, 4, false}, 12), Error);  // overlapping
  EXPECT_THROW(add(cam, {0, 4, false}, {4, 4, false}, 2), Error);   // carry inside dst
  EXPECT_THROW(add(cam, {0, 4, false}, {12, 8, false}, 9), Error);  // outside the array
  EXPECT_THROW(relu(cam, {0, 4, false}), Error);                    // unsigned
}

}  // namespace
}  // namespace mbi::ap
