#pragma once
// A ternary network on crossbars of PCM cells (issue 17): accuracy against the time since
// programming, over many devices, with and without aihwkit's global drift compensation.
#include <cstdint>
#include <vector>

#include "mbi/cim/crossbar.hpp"
#include "mbi/core/image_set.hpp"
#include "mbi/device/pcm.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::experiment {

struct CrossbarNoiseOptions {
  cim::CrossbarConfig crossbar;
  device::PcmParameters pcm;
  std::vector<double> seconds = {1, 3600, 86400, 2592000, 31536000};
  int seeds = 10;          // devices per point
  std::uint64_t seed = 1;  // device d of a point uses seed + d
  bool progress = false;
};

// Table crossbar_pcm (seconds, compensation, accuracy mean / standard deviation / min / max
// over the devices, the ideal crossbar's accuracy), plot crossbar_pcm (accuracy against time,
// one line with and one without compensation, the ideal as a dashed line), the summary with
// every point. Throws mbi::Error for no times or devices.
io::ResultFiles crossbar_pcm_study(const ternary::Network& network, const ImageSet& images,
                                   const CrossbarNoiseOptions& options);

}  // namespace mbi::experiment
