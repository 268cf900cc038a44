#include "mbi/ap/op_counts.hpp"

namespace mbi::ap {

OpCounts& OpCounts::operator+=(const OpCounts& o) {
  compares += o.compares;
  compare_row_bits += o.compare_row_bits;
  writes += o.writes;
  write_row_bits += o.write_row_bits;
  tag_reductions += o.tag_reductions;
  row_reads += o.row_reads;
  row_read_bits += o.row_read_bits;
  row_stores += o.row_stores;
  row_store_bits += o.row_store_bits;
  track_shifts += o.track_shifts;
  track_row_shifts += o.track_row_shifts;
  return *this;
}

eval::Ledger OpCounts::to_ledger() const {
  eval::Ledger ledger;
  const auto put = [&](const char* event, std::uint64_t n) {
    if (n != 0) ledger.add(event, n);
  };
  put("ap.compare", compares);
  put("ap.compare_row_bit", compare_row_bits);
  put("ap.write", writes);
  put("ap.write_row_bit", write_row_bits);
  put("ap.tag_reduction", tag_reductions);
  put("ap.row_read", row_reads);
  put("ap.row_read_bit", row_read_bits);
  put("ap.row_store", row_stores);
  put("ap.row_store_bit", row_store_bits);
  put("rtm.track_shift", track_shifts);
  put("rtm.track_row_shift", track_row_shifts);
  return ledger;
}

}  // namespace mbi::ap
