// Generated networks side by side: the energy per inference against the counts priced by hand,
// the float network's against its bytes, and the records report's table and plots.
#include "mbi/experiment/mlg_study.hpp"

#include <gtest/gtest.h>

#include "mbi/core/error.hpp"
#include "mbi/mlg/architecture.hpp"

namespace mbi::experiment {
namespace {

TEST(MlgStudy, EnergyIsTheCountsPricedAndTheFloatNetworkReadsEveryWeight) {
  mlg::StoragePolicy p;
  p.basis_out = 4;
  const mlg::GeneratedNetwork net = mlg::lay_out({.width = 4}, {1, 12, 12}, 3, p);
  eval::EnergyTable table;
  table.set("dram.read_byte", 100e-12, "test");
  table.set("mlg.generation_mac", 0.1e-12, "test");
  table.set("mlg.buffer_byte", 0.5e-12, "test");
  table.set("digital.mac", 1e-12, "test");
  const mlg::InSituOptions options{.tile = 4};
  const nlohmann::json e = mlg_energy_comparison(net, options, table);
  const mlg::InSituCounts c = mlg::in_situ_counts(net, options);
  const double generated = 100e-12 * static_cast<double>(c.stored_bytes) +
                           0.1e-12 * static_cast<double>(c.level1_macs + c.level2_macs) +
                           0.5e-12 * static_cast<double>(c.buffer_bytes) + 1e-12 * static_cast<double>(c.network_macs);
  const double whole = 100e-12 * static_cast<double>((net.float_bits() + 7) / 8) + 1e-12 * static_cast<double>(c.network_macs);
  EXPECT_NEAR(e["generated"]["joules"].get<double>(), generated, 1e-9 * generated);
  EXPECT_NEAR(e["float_network"]["joules"].get<double>(), whole, 1e-9 * whole);
  EXPECT_NEAR(e["energy_saving"].get<double>(), whole / generated, 1e-9);
  EXPECT_EQ(e["generated"]["events"]["dram.read_byte"].get<std::uint64_t>(), net.memory().total_bytes());
  EXPECT_TRUE(e["generated"]["unpriced"].empty());
  // An event the table lacks is listed, not priced as zero silently.
  eval::EnergyTable partial;
  partial.set("digital.mac", 1e-12, "test");
  EXPECT_EQ(mlg_energy_comparison(net, options, partial)["generated"]["unpriced"].size(), 3u);
}

nlohmann::json record(const std::string& method, double ratio, double test) {
  return {{"data", "/x/fashion-mnist/"},
          {"architecture", {{"name", "lenet"}, {"width", 16}}},
          {"policy", {{"method", method}, {"describe", method + " config"}}},
          {"memory", {{"memory_ratio", ratio}, {"total_bytes", 1000 * ratio}}},
          {"val_accuracy", test + 0.1},
          {"test_accuracy", test},
          {"in_situ_test_accuracy", test}};
}

TEST(MlgStudy, RecordsReportTablesEveryRecordAndPlotsEachMethodAgainstMemory) {
  nlohmann::json one_level = record("mlg", 0.015, 88.5);
  one_level["policy"]["level1"] = true;
  one_level["policy"]["level2"] = false;
  const io::ResultFiles r = mlg_records_report(
      {record("full", 1.0, 90.0), record("mlg", 0.02, 89.5), record("mlg", 0.01, 88.0), record("quant", 0.04, 89.0), one_level},
      {"a.json", "b.json", "c.json", "d.json", "e.json"});
  EXPECT_EQ(r.table("mlg_records").rows().size(), 5u);
  EXPECT_EQ(r.table("mlg_fashion-mnist_lenet-w16_mlg").rows().size(), 2u);
  EXPECT_EQ(r.table("mlg_fashion-mnist_lenet-w16_mlg-level1").rows().size(), 1u);  // each level alone its own series
  ASSERT_EQ(r.plots.size(), 1u);
  EXPECT_NE(r.plots[0].second.find("90 with lines"), std::string::npos);  // the float network as a line
  EXPECT_EQ(r.summary["series"][0]["float_test_accuracy"].get<double>(), 90.0);
  try {
    mlg_records_report({nlohmann::json{{"a", 1}}}, {"bad.json"});
    FAIL() << "a record without fields was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: not a record of mbi mlg train"), std::string::npos);
  }
}

}  // namespace
}  // namespace mbi::experiment
