// mbi_hw_demo: `mbi hw ...` without the rest of the CLI (and without LibTorch).
// Usage: mbi_hw_demo hw array|variability|energy [options]
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "mbi/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"mbi_hw_demo: the hardware experiments of mbi"};
  app.require_subcommand(1);
  spdlog::set_default_logger(spdlog::stderr_color_mt("mbi_hw_demo"));  // keep stdout for --json
  mbi::cli::register_hw(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mbi: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
