#pragma once
// The search settings Python passes (search, probes, max_comparisons, epsilon), read as the
// command line reads its flags: a tree search with a budget of kDefaultSearchBudget
// comparisons by default; probes or epsilon alone drop the budget; epsilon neither with
// probes nor with an exhaustive search.
#include <cstdint>
#include <optional>
#include <string>

#include "mbi/core/error.hpp"
#include "mbi/experiment/lookup_evaluation.hpp"
#include "mbi/search/index.hpp"

namespace mbi::python {

inline experiment::LookupSearch lookup_search(const std::string& search, std::optional<std::uint32_t> probes,
                                              std::optional<std::uint32_t> max_comparisons,
                                              std::optional<double> epsilon) {
  if (search != "tree" && search != "exhaustive")
    throw Error("search: must be 'tree' or 'exhaustive', not '" + search + "'");
  if (probes && (*probes < 1 || *probes > (1U << 20))) throw Error("probes: must be in 1..1048576");
  if (max_comparisons && *max_comparisons > (1U << 30)) throw Error("max_comparisons: must be in 0..1073741824");
  if (epsilon && !(*epsilon >= 0 && *epsilon <= kMaxSearchEpsilon))
    throw Error("epsilon: must be in 0.." + std::to_string(static_cast<int>(kMaxSearchEpsilon)));
  if (epsilon && probes) throw Error("epsilon: a bounded search does not count leaves; drop probes");
  if (epsilon && search == "exhaustive") throw Error("epsilon: applies to the tree search, not search='exhaustive'");
  experiment::LookupSearch s;
  s.search = search;
  s.probes = probes.value_or(1);
  s.max_comparisons = max_comparisons.value_or((probes || epsilon) ? 0 : s.max_comparisons);
  s.epsilon = epsilon.value_or(-1);
  return s;
}

}  // namespace mbi::python
