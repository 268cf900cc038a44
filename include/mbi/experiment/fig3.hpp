#pragma once
// Paper Fig. 3: the teacher's design sweeps (section II), each point carried through to the
// table it gives. Panel (a) varies the number of glimpses, the patch size, the glimpse scale
// and the patches per glimpse; (b) the quantisation bits of the patch vector and of the
// hidden state; (c) the hidden-state width and the added core layers. Every other setting is
// the base teacher's (the shipped one: 5 glimpses, 4x4 patches, scale 4, 3 patches, 2-bit
// patches, 1-bit hidden state of 64, one added layer).
//
// A point is one trial of the sweep runner (sweep/sweep.hpp): train a teacher with the
// sweep's recipe, distill it with the default table recipe, tune the eq. 1 weights by BO on
// validation (or keep the distillation's when that scores better there), then report on the
// test split the teacher's accuracy, the table's rows and bytes, the lookups' accuracy,
// comparisons per image and energy per inference on the 10T-SRAM arrays. Points of several
// series with the same architecture (the base) are one trial.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table_data.hpp"
#include "mbi/search/kmeans_tree.hpp"
#include "mbi/sweep/trial_store.hpp"

namespace mbi::experiment {

// One curve: the values a setting takes while the others stay at the base.
struct Fig3Series {
  char panel = 'a';
  std::string name;  // glimpses, patch, scale, patches, glimpse-bits, hidden-bits, hidden, layers
  std::vector<int> values;
};

// The paper's curves with the values the authors' results give (their RAM_accuracies.csv).
std::vector<Fig3Series> fig3_paper_series();
// The series of the panels named (any of "abc"); throws mbi::Error for another letter.
std::vector<Fig3Series> fig3_series_of(const std::string& panels);
// `base` with `series` set to `value`; throws mbi::Error naming the series when unknown or
// when the value is outside what the teacher takes.
RamConfig fig3_config(RamConfig base, const std::string& series, int value);
// "g5-p4-s4-n3-b2-h1-w64-l1": glimpses, patch, scale, patches, patch bits, hidden bits, hidden
// width, added layers. A file name: the trial's id.
std::string fig3_point_id(const RamConfig& config);

struct Fig3Point {
  char panel = 'a';
  std::string series;
  int value = 0;
  std::string id;
  RamConfig config;
};

std::vector<Fig3Point> fig3_points(const RamConfig& base, const std::vector<Fig3Series>& series);

// One trial per distinct architecture, in the order first met; its description is the
// architecture and the recipe (any JSON the caller gives: training, table, search, data), so
// that a stored result of other settings is refused instead of mixed in.
std::vector<sweep::Trial> fig3_trials(const std::vector<Fig3Point>& points, const nlohmann::json& recipe);

// What training and distillation gave for one point (train::train_teacher_and_table).
struct Fig3Trained {
  RamConfig config;  // input statistics fitted
  double teacher_val = 0, teacher_test = 0;
  int epochs_run = 0, best_epoch = 0;
  double train_seconds = 0, table_seconds = 0;
  std::size_t table_images = 0;
  TableData table;  // rows and the distillation's eq. 1 weights, no tree
};

struct Fig3Lookups {
  int budget = 10;  // BO evaluations of the eq. 1 weights on validation (published: 10); 0: keep them
  std::uint64_t seed = 1;
  KMeansTreeParams tree;  // per-step trees, as `mbi distill` builds them
  int threads = 1;
  const hw::HwConfig* hw = nullptr;  // prices the comparisons (energy per inference) when set
};

// The trial's result: teacher, table and lookup figures (JSON, as stored by the sweep).
nlohmann::json fig3_trial_record(Fig3Trained trained, const ImageSet& val, const ImageSet& test,
                                 const Fig3Lookups& lookups);

// The authors' quantised teacher's test accuracy at a point (their CSV; hidden state cut to 1
// bit after training), when they report one.
std::optional<double> fig3_published(const std::string& series, int value);

// CSV per series (fig3-<series>.csv) and of the distinct points (fig3-points.csv), a plot per
// panel (fig3a/b/c: teacher and lookup accuracy against the value, the published teacher
// beside) and lookup accuracy against table bytes (fig3-bytes); the summary: every point, the
// trends, the Pareto front of lookup accuracy against bytes and the best point per byte
// against the base. `records` holds each trial's record by id.
io::ResultFiles fig3_results(const RamConfig& base, const std::vector<Fig3Point>& points,
                             const std::map<std::string, nlohmann::json>& records);

}  // namespace mbi::experiment
