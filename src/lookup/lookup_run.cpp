#include "mbi/lookup/lookup_run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"

namespace mbi {

std::vector<std::uint32_t> row_hits(const LookupTrace& trace, std::size_t rows) {
  std::vector<std::uint32_t> hits(rows, 0);
  for (const std::uint32_t row : trace.row)
    if (row < rows) ++hits[row];
  return hits;
}

double LookupRun::median_step_comparisons() const {
  if (step_comparisons.empty()) return 0;
  std::vector<std::uint32_t> v = step_comparisons;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double LookupRun::accuracy(const ImageSet& set) const {
  std::size_t correct = 0;
  std::size_t total = 0;
  for (std::size_t i = 0; i < prediction.size(); ++i) {
    if (completed[i] == 0) continue;
    ++total;
    correct += prediction[i] == set.labels[i] ? 1 : 0;
  }
  return total == 0 ? 0.0 : 100.0 * static_cast<double>(correct) / static_cast<double>(total);
}

LookupRun run_lookups(const Table& table, const RamConfig& config, const ImageSet& set,
                      const LookupOptions& options, int threads, bool progress) {
  return run_lookups(table, config, ImageView::of(set), options, threads, progress);
}

LookupRun run_lookups(const Table& table, const RamConfig& config, ImageView set, const LookupOptions& options,
                      int threads, bool progress, LookupTrace* trace) {
  const std::size_t n = set.count;
  if (n > 0 && (set.rows != config.image_rows || set.cols != config.image_cols))
    throw Error(table.name() + ": images are " + std::to_string(set.rows) + "x" + std::to_string(set.cols) +
                ", the table was built for " + std::to_string(config.image_rows) + "x" +
                std::to_string(config.image_cols));
  if (trace != nullptr) {
    trace->steps = static_cast<std::size_t>(std::max(config.glimpses, 0));
    const std::size_t cells = n * trace->steps;
    trace->row.assign(cells, kNoIndex);
    trace->distance.assign(cells, 0);
    trace->comparisons.assign(cells, 0);
    trace->loc_x.assign(cells, -1);
    trace->loc_y.assign(cells, -1);
  }
  LookupRun run;
  run.prediction.assign(n, -1);
  run.max_distance.assign(n, 0);
  run.completed.assign(n, 0);
  const auto workers = static_cast<std::size_t>(
      std::max(1, threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency())));
  std::vector<std::vector<std::uint32_t>> step_cmp(workers);
  std::vector<std::vector<std::uint32_t>> step_dist(workers);
  std::vector<std::uint64_t> comparisons(workers, 0);
  std::vector<std::uint64_t> links_read(workers, 0);
  ProgressBar bar("lookups", n, progress);
  std::atomic<std::size_t> done{0};
  // Engines are set up before the clock starts (finding the glimpse thresholds takes a
  // fraction of a millisecond, once per process in a server), and the per-step records have
  // their room: the timed region is inference.
  std::vector<std::unique_ptr<LookupEngine>> engines;
  for (std::size_t w = 0; w < workers; ++w) {
    engines.push_back(std::make_unique<LookupEngine>(table, config));
    const std::size_t steps = (n / workers + 1) * static_cast<std::size_t>(std::max(config.glimpses, 0));
    step_cmp[w].reserve(steps);
    step_dist[w].reserve(steps);
  }

  const auto t0 = std::chrono::steady_clock::now();
  // Workers take chunks of consecutive images; a chunk runs as one batch, its tree searches
  // interleaved.
  const std::size_t batch = kLookupBatch;
  const std::size_t chunks = (n + batch - 1) / batch;
  auto work = [&](std::size_t w) {
    LookupEngine& engine = *engines[w];
    std::vector<const std::uint8_t*> images;
    std::vector<LookupResult> results;
    for (std::size_t chunk = w; chunk < chunks; chunk += workers) {
      const std::size_t begin = chunk * batch;
      const std::size_t end = std::min(n, begin + batch);
      images.clear();
      for (std::size_t i = begin; i < end; ++i) images.push_back(set.image(i));
      results.resize(images.size());
      engine.infer_batch(images, options, results);
      for (std::size_t i = begin; i < end; ++i) {
        const LookupResult& r = results[i - begin];
        run.prediction[i] = r.completed ? r.prediction : -1;
        run.max_distance[i] = r.max_distance;
        run.completed[i] = r.completed ? 1 : 0;
        comparisons[w] += r.comparisons;
        links_read[w] += r.links_read;
        for (const auto& s : r.steps) {
          step_cmp[w].push_back(s.comparisons);
          step_dist[w].push_back(s.distance);
        }
        if (trace != nullptr)
          for (std::size_t t = 0; t < r.steps.size() && t < trace->steps; ++t) {
            const std::size_t cell = i * trace->steps + t;
            trace->row[cell] = r.steps[t].row;
            trace->distance[cell] = r.steps[t].distance;
            trace->comparisons[cell] = r.steps[t].comparisons;
            trace->loc_x[cell] = r.steps[t].loc_x;
            trace->loc_y[cell] = r.steps[t].loc_y;
          }
      }
      const std::size_t d = done += end - begin;
      if (w == 0) bar.update(d);
    }
  };
  if (workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(work, w);
    for (auto& t : pool) t.join();
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bar.finish();
  for (std::size_t w = 0; w < workers; ++w) {
    run.comparisons += comparisons[w];
    run.links_read += links_read[w];
    run.step_comparisons.insert(run.step_comparisons.end(), step_cmp[w].begin(), step_cmp[w].end());
    run.step_distance.insert(run.step_distance.end(), step_dist[w].begin(), step_dist[w].end());
  }
  return run;
}

}  // namespace mbi
