#pragma once
// The crossbar compute-in-memory baseline (cim/crossbar.hpp) alone over a split, for several
// ADC widths: how few bits the ADCs (half of the crossbar's energy) can have before the
// clipped column counts cost accuracy.
#include <vector>

#include "mbi/cim/crossbar.hpp"
#include "mbi/core/image_set.hpp"
#include "mbi/eval/energy_table.hpp"
#include "mbi/eval/report.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::experiment {

// Runs `network` on `images` on crossbars of `base` with each of `adc_bits`, priced by `energy`,
// beside the integer reference. Table crossbar_adc (ADC bits, accuracy, mismatches against
// the reference, clipped conversions, energy and latency per image, events left unpriced),
// plot crossbar_adc (accuracy and energy against ADC bits), the summary with every point.
// Throws mbi::Error for an empty list or a configuration the crossbar refuses.
io::ResultFiles crossbar_adc_study(const ternary::Network& network, const ImageSet& images,
                                   const cim::CrossbarConfig& base, const std::vector<int>& adc_bits,
                                   const eval::EnergyTable& energy, const eval::EvaluationInput& input,
                                   const eval::Provenance& provenance);

}  // namespace mbi::experiment
