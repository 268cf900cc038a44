#pragma once
// The lookup table file (format: docs/table-format.md): writing a TableData atomically, and
// mapping a file read-only with every byte checked. Searching is the Table's (table.hpp).
//
// Writing builds the whole file in memory and replaces the target atomically. Reading maps
// the file read-only and hands out views into the mapping: opening a table costs one pass
// for the checksum and no copies.
#include <cstddef>
#include <filesystem>

#include "mbi/lookup/table_data.hpp"
#include "mbi/lookup/table_view.hpp"

namespace mbi {

// Writes `table` to `path` atomically. Throws mbi::Error naming the path when the columns
// disagree in size or the file cannot be written.
void write_table(const std::filesystem::path& path, const TableData& table);
// The size write_table gives `table`'s file, without writing it.
std::size_t table_file_bytes(const TableData& table);

// A table file mapped read-only. The views stay valid while the object lives.
class TableFile {
 public:
  // Maps and checks the file. Throws mbi::Error naming it on any problem: not a table, an
  // unsupported version, truncation, checksum mismatch, inconsistent sizes, a malformed
  // layout or tree, a forest section without its partner or the sections before it.
  explicit TableFile(const std::filesystem::path& path);
  ~TableFile();
  TableFile(const TableFile&) = delete;
  TableFile& operator=(const TableFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::size_t mapped_bytes() const { return mapping_bytes_; }
  // The columns and trees, as views into the mapping.
  const TableView& view() const { return view_; }

 private:
  void unmap() noexcept;

  std::filesystem::path path_;
  void* mapping_ = nullptr;
  std::size_t mapping_bytes_ = 0;
  TableView view_;
};

}  // namespace mbi
