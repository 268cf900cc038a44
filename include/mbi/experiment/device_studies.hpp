#pragma once
// Device noise studies (issue 17): what the device models do to stored conductances, before
// any network is run on them.
#include <cstdint>
#include <vector>

#include "mbi/device/pcm.hpp"
#include "mbi/io/result_files.hpp"

namespace mbi::experiment {

// PCM conductances over time: `cells` cells programmed to each of `levels` (uS), each read
// once at each of `seconds` after programming. Table pcm_statistics (level by level: level,
// time, mean and standard deviation of the reads, the mean after aihwkit's global drift
// compensation computed over every cell of every level, and the programming spread of the
// formula), plot pcm_drift
// (mean +- one standard deviation against time, per level). Throws mbi::Error for empty lists,
// levels outside 0..g_max or negative times.
io::ResultFiles pcm_statistics(const device::PcmModel& model, const std::vector<double>& levels,
                               const std::vector<double>& seconds, std::size_t cells, std::uint64_t seed);

}  // namespace mbi::experiment
