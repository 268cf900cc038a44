#pragma once
// Lookup inference with every glimpse step's nearest-key search running through the
// hardware model (hw::HwIndex): `mbi hw accuracy`, `mbi hw noise`, and the measured workload
// behind `mbi hw energy --table`.
//   accuracy  binary vs thermometer coding through fabricated arrays (V_TH mismatch, ADC),
//             and through matched devices with a lossless readout (the coding alone), beside
//             the exact digital lookup with the same candidate selection
//   noise     the published noise study (Gaussian noise of std sigma added to each
//             component's Manhattan distance) and a stored-key model for emerging memories
//             (bit flips, conductance fluctuation) and keys stored in PCM (aihwkit's model,
//             1 s to a year after programming), each with read mitigations
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/device/pcm.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/hw/hw_index.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi::experiment {

// The lookups a study runs and how their candidates are chosen.
struct HwLookups {
  const Table& table;
  const RamConfig& config;
  const ImageSet& images;
  std::string split = "test";  // named in the summaries
  bool exhaustive = false;     // every row is a candidate (else the table's tree, one tile per leaf)
  std::uint32_t probes = 1;
  hw::Descent descent = hw::Descent::circuit;
  std::uint32_t vote = 1;  // LookupOptions::vote: k nearest candidates vote on each step's value
  int threads = 1;
  bool progress = false;
};

struct HwAccuracyOptions {
  std::string coding = "both";  // binary, thermometer or both
  std::uint64_t seed = 1;
};

// Summary (digital reference, variants with their counters); table hw_accuracy.
io::ResultFiles hw_accuracy_study(const HwLookups& lookups, const hw::HwConfig& config,
                                  const HwAccuracyOptions& options);

struct HwNoiseOptions {
  std::vector<double> sigmas = {0, 1, 2, 3, 4, 5};
  std::vector<std::string> mitigations = {"reads:4", "topk:4:4"};  // beside none
  std::vector<double> flip_probabilities = {0, 0.001, 0.003, 0.01, 0.03, 0.1};
  std::vector<double> conductance_sigmas = {0, 0.1, 0.2, 0.3, 0.5, 0.8};
  std::string coding = "thermometer";
  std::string devices = "ideal";  // ideal (matched, lossless readout) or circuit (the config's)
  bool emerging = true;           // also the bit-flip and conductance sweeps
  // Keys stored in PCM (hw::PcmKeys), read at these times since programming; empty: not run.
  std::vector<double> pcm_seconds;
  device::PcmParameters pcm;
  bool pcm_drift_compensation = true;
  std::uint64_t seed = 1;
};

// Summary (curves per mitigation, recovery at sigma 2 and 4, the published curve); tables
// noise_distance, noise_runs (and noise_bit_flip, noise_conductance); their plots. Throws
// mbi::Error naming the option at fault.
io::ResultFiles hw_noise_study(const HwLookups& lookups, const hw::HwConfig& config, const HwNoiseOptions& options);

// Pure-lookup accuracy (percent) under the published distance noise: Gaussian noise of std
// `sigma` added to each component distance at every comparison, on matched devices with a
// lossless readout (`mbi hw noise --devices ideal`, one read). The objective of weights
// tuned under read noise (`mbi tune --noise-sigma`). Throws mbi::Error as hw_noise_study.
double noisy_lookup_accuracy(const HwLookups& lookups, const hw::HwConfig& config, double sigma, std::uint64_t seed);

// The same search as an index of its own: `table`'s tree (one, per step) searched through
// lossless arrays with that noise, by leaves (SearchParams::probes). `table` must outlive
// it. What DAgger rounds under noise search (`mbi distill --dagger-noise-rounds`).
std::unique_ptr<NearestIndex> noisy_index(const Table& table, const RamConfig& config, const hw::HwConfig& hw,
                                          double sigma, hw::Descent descent, std::uint64_t seed);

// Energy inputs measured by lookup inference through the circuit model.
struct MeasuredWorkload {
  double comparisons_per_image = 0;  // centroids + leaf keys (+ re-checks), per image
  double arrays_per_key = 0;
  double accuracy_pct = 0;           // of the same run
  double storage_mb = 0;             // table bytes / 1e6
  hw::KeySpec key;                   // the table's key (segments, components), for its mapping
  nlohmann::json summary;
};
MeasuredWorkload measure_workload(const HwLookups& lookups, const hw::HwConfig& config, const std::string& coding,
                                  std::uint64_t seed);

}  // namespace mbi::experiment
