#include "mbi/io/result_files.hpp"

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/io/plot.hpp"

namespace mbi::io {

const CsvTable& ResultFiles::table(const std::string& stem) const {
  for (const auto& [name, t] : tables)
    if (name == stem) return t;
  throw Error("no result table " + stem + ".csv");
}

std::vector<std::filesystem::path> ResultFiles::write(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the directory: " + ec.message());
  std::vector<std::filesystem::path> written;
  for (const auto& [stem, t] : tables) {
    written.push_back(dir / (stem + ".csv"));
    t.write(written.back());
  }
  for (const auto& [name, text] : texts) {
    written.push_back(dir / name);
    write_file_atomic(written.back(), text);
  }
  for (const auto& [stem, script] : plots) render_plot(dir, stem, script);
  return written;
}

std::vector<std::filesystem::path> ResultFiles::write(const std::filesystem::path& dir,
                                                      const std::string& summary_name) const {
  std::vector<std::filesystem::path> written = write(dir);
  written.push_back(dir / summary_name);
  write_file_atomic(written.back(), summary.dump(2) + "\n");
  return written;
}

}  // namespace mbi::io
