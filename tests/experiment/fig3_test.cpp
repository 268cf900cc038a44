// Fig. 3's points and conclusions: the paper's series around the base, one trial per distinct
// architecture with its settings in the description, and the summary's trends, Pareto front
// and per-byte comparison computed from given records.
#include <gtest/gtest.h>

#include <set>

#include "mbi/core/error.hpp"
#include "mbi/experiment/fig3.hpp"

namespace mbi::experiment {
namespace {

TEST(Fig3, PointsVaryOneSettingAroundTheBaseAndShareTheBasesTrial) {
  const RamConfig base;
  const auto points = fig3_points(base, fig3_paper_series());
  EXPECT_EQ(points.size(), 47u);  // the authors' CSV: 7 + 7 + 7 + 4, 6 + 6, 7 + 3
  const auto trials = fig3_trials(points, {{"epochs", 12}});
  EXPECT_EQ(trials.size(), 40u);  // the base appears in all eight series
  std::set<std::string> ids;
  for (const auto& t : trials) EXPECT_TRUE(ids.insert(t.id).second) << t.id;
  EXPECT_EQ(fig3_point_id(base), "g5-p4-s4-n3-b2-h1-w64-l1");
  for (const auto& p : points) {
    // Exactly the swept setting differs from the base.
    const RamConfig& c = p.config;
    const int differences = (c.glimpses != base.glimpses) + (c.patch != base.patch) + (c.scale != base.scale) +
                            (c.patches != base.patches) + (c.glimpse_bits != base.glimpse_bits) +
                            (c.hidden_bits != base.hidden_bits) + (c.hidden != base.hidden) +
                            (c.added_core_layers != base.added_core_layers);
    EXPECT_LE(differences, 1) << p.id;
    EXPECT_EQ(p.id, fig3_point_id(c));
  }
  EXPECT_EQ(fig3_config(base, "patch", 8).patch, 8);
  EXPECT_EQ(fig3_config(base, "layers", 0).added_core_layers, 0);
  EXPECT_THROW(fig3_config(base, "width", 8), Error);
  EXPECT_THROW(fig3_config(base, "glimpse-bits", 0), Error);  // a float patch vector makes no table
  EXPECT_THROW(fig3_series_of("ad"), Error);
  EXPECT_EQ(fig3_series_of("b").size(), 2u);
}

TEST(Fig3, TheDescriptionCarriesTheRecipeSoOtherSettingsAreOtherWork) {
  const auto points = fig3_points(RamConfig{}, fig3_series_of("c"));
  const auto a = fig3_trials(points, {{"epochs", 12}});
  const auto b = fig3_trials(points, {{"epochs", 13}});
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_NE(a[i].description, b[i].description);
  }
}

TEST(Fig3, PublishedPointsAreTheAuthorsCsv) {
  EXPECT_DOUBLE_EQ(fig3_published("glimpses", 5).value(), 96.00);
  EXPECT_DOUBLE_EQ(fig3_published("patch", 2).value(), 69.60);
  EXPECT_DOUBLE_EQ(fig3_published("layers", 2).value(), 90.88);
  EXPECT_FALSE(fig3_published("patches", 6).has_value());  // the authors left it empty
}

nlohmann::json record(double teacher, double lookups, double bytes) {
  return {{"teacher", {{"test_accuracy", teacher}, {"val_accuracy", teacher}, {"epochs_run", 3}}},
          {"table", {{"rows", 10}, {"bytes", bytes}}},
          {"lookups",
           {{"test_accuracy", lookups}, {"val_accuracy", lookups}, {"comparisons_per_image", 100.0},
            {"nanojoules_per_image", 5.0}, {"weights", "distilled"}}}};
}

TEST(Fig3, ResultsGiveTrendsTheParetoFrontAndTheBestPerByte) {
  const RamConfig base;
  const auto points = fig3_points(base, fig3_series_of("c"));
  std::map<std::string, nlohmann::json> records;
  // Wider hidden states: better teachers, bigger and (up to 96) better tables.
  for (const auto& p : points) {
    if (p.series == "hidden")
      records[p.id] = record(90 + p.value / 16.0, 80 + (p.value <= 96 ? p.value / 16.0 : 2.0), p.value * 1000.0);
    else
      records[p.id] = record(p.value == 1 ? 94 : 93, 84 + p.value, 64000.0 + p.value);
  }
  const io::ResultFiles files = experiment::fig3_results(base, points, records);
  const auto& s = files.summary;
  EXPECT_DOUBLE_EQ(s["series"]["hidden"]["trend_spearman"]["teacher"].get<double>(), 1.0);
  EXPECT_EQ(s["series"]["layers"]["best_value"]["teacher"].get<double>(), 1);
  EXPECT_EQ(s["series"]["layers"]["best_value"]["published"].get<double>(), 1);
  EXPECT_EQ(s["series"]["hidden"]["best_value"]["lookups"].get<double>(), 96);  // first of the ties kept
  // Base: w64 l1 at 64,001 bytes, lookups 85. Layers 2 is 86 at 64,002 bytes; hidden 48 is 83 at 48,000.
  EXPECT_EQ(s["per_byte"]["base"]["id"], "g5-p4-s4-n3-b2-h1-w64-l1");
  EXPECT_EQ(s["per_byte"]["most_accurate_within_base_bytes"]["id"], "g5-p4-s4-n3-b2-h1-w64-l1");
  EXPECT_EQ(s["per_byte"]["smallest_at_base_accuracy"]["id"], "g5-p4-s4-n3-b2-h1-w64-l1");
  // The front rises with bytes and keeps only points nothing smaller beats.
  double last = -1;
  for (const auto& f : s["pareto"]) {
    EXPECT_GT(f["lookup_test"].get<double>(), last);
    last = f["lookup_test"].get<double>();
  }
  EXPECT_EQ(s["pareto"].back()["lookup_test"].get<double>(), 86.0);
  EXPECT_EQ(files.table("fig3-points").rows().size(), 9u);
  EXPECT_EQ(files.table("fig3-hidden").rows().size(), 7u);
  EXPECT_EQ(files.plots.size(), 2u);  // fig3c and fig3-bytes
  EXPECT_THROW(experiment::fig3_results(base, points, {}), Error);
}

}  // namespace
}  // namespace mbi::experiment
