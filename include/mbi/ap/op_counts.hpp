#pragma once
// What an associative processor did, counted as it ran: the events its energy and latency
// are made of. Plain counters in the inner loops; `to_ledger` names them for the evaluation
// contract (mbi/eval/ledger.hpp), where a per-event energy table prices them.
#include <cstdint>

#include "mbi/eval/ledger.hpp"

namespace mbi::ap {

struct OpCounts {
  std::uint64_t compares = 0;          // masked compare steps (each over every row)
  std::uint64_t compare_row_bits = 0;  // rows x key bits searched
  std::uint64_t writes = 0;            // masked write steps (into the tagged rows)
  std::uint64_t write_row_bits = 0;    // tagged rows x value bits written
  std::uint64_t tag_reductions = 0;    // any / count / first over the tags
  std::uint64_t row_reads = 0;         // rows read out (row_read_bits bits in all)
  std::uint64_t row_read_bits = 0;
  std::uint64_t row_stores = 0;        // rows written one at a time (loading data)
  std::uint64_t row_store_bits = 0;
  std::uint64_t track_shifts = 0;      // racetrack: one-domain shifts of a track, every row's copy in lockstep
  std::uint64_t track_row_shifts = 0;  // the same shifts counted per row (what they cost in energy)

  OpCounts& operator+=(const OpCounts& o);
  // Events named "ap.<counter>" ("rtm.track_shift" and "rtm.track_row_shift" for shifts);
  // counters at 0 are left out. Step events (compare, write, track_shift...) carry the
  // latency, row events (compare_row_bit, track_row_shift...) the energy: configs/energy/ap_rtm.json.
  eval::Ledger to_ledger() const;
};

}  // namespace mbi::ap
