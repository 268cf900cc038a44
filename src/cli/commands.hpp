#pragma once
// Each subcommand of `mbi` lives in its own file and registers itself here.
#include <CLI/CLI.hpp>

#include <string>

namespace mbi::cli {

// The command line as typed, for the records mbi writes beside its outputs.
std::string& invocation();

void register_data(CLI::App& app);     // data_command.cpp: verify / fetch IDX sets
void register_train(CLI::App& app);    // train_command.cpp
void register_eval(CLI::App& app);     // eval_command.cpp
void register_distill(CLI::App& app);  // distill_command.cpp
void register_tune(CLI::App& app);     // tune_command.cpp
void register_index(CLI::App& app);    // index_command.cpp
void register_hw(CLI::App& app);       // hw_command.cpp
void register_experiment(CLI::App& app);  // experiment_command.cpp
// Adds `fig4a` under `mbi experiment` (fig4a_command.cpp).
void register_experiment_fig4a(CLI::App& experiment);
// Adds `speed` under `mbi experiment` (speed_command.cpp).
void register_experiment_speed(CLI::App& experiment);
// Adds `forest` under `mbi experiment` (forest_command.cpp).
void register_experiment_forest(CLI::App& experiment);

}  // namespace mbi::cli
