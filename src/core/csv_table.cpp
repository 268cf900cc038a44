#include "mbi/core/csv_table.hpp"

#include <cstdio>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"

namespace mbi {
namespace {

// RFC 4180 quoting, only where needed.
std::string quoted(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void CsvTable::add(std::vector<std::string> row) {
  if (row.size() != header_.size())
    throw Error("CSV row of " + std::to_string(row.size()) + " cells for " + std::to_string(header_.size()) + " columns");
  rows_.push_back(std::move(row));
}

std::string CsvTable::str() const {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += quoted(cells[i]);
    }
    out += "\n";
  };
  line(header_);
  for (const auto& r : rows_) line(r);
  return out;
}

void CsvTable::write(const std::filesystem::path& path) const { write_file_atomic(path, str()); }

std::string cell(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  return buf;
}
std::string cell(std::size_t value) { return std::to_string(value); }
std::string cell(std::uint32_t value) { return std::to_string(value); }

}  // namespace mbi
