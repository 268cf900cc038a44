#include "mbi/experiment/nn_baseline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/search/exhaustive.hpp"
#include "mbi/search/key_layout.hpp"

namespace mbi::experiment {
namespace {

void check_sets(const ImageSet& references, const ImageSet& queries) {
  if (references.count() == 0) throw Error("1-NN baseline: no reference images");
  if (references.rows != queries.rows || references.cols != queries.cols)
    throw Error("1-NN baseline: references are " + std::to_string(references.rows) + "x" +
                std::to_string(references.cols) + ", queries " + std::to_string(queries.rows) + "x" +
                std::to_string(queries.cols));
}

// Runs body(i) for every query i on `threads` threads (contiguous runs of queries).
void for_each_query(std::size_t count, int threads, const std::function<void(std::size_t)>& body) {
  const std::size_t workers = std::max<std::size_t>(
      1, std::min<std::size_t>(count, threads > 0 ? static_cast<std::size_t>(threads)
                                                  : std::max(1U, std::thread::hardware_concurrency())));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w)
    pool.emplace_back([&, w] {
      for (std::size_t i = count * w / workers; i < count * (w + 1) / workers; ++i) body(i);
    });
  for (auto& t : pool) t.join();
}

// Squared Euclidean distance of two 8-bit images, exact. The inner loop is plain so that the
// compiler vectorises it (AVX2 where the CPU has it: GCC's target_clones picks at load time);
// a chunk of 65,536 pixels cannot overflow its 32-bit sum (255^2 x 65,536 < 2^32).
__attribute__((target_clones("avx2", "default")))
std::uint64_t squared_distance(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  std::uint64_t total = 0;
  for (std::size_t start = 0; start < n; start += 65536) {
    const std::size_t end = std::min(n, start + 65536);
    std::uint32_t sum = 0;
    for (std::size_t i = start; i < end; ++i) {
      const int d = static_cast<int>(a[i]) - static_cast<int>(b[i]);
      sum += static_cast<std::uint32_t>(d * d);
    }
    total += sum;
  }
  return total;
}

KeyLayout two_bit_layout(const ImageSet& set) {
  return KeyLayout({{"pixels", static_cast<std::uint32_t>(set.pixels_per_image()), 4}});
}

std::vector<std::uint64_t> two_bit_keys(const ImageSet& set, const KeyLayout& layout, std::size_t n) {
  std::vector<std::uint64_t> keys(n * layout.words());
  std::vector<std::uint8_t> values(set.pixels_per_image());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = set.image(i);
    for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<std::uint8_t>(p[k] >> 6);
    layout.encode(values, {keys.data() + i * layout.words(), layout.words()});
  }
  return keys;
}

double accuracy_of(const std::vector<int>& predicted, const ImageSet& queries) {
  std::size_t correct = 0;
  for (std::size_t i = 0; i < queries.count(); ++i) correct += predicted[i] == queries.labels[i] ? 1 : 0;
  return 100.0 * static_cast<double>(correct) / static_cast<double>(std::max<std::size_t>(1, queries.count()));
}

}  // namespace

std::vector<int> nearest_label_raw(const ImageSet& references, const ImageSet& queries, int threads) {
  check_sets(references, queries);
  const std::size_t n = references.pixels_per_image();
  std::vector<int> out(queries.count());
  for_each_query(queries.count(), threads, [&](std::size_t q) {
    std::uint64_t best = UINT64_MAX;
    std::size_t best_index = 0;
    for (std::size_t r = 0; r < references.count(); ++r) {
      const std::uint64_t d = squared_distance(queries.image(q), references.image(r), n);
      if (d < best) best = d, best_index = r;
    }
    out[q] = references.labels[best_index];
  });
  return out;
}

std::vector<int> nearest_label_2bit(const ImageSet& references, const ImageSet& queries, int threads) {
  check_sets(references, queries);
  const KeyLayout layout = two_bit_layout(references);
  const std::vector<std::uint64_t> keys = two_bit_keys(references, layout, references.count());
  const std::vector<std::uint64_t> query_keys = two_bit_keys(queries, layout, queries.count());
  const std::vector<std::uint32_t> weights(layout.words(), 1U);
  std::vector<int> out(queries.count());
  for_each_query(queries.count(), threads, [&](std::size_t q) {
    const SearchResult r =
        exhaustive_nearest({query_keys.data() + q * layout.words(), layout.words()}, keys, weights);
    out[q] = references.labels[r.index];
  });
  return out;
}

std::size_t raw_reference_bytes(const ImageSet& set, std::size_t n) { return n * (set.pixels_per_image() + 1); }

std::size_t two_bit_reference_bytes(const ImageSet& set, std::size_t n) {
  return n * ((2 * set.pixels_per_image() + 7) / 8 + 1);
}

io::ResultFiles nn_baseline(const ImageSet& references, const ImageSet& queries, const NnBaselineOptions& o,
                            const std::vector<LookupPoint>& lookups) {
  check_sets(references, queries);
  std::vector<std::size_t> sizes = o.reference_sizes;
  if (sizes.empty()) sizes.push_back(references.count());
  for (std::size_t& n : sizes) {
    if (n == 0) throw Error("--sizes: a reference set needs at least one image");
    n = std::min(n, references.count());
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());

  std::vector<NnPoint> points;
  ProgressBar bar("1-NN", 2 * sizes.size(), o.progress);
  std::size_t done = 0;
  for (const std::size_t n : sizes) {
    const ImageSet subset = references.first(n);
    for (const char* pixels : {"raw", "2bit"}) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::vector<int> predicted = std::string(pixels) == "raw"
                                             ? nearest_label_raw(subset, queries, o.threads)
                                             : nearest_label_2bit(subset, queries, o.threads);
      NnPoint p;
      p.pixels = pixels;
      p.references = n;
      p.bytes = std::string(pixels) == "raw" ? raw_reference_bytes(references, n)
                                             : two_bit_reference_bytes(references, n);
      p.accuracy = accuracy_of(predicted, queries);
      p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      points.push_back(p);
      bar.update(++done);
    }
  }

  io::ResultFiles out;
  CsvTable csv({"pixels", "references", "bytes", "accuracy", "comparisons_per_image", "seconds"});
  nlohmann::json rows = nlohmann::json::array();
  for (const NnPoint& p : points) {
    csv.add({p.pixels, cell(p.references), cell(p.bytes), cell(p.accuracy), cell(p.references), cell(p.seconds)});
    rows.push_back({{"pixels", p.pixels},
                    {"references", p.references},
                    {"bytes", p.bytes},
                    {"accuracy", p.accuracy},
                    {"comparisons_per_image", p.references},
                    {"seconds", p.seconds}});
  }
  CsvTable lookup_csv({"label", "bytes", "accuracy", "comparisons_per_image", "best_1nn_at_no_more_bytes"});
  nlohmann::json lookup_rows = nlohmann::json::array();
  for (const LookupPoint& l : lookups) {
    double best = -1;  // the best 1-NN accuracy within the table's bytes
    for (const NnPoint& p : points)
      if (static_cast<double>(p.bytes) <= l.bytes) best = std::max(best, p.accuracy);
    lookup_csv.add({l.label, cell(l.bytes), cell(l.accuracy), cell(l.comparisons_per_image),
                    best < 0 ? "" : cell(best)});
    lookup_rows.push_back({{"label", l.label},
                           {"bytes", l.bytes},
                           {"accuracy", l.accuracy},
                           {"comparisons_per_image", l.comparisons_per_image},
                           {"best_1nn_at_no_more_bytes", best < 0 ? nlohmann::json() : nlohmann::json(best)}});
  }
  out.summary = {{"experiment", "nn_baseline"},
                 {"queries", queries.count()},
                 {"reference_images", references.count()},
                 {"image", {{"rows", references.rows}, {"cols", references.cols}}},
                 {"points", rows},
                 {"lookups", lookup_rows}};
  out.tables.emplace_back("nn_baseline", std::move(csv));
  if (o.published) {
    CsvTable published({"label", "bytes", "accuracy", "comparisons_per_image"});
    published.add({kPublishedMnist.label, cell(kPublishedMnist.bytes), cell(kPublishedMnist.accuracy),
                   cell(kPublishedMnist.comparisons_per_image)});
    out.tables.emplace_back("published", std::move(published));
    out.summary["published"] = {{"label", kPublishedMnist.label},
                                {"bytes", kPublishedMnist.bytes},
                                {"accuracy", kPublishedMnist.accuracy},
                                {"comparisons_per_image", kPublishedMnist.comparisons_per_image}};
  }
  if (!lookups.empty()) out.tables.emplace_back("lookups", std::move(lookup_csv));
  // One plot per axis: bytes stored (column 3 of nn_baseline.csv, 2 of the others) and
  // comparisons per image (5, and 4).
  const auto pareto = [&](const std::string& title, const std::string& xlabel, int nn_x, int other_x) {
    const std::string nx = std::to_string(nn_x), ox = std::to_string(other_x);
    std::string plot = "set datafile separator ','\nset title '" + title + "'\nset xlabel '" + xlabel +
                       "'\nset ylabel 'accuracy (%)'\nset logscale x\nset key bottom right\nset grid\n"
                       "plot 'nn_baseline.csv' every ::1 using (strcol(1) eq 'raw' ? $" + nx +
                       " : 1/0):4 with linespoints pt 7 title '1-NN, raw pixels (L2)', \\\n"
                       "  '' every ::1 using (strcol(1) eq '2bit' ? $" + nx +
                       " : 1/0):4 with linespoints pt 5 title '1-NN, 2-bit pixels (L1)'";
    if (!lookups.empty())
      plot += ", \\\n  'lookups.csv' every ::1 using " + ox + ":3 with points pt 9 ps 1.5 title 'lookup tables', \\\n"
              "  '' every ::1 using " + ox + ":3:1 with labels offset 0,1 font ',8' notitle";
    if (o.published)
      plot += ", \\\n  'published.csv' every ::1 using " + ox + ":3 with points pt 3 ps 2 title 'published'";
    return plot + "\n";
  };
  out.plots.emplace_back("accuracy_vs_bytes",
                         pareto("Accuracy per byte: exhaustive 1-NN and lookup tables", "bytes stored", 3, 2));
  out.plots.emplace_back("accuracy_vs_comparisons",
                         pareto("Accuracy per comparison: exhaustive 1-NN and lookup tables",
                                "comparisons (distances) per image", 5, 4));
  return out;
}

}  // namespace mbi::experiment
