#pragma once
// Experiments write CSV and render it with gnuplot (Debian package gnuplot-nox) to PNG
// and SVG. A missing gnuplot is reported, never fatal: the CSV is the result.
#include <filesystem>
#include <string>

namespace mbi::io {

// Runs `script` (gnuplot commands, without any `set terminal`/`set output`) twice, once to
// `<dir>/<stem>.png` and once to `<dir>/<stem>.svg`, with `dir` as gnuplot's working folder,
// so the script names its CSV files relative to it. Returns false (and warns) if gnuplot is
// absent or fails.
bool render_plot(const std::filesystem::path& dir, const std::string& stem, const std::string& script);

// `text` as a gnuplot single-quoted string.
std::string gnuplot_quote(const std::string& text);

}  // namespace mbi::io
