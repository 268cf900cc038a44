#pragma once
// One fabricated rows x cols 10T-SRAM distance array (paper sec. III-D, Fig. 6(a)).
//
// Operation, per match of one stored key (a row) against the query (on the columns):
//  1. Precharge: every bit line BL and its partner BLB of column c charge to V_P,c, the
//     column's bit-significance level (V_P,max / 2^(p-j-1) for bit j of a p-bit binary value,
//     V_P,max for every thermometer column).
//  2. Discharge: the selected row's cell in column c pulls BL to ground iff k=1, q=0 and BLB
//     iff k=0, q=1; otherwise both keep their precharge.
//  3. Charge sharing (CSUM): all BLs connect to the sum line SLP, all BLBs to SLN (eqs. 2a,
//     2b). With capacitances, SLP = sum_c C_c V_c / (sum_c C_c + C_SL), the sum line having
//     been reset to 0 V.
//  4. Readout: (V_SLP + V_SLN) / 2 falls linearly with the distance and is digitised.
//
// Everything the outcome depends on is fixed at fabrication and sampled once here: each
// line's capacitance and precharge level, and for every cell the fraction of its line's
// charge it fails to remove within the discharge window. Because the result is linear in
// which cells discharge, the array is summarised by a "drop" per (row, column, line): how
// far that cell's discharge pulls its sum line down.
#include <cstdint>
#include <span>
#include <vector>

#include "mbi/hw/array_config.hpp"
#include "mbi/core/random.hpp"

namespace mbi::hw {

// Discharge rules of the 10T cell.
inline bool discharges_bl(bool key_bit, bool query_bit) { return key_bit && !query_bit; }
inline bool discharges_blb(bool key_bit, bool query_bit) { return !key_bit && query_bit; }

struct SumLines {
  double slp_v;
  double sln_v;
  double readout_v() const { return 0.5 * (slp_v + sln_v); }
};

class SramArray {
 public:
  // column_precharge_v: target precharge V_P,c of each of config.cols columns.
  // mismatch: source of device and capacitance mismatch; null gives nominal devices.
  SramArray(const ArrayConfig& config, std::span<const double> column_precharge_v, Random* mismatch);

  std::uint32_t rows() const { return rows_; }
  std::uint32_t cols() const { return cols_; }

  // Sum-line voltages when no cell discharges.
  double slp_top_v() const { return slp_top_; }
  double sln_top_v() const { return sln_top_; }
  // How far SLP (SLN) falls when the cell at (row, col) discharges its BL (BLB).
  double bl_drop_v(std::uint32_t row, std::uint32_t col) const { return bl_drop_[row * cols_ + col]; }
  double blb_drop_v(std::uint32_t row, std::uint32_t col) const { return blb_drop_[row * cols_ + col]; }

  // Steps 2-3 for stored key bits and query bits (one byte per column, nonzero = 1).
  SumLines match(std::uint32_t row, std::span<const std::uint8_t> key_bits, std::span<const std::uint8_t> query_bits) const;

 private:
  std::uint32_t rows_;
  std::uint32_t cols_;
  double slp_top_ = 0.0;
  double sln_top_ = 0.0;
  std::vector<double> bl_drop_;   // rows x cols
  std::vector<double> blb_drop_;  // rows x cols
};

}  // namespace mbi::hw
