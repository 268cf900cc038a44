#pragma once
// Generated networks side by side (issue 16): their memory by kind, their energy per inference
// beside the same network stored whole in float32 and read from memory, and the records of
// `mbi mlg train` as an ablation table and an accuracy-against-memory-ratio plot.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/eval/energy_table.hpp"
#include "mbi/eval/report.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/mlg/generated_network.hpp"
#include "mbi/mlg/in_situ.hpp"

namespace mbi::experiment {

// {"basis_bits", ..., "total_bytes", "float_bytes", "memory_ratio", "weights"}.
nlohmann::json mlg_memory_json(const mlg::GeneratedNetwork& network);

// Per inference (batch 1, weights only, as mlg/in_situ.hpp counts): the generated network's
// counts and energy by event, and the float network's (every weight read as float32 from
// memory, the same multiply-accumulates, no generation), with the ratios between them. Events
// the table does not price are listed under "unpriced".
nlohmann::json mlg_energy_comparison(const mlg::GeneratedNetwork& network, const mlg::InSituOptions& options,
                                     const eval::EnergyTable& table);

// `mbi mlg eval`'s record: the network run by in-situ generation over `images` on `threads`
// threads through the evaluation contract (accuracy, footprint, events, energy per image),
// its memory (mlg_memory_json) and its energy per inference beside the float network
// (mlg_energy_comparison, under "per_inference"). The command line and the Python package both
// call it. Throws mbi::Error naming `name` for images of another size.
nlohmann::json mlg_evaluation(const mlg::GeneratedNetwork& network, const std::string& name, const ImageSet& images,
                              const eval::EvaluationInput& input, const mlg::InSituOptions& options,
                              const eval::EnergyTable& energy, const eval::Provenance& provenance, int threads);

// Records written by `mbi mlg train` (names: their files): one row per record (data,
// architecture, method and configuration, memory ratio, bytes, validation, test and in-situ
// test accuracy, energy when the record has it), and per data set and architecture the plot
// of test accuracy against memory ratio, a line per method (log scale, the float network as a
// dashed line).
io::ResultFiles mlg_records_report(const std::vector<nlohmann::json>& records, const std::vector<std::string>& names);

}  // namespace mbi::experiment
