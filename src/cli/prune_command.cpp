// `mbi prune`: keeps the rows of a table that lookups use (issue 19, tables worth their bytes).
//
// A table holds every state its teacher and its DAgger rounds recorded, but lookups follow
// one path per image: rows that no lookup of the training images matches may never be read.
// This looks up a split's images through the table (its trees, as `mbi eval` searches them),
// counts how often each row is the match of a step, keeps the rows matched at least
// --min-hits times and rebuilds the trees as the table had them. Whether the rows dropped
// were worth their bytes is for `mbi eval` on the test split to say.
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/lookup_evaluation.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/table.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

struct PruneArgs {
  std::filesystem::path table;
  std::filesystem::path out;
  DataOptions data;
  std::string split = "train";
  std::uint32_t min_hits = 1;
  TreeFlags tree;
  int threads = 0;
  bool json = false;
};

void run(PruneArgs& a) {
  if (a.split == "test") throw CLI::ValidationError("--split", "test images only report; count the rows on train or val");
  const auto start = std::chrono::steady_clock::now();
  TableData table;
  nlohmann::json meta;
  std::vector<std::uint32_t> hits;
  std::size_t images = 0;
  {
    const Table input = Table::open(a.table);
    const io::TableInfo info = io::read_table_info(input);
    meta = info.meta;
    const ImageSet set = a.data.load(a.split);
    io::check_image_size(info, input, set, a.data.dir);
    images = set.count();
    LookupTrace trace;
    const LookupRun run =
        run_lookups(input, info.config, ImageView::of(set), experiment::LookupSearch{}.options(input), a.threads,
                    false, &trace);
    hits = row_hits(trace, input.rows());
    spdlog::info("{}: {} {} images looked up ({:.2f} % right) in {:.1f} s", a.table.string(), images, a.split,
                 run.accuracy(set), run.seconds);
    table = input.copy();
  }  // unmapped before the file may be replaced
  std::vector<std::uint32_t> kept;
  for (std::uint32_t row = 0; row < hits.size(); ++row)
    if (hits[row] >= a.min_hits) kept.push_back(row);
  if (kept.empty()) throw Error("--min-hits " + std::to_string(a.min_hits) + ": no row of " + a.table.string() + " is matched that often");
  const std::size_t before = table.rows();
  table.keep_rows(kept);
  a.tree.params.threads = static_cast<std::uint32_t>(a.threads);  // builds the same tree on any count
  meta["tree"] = a.tree.rebuild(table, meta.value("tree", nlohmann::json{}));
  meta["prune"] = {{"split", a.split}, {"images", images}, {"min_hits", a.min_hits}, {"rows_before", before},
                   {"rows_after", table.rows()}};
  table.metadata_json = meta.dump();
  write_table(a.out, table);
  const nlohmann::json summary = {{"table", a.out.string()},
                                  {"rows_before", before},
                                  {"rows_after", table.rows()},
                                  {"table_bytes", std::filesystem::file_size(a.out)},
                                  {"split", a.split},
                                  {"images", images},
                                  {"min_hits", a.min_hits},
                                  {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
  if (a.json)
    std::cout << summary.dump() << std::endl;
  else
    spdlog::info("wrote {}: {} of {} rows kept, {} bytes", a.out.string(), table.rows(), before,
                 std::filesystem::file_size(a.out));
}

}  // namespace

void register_prune(CLI::App& app) {
  auto a = std::make_shared<PruneArgs>();
  auto* cmd = app.add_subcommand("prune", "keep the rows of a table that lookups of a split's images match, rebuild its trees");
  cmd->add_option("--table", a->table, "table file to prune")->required()->check(CLI::ExistingFile);
  add_out(*cmd, a->out, "table to write")->required();
  a->data.add_to(*cmd);
  add_split(*cmd, a->split, "images whose lookups count the rows (default: train; never test)")->capture_default_str();
  cmd->add_option("--min-hits", a->min_hits, "keep rows matched by at least this many lookup steps")
      ->check(whole_number(1, 1u << 30))
      ->capture_default_str();
  a->tree.add_to(*cmd, /*defaults_from_table=*/true);
  cmd->add_option("--threads", a->threads, "lookup threads (0: all cores)")->check(whole_number(0, 1024))->capture_default_str();
  add_json(*cmd, a->json, "print a JSON summary");
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
