#pragma once
// Runs a sweep's trials on every rank (ranks.hpp) into one results folder (trial_store.hpp).
// Trials already stored are skipped, so a killed sweep resumes where it stopped; the others
// are claimed one at a time through the folder (an exclusive create of a claim file named
// by the run's id), so ranks of unequal speed share the work dynamically and no trial runs
// twice in a run. Every trial must give the same result whichever rank runs it (its own
// seed, its own thread count): then the sweep's output does not depend on the ranks.
#include <functional>
#include <string>
#include <vector>

#include "mbi/sweep/ranks.hpp"
#include "mbi/sweep/trial_store.hpp"

namespace mbi::sweep {

struct SweepOptions {
  bool progress = true;  // rank 0's progress bar over the trials
  bool log = true;       // one line per trial run, on stderr, tagged with the rank
};

struct SweepOutcome {
  bool main = false;                 // this rank writes the conclusions (rank 0)
  std::vector<std::string> results;  // rank 0: every trial's result, in trial order
  std::size_t ran_here = 0;          // trials this rank ran in this run
  std::size_t found = 0;             // trials already stored when the run began
};

// Runs `work` for every trial without a stored result and returns once every rank is done.
// On rank 0 the outcome holds all results; on other ranks only the counts. A trial whose work
// throws is reported (on stderr and, for rank 0, in a `<id>.failed` note beside the claims)
// and the others go on; then rank 0 throws mbi::Error naming the first failure, and other
// ranks throw too. Throws mbi::Error for duplicate or malformed ids, and for stored results
// that are corrupt or made for another description (before any work starts).
SweepOutcome run_sweep(const std::vector<Trial>& trials, const TrialStore& store, Ranks& ranks,
                       const std::function<std::string(const Trial&)>& work, const SweepOptions& options = {});

}  // namespace mbi::sweep
