#include "mbi/hw/sram_array.hpp"

#include "mbi/core/error.hpp"
#include "mbi/hw/device_model.hpp"

namespace mbi::hw {

SramArray::SramArray(const ArrayConfig& config, std::span<const double> column_precharge_v, Random* mismatch)
    : rows_(config.rows), cols_(config.cols), bl_drop_(std::size_t{config.rows} * config.cols),
      blb_drop_(std::size_t{config.rows} * config.cols) {
  if (column_precharge_v.size() != cols_) throw Error("SramArray: one precharge level per column is required");
  const DeviceParams& d = config.device;

  // Per line: capacitance and the voltage actually reached in the precharge window.
  // Draw order is fixed (capacitance, precharge, then cells) so that the same seed with a
  // different sigma gives the same underlying normals, scaled.
  struct Line {
    double cap_ff;
    double precharged_v;
  };
  std::vector<Line> bl(cols_), blb(cols_);
  auto make_line = [&](double target_v) {
    const double spread = mismatch != nullptr ? d.bitline_cap_sigma * mismatch->normal() : 0.0;
    const double cap = d.bitline_cap_ff * (1.0 + spread);
    return Line{cap, target_v * precharge_fraction(d, cap, mismatch)};
  };
  for (std::uint32_t c = 0; c < cols_; ++c) {
    bl[c] = make_line(column_precharge_v[c]);
    blb[c] = make_line(column_precharge_v[c]);
  }

  // Charge sharing: SLP = sum C_c V_c / (sum C_c + C_SL), the sum line starting at 0 V.
  double bl_total = d.sumline_cap_ff;
  double blb_total = d.sumline_cap_ff;
  for (std::uint32_t c = 0; c < cols_; ++c) {
    bl_total += bl[c].cap_ff;
    blb_total += blb[c].cap_ff;
    slp_top_ += bl[c].cap_ff * bl[c].precharged_v;
    sln_top_ += blb[c].cap_ff * blb[c].precharged_v;
  }
  slp_top_ /= bl_total;
  sln_top_ /= blb_total;

  // A discharging cell removes the part of its line's charge it manages to drain in time.
  for (std::uint32_t r = 0; r < rows_; ++r) {
    for (std::uint32_t c = 0; c < cols_; ++c) {
      const double kept_bl = discharge_residual(d, bl[c].cap_ff, mismatch);
      const double kept_blb = discharge_residual(d, blb[c].cap_ff, mismatch);
      bl_drop_[r * cols_ + c] = bl[c].cap_ff * bl[c].precharged_v * (1.0 - kept_bl) / bl_total;
      blb_drop_[r * cols_ + c] = blb[c].cap_ff * blb[c].precharged_v * (1.0 - kept_blb) / blb_total;
    }
  }
}

SumLines SramArray::match(std::uint32_t row, std::span<const std::uint8_t> key_bits,
                          std::span<const std::uint8_t> query_bits) const {
  SumLines lines{slp_top_, sln_top_};
  for (std::uint32_t c = 0; c < cols_; ++c) {
    const bool k = key_bits[c] != 0;
    const bool q = query_bits[c] != 0;
    if (discharges_bl(k, q)) lines.slp_v -= bl_drop_v(row, c);
    if (discharges_blb(k, q)) lines.sln_v -= blb_drop_v(row, c);
  }
  return lines;
}

}  // namespace mbi::hw
