#pragma once
// Experiments write CSV and render it with gnuplot (Debian package gnuplot-nox) to PNG
// and SVG. A missing gnuplot is reported, never fatal: the CSV is the result.
#include <filesystem>
#include <string>

namespace mbi::cli {

// Runs `script` (gnuplot commands, without any `set terminal`/`set output`) twice, once
// to `<stem>.png` and once to `<stem>.svg`. Returns false (and warns) if gnuplot is absent
// or fails.
bool render_plot(const std::filesystem::path& stem, const std::string& script);

}  // namespace mbi::cli
