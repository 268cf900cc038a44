// `mbi index`: rebuilds the search trees of a table, keeping its rows and weights.
//
// Distillation and tuning are the slow steps; the index over their result is cheap to
// rebuild (about 10 s per tree for 900k rows). This is how a tuned table gets another tree
// shape or a forest without distilling or tuning again.
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "mbi/core/error.hpp"
#include "options.hpp"
#include "validators.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi::cli {
namespace {

struct IndexArgs {
  std::filesystem::path table;
  std::filesystem::path out;
  TreeFlags tree;
  std::optional<std::uint64_t> seed;
  bool json = false;
};

void run(IndexArgs& a) {
  if (a.out.empty()) a.out = a.table;  // in place; write_table replaces it atomically
  const auto start = std::chrono::steady_clock::now();
  TableData table;
  nlohmann::json meta;
  {
    const Table input = Table::open(a.table);
    meta = io::read_table_info(input).meta;
    table = input.copy();
  }  // unmapped before the file may be replaced
  spdlog::info("{}: building the trees over {} rows", a.table.string(), table.rows());
  meta["tree"] = a.tree.rebuild(table, meta.value("tree", nlohmann::json{}), a.seed);
  table.metadata_json = meta.dump();
  write_table(a.out, table);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Table written = Table::open(a.out);
  const nlohmann::json summary = {{"table", a.out.string()},
                                  {"rows", written.rows()},
                                  {"trees", written.tree_count()},
                                  {"tree", meta["tree"]},
                                  {"table_bytes", std::filesystem::file_size(a.out)},
                                  {"resident_bytes", written.resident_bytes()},
                                  {"seconds", seconds}};
  if (a.json)
    std::cout << summary.dump() << std::endl;
  else
    spdlog::info("wrote {}: {} rows, {} tree(s), {} bytes on disk, {} in memory, {:.1f} s", a.out.string(),
                 written.rows(), written.tree_count(), std::filesystem::file_size(a.out), written.resident_bytes(),
                 seconds);
}

}  // namespace

void register_index(CLI::App& app) {
  auto a = std::make_shared<IndexArgs>();
  auto* cmd = app.add_subcommand("index", "rebuild a table's search trees (e.g. a forest), keeping rows and weights");
  cmd->add_option("--table", a->table, "table file to index")->required();
  add_out(*cmd, a->out, "table to write (default: replace --table atomically)");
  a->tree.add_to(*cmd, /*defaults_from_table=*/true);
  cmd->add_option("--seed", a->seed, "seed of the trees (default: the table's tree seed, else 1)")
      ->check(whole_number(0, std::numeric_limits<std::uint64_t>::max()));
  add_json(*cmd, a->json, "print a JSON summary");
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
