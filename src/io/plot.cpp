#include "mbi/io/plot.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

namespace mbi::io {
namespace {

bool run_gnuplot(const std::string& program) {
  // Everything gnuplot says goes to stderr: stdout carries --json output, which a warning
  // ("empty x range" for a one-point curve) would corrupt.
  FILE* pipe = ::popen("gnuplot 1>&2", "w");
  if (pipe == nullptr) return false;
  std::fwrite(program.data(), 1, program.size(), pipe);
  return ::pclose(pipe) == 0;
}

}  // namespace

std::string gnuplot_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

bool render_plot(const std::filesystem::path& dir, const std::string& stem, const std::string& script) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    spdlog::warn("gnuplot not found (run scripts/setup.sh): wrote CSV only for {}", (dir / stem).string());
    return false;
  }
  const std::string cd = "cd " + gnuplot_quote(dir.string()) + "\n";
  const bool ok =
      run_gnuplot(cd + "set terminal pngcairo size 900,600 noenhanced\nset output " + gnuplot_quote(stem + ".png") +
                  "\n" + script) &&
      run_gnuplot(cd + "set terminal svg size 900,600 noenhanced\nset output " + gnuplot_quote(stem + ".svg") + "\n" +
                  script);
  if (!ok) spdlog::warn("gnuplot failed to render {}", (dir / stem).string());
  return ok;
}

}  // namespace mbi::io
