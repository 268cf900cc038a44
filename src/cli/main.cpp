// mbi: memorization-based inference toolkit. One binary, one subcommand per task.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "mbi/core/error.hpp"

std::string& mbi::cli::invocation() {
  static std::string line;
  return line;
}

mbi::eval::Provenance mbi::cli::provenance(std::uint64_t seed) {
  mbi::eval::Provenance p;
  p.command = invocation();
  p.version = "mbi " MBI_VERSION;
  p.seed = seed;
  return p;
}

int main(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) mbi::cli::invocation() += (i ? " " : "") + std::string(i ? argv[i] : "mbi");
  CLI::App app{"mbi: memorization-based inference of deep networks"};
  app.require_subcommand(1);
  // Flag errors in one line, as every other error: "mbi: error: --limit: must be ...".
  app.failure_message([](const CLI::App*, const CLI::Error& e) { return "mbi: error: " + std::string(e.what()) + "\n"; });
  app.set_version_flag("--version", "mbi " MBI_VERSION);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.parse_complete_callback([&] { spdlog::set_level(spdlog::level::from_str(log_level)); });
  spdlog::set_default_logger(spdlog::stderr_color_mt("mbi"));
  spdlog::set_pattern("[%H:%M:%S] %v");

  mbi::cli::register_train(app);
  mbi::cli::register_eval(app);
  mbi::cli::register_distill(app);
  mbi::cli::register_tune(app);
  mbi::cli::register_index(app);
  mbi::cli::register_prune(app);
  mbi::cli::register_hw(app);
  mbi::cli::register_experiment(app);
  mbi::cli::register_ap(app);
  mbi::cli::register_noise(app);
  mbi::cli::register_mlg(app);
  mbi::cli::register_baseline(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    // One line: a library's exception (LibTorch's carries its backtrace) is cut at its first.
    const std::string what = e.what();
    std::fprintf(stderr, "mbi: error: %s\n", what.substr(0, what.find('\n')).c_str());
    return 1;
  }
  return 0;
}
