#pragma once
// A small in-memory CSV table: experiments fill it and write it. The one CSV writer of mbi.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mbi {

class CsvTable {
 public:
  explicit CsvTable(std::vector<std::string> header = {}) : header_(std::move(header)) {}

  // Appends a row; cells are formatted by the caller (see cell()). Throws mbi::Error if the
  // row's width differs from the header's.
  void add(std::vector<std::string> row);

  const std::vector<std::string>& header() const { return header_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }

  std::string str() const;
  // Written atomically (mbi::write_file_atomic); throws mbi::Error naming the file.
  void write(const std::filesystem::path& path) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Shortest round-trip-safe text for a number ("%.10g"); strings are passed through.
std::string cell(double value);
std::string cell(std::size_t value);
std::string cell(std::uint32_t value);
inline std::string cell(std::string value) { return value; }
inline std::string cell(const char* value) { return value; }

}  // namespace mbi
