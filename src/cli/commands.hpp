#pragma once
// Each subcommand of `mbi` lives in its own file and registers itself here. A command parses
// its flags, calls the libraries and prints; the work itself is in the libraries.
#include <CLI/CLI.hpp>

#include <string>

#include "mbi/eval/report.hpp"

namespace mbi::cli {

// The command line as typed, for the records mbi writes beside its outputs.
std::string& invocation();
// Provenance of a result made by this invocation (command, version, seed).
eval::Provenance provenance(std::uint64_t seed = 0);

void register_train(CLI::App& app);       // train_command.cpp
void register_eval(CLI::App& app);        // eval_command.cpp
void register_distill(CLI::App& app);     // distill_command.cpp
void register_tune(CLI::App& app);        // tune_command.cpp
void register_index(CLI::App& app);       // index_command.cpp
void register_prune(CLI::App& app);       // prune_command.cpp
void register_hw(CLI::App& app);          // hw_command.cpp
void register_experiment(CLI::App& app);  // experiment_command.cpp
void register_ap(CLI::App& app);          // ap_command.cpp
void register_noise(CLI::App& app);       // noise_command.cpp
void register_mlg(CLI::App& app);         // mlg_command.cpp
void register_baseline(CLI::App& app);    // baseline_command.cpp
// Add `accuracy` and `noise` under `mbi hw` (hw_lookup_command.cpp).
void register_hw_lookup(CLI::App& hw);
// Add `fig4a`, `speed` and `forest` under `mbi experiment` (fig4a_command.cpp,
// speed_command.cpp, forest_command.cpp).
void register_experiment_fig4a(CLI::App& experiment);
void register_experiment_fig3(CLI::App& experiment);  // fig3_command.cpp
void register_experiment_speed(CLI::App& experiment);
void register_experiment_forest(CLI::App& experiment);

}  // namespace mbi::cli
