// Table files: any bytes must open as a table or give an mbi::Error; a table that opens must
// be searchable by every index it has.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_util.hpp"
#include "mbi/core/error.hpp"
#include "mbi/lookup/table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = mbi::fuzz::write_input(data, size, ".tbl");
  try {
    const mbi::Table table = mbi::Table::open(path);
    const std::vector<std::uint64_t> query(table.key_layout().words(), 0x5555555555555555ULL);
    for (const int group : {-1, 0, 3}) {
      table.exhaustive().search_one(query, group, {});
      mbi::SearchParams budget;
      budget.max_comparisons = 64;
      table.index().search_one(query, group, budget);
      if (table.forest() != nullptr) {
        mbi::SearchParams bounded;
        bounded.epsilon = 0.5;
        bounded.max_comparisons = 256;
        table.index().search_one(query, group, bounded);
      }
    }
  } catch (const mbi::Error&) {
  }
  return 0;
}
