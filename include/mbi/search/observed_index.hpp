#pragma once
// An index that hands every search it passes on to another index to an observer as well:
// how DAgger collects the queries lookups meet, and how Fig. 4(c) records true lookup
// trajectories, without a hook of their own in the engine. As thread-safe as the observer.
#include <functional>
#include <span>

#include "mbi/search/index.hpp"

namespace mbi {

class ObservedIndex final : public NearestIndex {
 public:
  // Called once per query, in batch order, after the inner search.
  using Observer = std::function<void(std::span<const std::uint64_t> query, int group, const SearchResult& found)>;

  // `inner` must outlive this index.
  ObservedIndex(const NearestIndex& inner, Observer observer) : inner_(inner), observer_(std::move(observer)) {}

  std::uint32_t words() const override { return inner_.words(); }
  std::size_t rows() const override { return inner_.rows(); }
  void search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
              std::span<SearchResult> results) const override {
    inner_.search(queries, group, params, results);
    const std::size_t w = inner_.words();
    for (std::size_t i = 0; i < results.size(); ++i) observer_(queries.subspan(i * w, w), group, results[i]);
  }
  std::size_t search_k(std::span<const std::uint64_t> query, int group, const SearchParams& params,
                       std::span<SearchResult> out) const override {
    const std::size_t found = inner_.search_k(query, group, params, out);
    if (found > 0) observer_(query, group, out[0]);
    return found;
  }

 private:
  const NearestIndex& inner_;
  Observer observer_;
};

}  // namespace mbi
