#pragma once
// What mbi.Table holds: a lookup table mapped from its file, or read into memory, with the
// teacher settings its metadata records. Shared by the table and lookup bindings.
#include <filesystem>
#include <memory>
#include <optional>

#include "mbi/io/table_info.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/lookup/table_data.hpp"

namespace mbi::python {

class TableHandle {
 public:
  // Maps `path` (in_memory false) or copies its columns into memory and lets the mapping go
  // (in_memory true: the file may then change or vanish). Throws mbi::Error naming the file.
  TableHandle(const std::filesystem::path& path, bool in_memory) {
    Table mapped = Table::open(path);
    if (in_memory) {
      data_ = std::make_unique<TableData>(mapped.copy());
      table_.emplace(Table::borrow(*data_, path.string()));
    } else {
      table_.emplace(std::move(mapped));
    }
    info_ = io::read_table_info(*table_);
    in_memory_ = in_memory;
  }

  const Table& table() const { return *table_; }
  const io::TableInfo& info() const { return info_; }
  bool in_memory() const { return in_memory_; }

 private:
  std::unique_ptr<TableData> data_;  // in memory: the columns table_ borrows
  std::optional<Table> table_;
  io::TableInfo info_;
  bool in_memory_ = false;
};

}  // namespace mbi::python
