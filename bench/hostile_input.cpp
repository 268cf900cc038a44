// mbi_hostile_input: how fast and with how much memory the readers refuse hostile files,
// without LibTorch (whose libraries alone take ~160 MB of a process): each argument is read
// as an IDX image file (`images:PATH`), an IDX label file (`labels:PATH`) or a table
// (`table:PATH`); one JSON line per file with the outcome, the milliseconds it took and the
// process's peak resident memory.
//
//   build/bench/mbi_hostile_input images:bomb.gz table:forged.tbl
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "mbi/data/idx.hpp"
#include "mbi/lookup/table.hpp"

namespace {

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::size_t colon = arg.find(':');
    const std::string kind = arg.substr(0, colon);
    const std::string path = colon == std::string::npos ? "" : arg.substr(colon + 1);
    const long before = peak_rss_kb();
    const auto t0 = std::chrono::steady_clock::now();
    std::string outcome = "accepted";
    try {
      if (kind == "images")
        mbi::data::read_idx_images(path);
      else if (kind == "labels")
        mbi::data::read_idx_labels(path);
      else if (kind == "table")
        mbi::Table::open(path);
      else
        outcome = "usage: images:PATH, labels:PATH or table:PATH";
    } catch (const std::exception& e) {
      outcome = std::string("refused: ") + e.what();
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"input\": %s, \"outcome\": %s, \"milliseconds\": %.3f, \"peak_rss_kb_before\": %ld, "
                "\"peak_rss_kb_after\": %ld}\n",
                json_string(arg).c_str(), json_string(outcome).c_str(), ms, before, peak_rss_kb());
  }
  return 0;
}
