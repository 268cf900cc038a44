#pragma once
// What an experiment produces, before it is written: a JSON summary, CSV tables, texts
// (Markdown) and gnuplot plots of those tables. Experiments fill it and stay testable
// without touching the disk; the command line writes it to the folder the user names.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "mbi/core/csv_table.hpp"

namespace mbi::io {

struct ResultFiles {
  nlohmann::json summary;
  std::vector<std::pair<std::string, CsvTable>> tables;    // stem -> table, written as <stem>.csv
  std::vector<std::pair<std::string, std::string>> texts;  // file name -> contents
  std::vector<std::pair<std::string, std::string>> plots;  // stem -> gnuplot script reading the CSV by name
  std::vector<std::string> notes;  // the results in a few lines of text, for a person (not written)

  // The table written as `<stem>.csv`; throws mbi::Error when there is none.
  const CsvTable& table(const std::string& stem) const;
  // Creates `dir`, writes every table and text into it (atomically, each), then renders the
  // plots there. Returns the paths of the tables and texts written.
  std::vector<std::filesystem::path> write(const std::filesystem::path& dir) const;
  // write(dir), and the summary as `dir/<summary_name>` (pretty-printed JSON).
  std::vector<std::filesystem::path> write(const std::filesystem::path& dir, const std::string& summary_name) const;
};

}  // namespace mbi::io
