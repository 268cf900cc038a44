// Our search against hnswlib on the queries lookup inference really forms (issue 19): recall@1
// of the exact nearest key against distances computed per query and time per query, one thread.
// hnswlib runs with our distance kernel as its space (graph::HnswIndex, the index --search graph
// uses: mbi::weighted_distance with the table's own eq. 1 word weights, so both search for the
// same nearest key), over the same rows our tree may reach: one graph per glimpse step when the
// table's trees are per step, one over every row otherwise. Queries: each image's trajectory under exhaustive search, as
// experiment/tree_search.cpp captures them.
//
//   mbi_search_peers --table T.tbl --data ../shared/data/mnist --split val --limit 500 --out results/search-peers
//
// Writes search_peers.csv (method, setting, recall_at_1, distances_per_query, us_per_query)
// and the plot recall_vs_distances.png. Not a test: timings depend on the machine.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/data/idx.hpp"
#include "mbi/graph/hnsw_index.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/engine.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/search/exhaustive.hpp"
#include "mbi/search/observed_index.hpp"

namespace {

using namespace mbi;

struct Query {
  std::vector<std::uint64_t> key;
  int step = 0;
  std::uint32_t exact = 0;  // nearest distance over the rows the search may reach
};

struct Point {
  std::string method, setting;
  double recall = 0, distances = 0, microseconds = 0;
};

template <typename Search>
Point measure(const std::string& method, const std::string& setting, const std::vector<Query>& queries, Search search) {
  std::size_t hits = 0;
  std::uint64_t counted = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const Query& q : queries) {
    std::uint32_t comparisons = 0;
    const std::uint32_t found = search(q, comparisons);
    counted += comparisons;
    hits += found == q.exact ? 1 : 0;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto n = static_cast<double>(queries.size());
  return {method, setting, static_cast<double>(hits) / n, static_cast<double>(counted) / n, 1e6 * seconds / n};
}

int run(int argc, char** argv) {
  CLI::App app{"recall@1 against distances and time per query: our tree and hnswlib with our kernel"};
  std::filesystem::path table_path, data_dir = "../shared/data/mnist", out = "results/search-peers";
  std::string split = "val";
  std::size_t limit = 500;
  std::vector<std::uint32_t> probes = {1, 2, 4, 8, 16, 32, 64};
  std::vector<std::size_t> graph_m = {16, 32};
  std::vector<std::size_t> efs = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  std::size_t ef_construction = 200;
  app.add_option("--table", table_path, "table file")->required()->check(CLI::ExistingFile);
  app.add_option("--data", data_dir, "IDX data folder")->check(CLI::ExistingDirectory);
  app.add_option("--split", split, "val or test")->check(CLI::IsMember({"val", "test"}));
  app.add_option("--limit", limit, "images whose lookups form the queries")->check(CLI::Range(1, 100000));
  app.add_option("--probes", probes, "our tree: leaves searched")->delimiter(',');
  app.add_option("--m", graph_m, "hnswlib: links per node (M)")->delimiter(',');
  app.add_option("--ef", efs, "hnswlib: search breadth (ef)")->delimiter(',');
  app.add_option("--ef-construction", ef_construction, "hnswlib: construction breadth");
  app.add_option("--out", out, "folder for search_peers.csv and its plot");
  CLI11_PARSE(app, argc, argv);

  const Table table = Table::open(table_path);
  const io::TableInfo info = io::read_table_info(table);
  ImageSet images = data::load_named_split(data_dir, split, 0.1, 0);
  if (images.count() > limit) images = images.first(limit);
  if (table.tree() == nullptr) throw Error(table_path.string() + ": has no search tree");
  const std::size_t words = table.key_layout().words();
  // The rows each query's search may reach: its step's rows (per-step trees) or every row.
  const bool per_step = table.every_tree_per_step();
  const int groups = per_step ? info.config.glimpses : 1;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> group_rows;
  for (int g = 0; g < groups; ++g) {
    if (!per_step) {
      group_rows.emplace_back(0, static_cast<std::uint32_t>(table.rows()));
      continue;
    }
    const KMeansTreeNode& node = table.tree()->nodes()[table.step_root(g)];
    group_rows.emplace_back(node.begin, node.end);
  }
  std::vector<Query> queries;
  {
    LookupEngine engine(table, info.config);
    const ObservedIndex capture(table.exhaustive(), [&](std::span<const std::uint64_t> q, int step, const SearchResult&) {
      const int g = per_step ? step : 0;
      const auto [begin, end] = group_rows[static_cast<std::size_t>(g)];
      const std::uint32_t exact =
          exhaustive_nearest(q, table.keys().subspan(std::size_t{begin} * words, std::size_t{end - begin} * words),
                             table.word_weights())
              .distance;
      queries.push_back({{q.begin(), q.end()}, step, exact});
    });
    LookupOptions capturing;
    capturing.index = &capture;
    for (std::size_t i = 0; i < images.count(); ++i) engine.infer(images.image(i), capturing);
  }
  std::fprintf(stderr, "%zu queries from %zu %s images, %zu rows in %d group(s) of %zu words\n", queries.size(),
               images.count(), split.c_str(), table.rows(), groups, words);

  std::vector<Point> points;
  for (const std::uint32_t p : probes) {
    SearchParams params;
    params.probes = p;
    points.push_back(measure("mbi tree", "probes " + std::to_string(p), queries, [&](const Query& q, std::uint32_t& c) {
      const SearchResult r = table.index().search_one(q.key, q.step, params);
      c = r.comparisons;
      return r.distance;
    }));
    std::fprintf(stderr, "tree probes %u: recall %.4f, %.0f distances, %.2f us\n", p, points.back().recall,
                 points.back().distances, points.back().microseconds);
  }
  for (const std::size_t m : graph_m) {
    const auto start = std::chrono::steady_clock::now();
    const graph::HnswIndex index(table.keys(), static_cast<std::uint32_t>(words), table.word_weights(), group_rows,
                                 {.m = static_cast<std::uint32_t>(m), .ef_construction = static_cast<std::uint32_t>(ef_construction)});
    std::fprintf(stderr, "hnswlib M %zu built in %.1f s\n", m,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    for (const std::size_t ef : efs) {
      SearchParams params;
      params.probes = static_cast<std::uint32_t>(ef);
      points.push_back(measure("hnswlib M" + std::to_string(m), "ef " + std::to_string(ef), queries,
                               [&](const Query& q, std::uint32_t& c) {
                                 const SearchResult r = index.search_one(q.key, q.step, params);
                                 c = r.comparisons;
                                 return r.distance;
                               }));
      std::fprintf(stderr, "hnswlib M %zu ef %zu: recall %.4f, %.0f distances, %.2f us\n", m, ef, points.back().recall,
                   points.back().distances, points.back().microseconds);
    }
  }
  io::ResultFiles files;
  CsvTable t({"method", "setting", "recall_at_1", "distances_per_query", "us_per_query"});
  for (const Point& p : points) t.add({p.method, p.setting, cell(p.recall), cell(p.distances), cell(p.microseconds)});
  files.tables.emplace_back("search_peers", t);
  files.plots.emplace_back(
      "recall_vs_distances",
      "set datafile separator ','\nset title 'Recall@1 of the exact nearest key against distances per query'\n"
      "set logscale x\nset xlabel 'distances computed per query'\nset ylabel 'recall@1'\nset key bottom right\n"
      "plot 'search_peers.csv' every ::1 using (stringcolumn(1) eq 'mbi tree' ? $4 : 1/0):3 with linespoints title 'mbi tree', "
      "'' every ::1 using (stringcolumn(1) eq 'hnswlib M16' ? $4 : 1/0):3 with linespoints title 'hnswlib M16 (our kernel)', "
      "'' every ::1 using (stringcolumn(1) eq 'hnswlib M32' ? $4 : 1/0):3 with linespoints title 'hnswlib M32 (our kernel)'\n");
  files.summary = {{"table", table_path.string()}, {"queries", queries.size()}, {"rows", table.rows()},
                   {"per_step", per_step}};
  files.write(out, "summary.json");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mbi_search_peers: %s\n", e.what());
    return 1;
  }
}
