#include "plot.hpp"

#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

namespace mbi::cli {
namespace {

bool run_gnuplot(const std::string& program) {
  FILE* pipe = ::popen("gnuplot 2>&1", "w");
  if (pipe == nullptr) return false;
  std::fwrite(program.data(), 1, program.size(), pipe);
  return ::pclose(pipe) == 0;
}

}  // namespace

bool render_plot(const std::filesystem::path& stem, const std::string& script) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    spdlog::warn("gnuplot not found (run scripts/setup.sh): wrote CSV only for {}", stem.string());
    return false;
  }
  const std::string png = stem.string() + ".png";
  const std::string svg = stem.string() + ".svg";
  const bool ok =
      run_gnuplot("set terminal pngcairo size 900,600 noenhanced\nset output '" + png + "'\n" + script) &&
      run_gnuplot("set terminal svg size 900,600 noenhanced\nset output '" + svg + "'\n" + script);
  if (!ok) spdlog::warn("gnuplot failed to render {}", stem.string());
  return ok;
}

}  // namespace mbi::cli
