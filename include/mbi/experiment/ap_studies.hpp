#pragma once
// CAM-only inference studies (issue 15): what each compiler pass does to a ternary network's
// AP program, and the AP classifying a whole split beside the integer reference, with its
// energy and latency from an energy table.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mbi/ap/compiler.hpp"
#include "mbi/ap/runner.hpp"
#include "mbi/cim/crossbar.hpp"
#include "mbi/core/image_set.hpp"
#include "mbi/eval/energy_table.hpp"
#include "mbi/eval/report.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::experiment {

// Compiles `network` five ways (nothing; folding; folding + CSE; folding + RTM layout; all)
// and runs each program once on a blank image (shifts and passes do not depend on the data)
// on racetrack tracks of `racetrack`. Table ap_passes (passes, add/subtract passes,
// temporaries, shifts per program run, columns); plot ap_passes; the summary gives each pass's
// saving.
io::ResultFiles ap_compiler_study(const ternary::Network& network, ap::RacetrackGeometry racetrack);

// The crossbar compute-in-memory baseline to run beside the AP: its arrays and its prices.
struct CrossbarBaseline {
  cim::CrossbarConfig config;
  eval::EnergyTable energy;
};

struct ApEvaluation {
  eval::Report ap;          // the AP's report (events, energy, latency)
  eval::Report reference;   // the integer reference's
  std::size_t logit_mismatches = 0;       // images whose AP logits differ from the reference's
  std::size_t prediction_mismatches = 0;  // images whose AP prediction differs
  ap::CompileStats stats;
  std::uint64_t program_passes = 0;
  double simulator_seconds = 0;
  // The crossbar baseline on the same images, when one was asked for.
  std::optional<eval::Report> crossbar;
  std::size_t crossbar_logit_mismatches = 0;  // images whose crossbar logits differ from the reference's
};

// The AP (compiled with `compile`, run with `run`) and the integer reference on `images`,
// priced by `energy`; with `baseline`, the crossbar too.
ApEvaluation ap_evaluate(const ternary::Network& network, const ImageSet& images, const ap::CompileOptions& compile,
                         const ap::RunOptions& run, const eval::EnergyTable& energy, const eval::EvaluationInput& input,
                         const eval::Provenance& provenance, const CrossbarBaseline* baseline = nullptr);
// Its files: summary, reports (CSV), ap_energy (event, joules per image, share) and its plot;
// with the crossbar, also crossbar_energy and its plot, and table systems (accuracy, energy
// and latency per image of each system side by side) with the AP / crossbar energy ratio in
// the summary.
io::ResultFiles ap_evaluation_files(const ApEvaluation& e);

// The records `mbi ap train` writes beside its networks (and float baselines), side by side:
// table ap_records (one row per record) and, per data set and architecture, the test
// accuracy against the activation bits (tables ap_bits_<data>_<arch>, plot
// ap_accuracy_vs_bits, the float baseline as a dashed line). `names` label the records (their
// files). Throws mbi::Error naming a record that lacks a field.
io::ResultFiles ap_records_report(const std::vector<nlohmann::json>& records, const std::vector<std::string>& names);

}  // namespace mbi::experiment
