// JSON and CSV in and out: reports, energy tables, table metadata, result folders.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"
#include "mbi/io/energy_table_json.hpp"
#include "mbi/io/model_container.hpp"
#include "mbi/io/ram_config_json.hpp"
#include "mbi/io/report_json.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi::io {
namespace {

namespace fs = std::filesystem;

class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mbi_io_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

eval::Report sample_report() {
  eval::Report r;
  r.system = "mbi";
  r.dataset = "generated";
  r.split = "test";
  r.images = 4;
  r.correct = 3;
  r.footprint.add("table.keys", 800);
  r.footprint.add("table.values", 200);
  r.events.add("lookup.key_comparison", 40);
  eval::EnergyTable t;
  t.set("lookup.key_comparison", 1e-12, "a test");
  r.energy = t.price(r.events, 4);
  r.seconds = 2;
  r.metrics = {{"coverage", 1.0}};
  r.provenance.command = "mbi eval";
  r.provenance.inputs = {{"table", "t.tbl"}};
  return r;
}

TEST(ReportJson, CarriesEveryField) {
  const nlohmann::json j = report_to_json(sample_report());
  EXPECT_EQ(j["system"], "mbi");
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 75.0);
  EXPECT_EQ(j["footprint"]["total_bytes"], 1000);
  EXPECT_EQ(j["footprint"]["by_kind"]["table.keys"], 800);
  EXPECT_EQ(j["events"]["lookup.key_comparison"], 40);
  EXPECT_DOUBLE_EQ(j["events_per_image"]["lookup.key_comparison"].get<double>(), 10.0);
  EXPECT_NEAR(j["energy"]["nanojoules_per_image"].get<double>(), 0.01, 1e-12);
  EXPECT_DOUBLE_EQ(j["images_per_second"].get<double>(), 2.0);
  EXPECT_EQ(j["metrics"]["coverage"], 1.0);
  EXPECT_EQ(j["provenance"]["inputs"]["table"], "t.tbl");
  eval::Report no_energy = sample_report();
  no_energy.energy.reset();
  EXPECT_TRUE(report_to_json(no_energy)["energy"].is_null());
}

TEST(ReportJson, ReportsSideBySideAsCsv) {
  const std::vector<eval::Report> reports = {sample_report(), sample_report()};
  const CsvTable t = reports_table(reports);
  ASSERT_EQ(t.rows().size(), 2U);
  EXPECT_EQ(t.rows()[0][0], "mbi");
  EXPECT_EQ(t.rows()[0][9], "lookup.key_comparison=10");
}

TEST_F(IoTest, EnergyTablesLoadWithSourcesAndRefuseMistakes) {
  const fs::path good = dir_ / "good.json";
  write_file_atomic(good, R"({"_notes": {"x": "y"}, "events": {"a.b": {"pj": 2.5, "source": "paper"}}})");
  const eval::EnergyTable t = load_energy_table(good);
  ASSERT_NE(t.find("a.b"), nullptr);
  EXPECT_DOUBLE_EQ(t.find("a.b")->joules, 2.5e-12);
  EXPECT_EQ(t.find("a.b")->source, "paper");
  EXPECT_EQ(energy_table_to_json(t)["a.b"]["pj"], 2.5);
  EXPECT_FALSE(t.find("a.b")->seconds.has_value());
  const fs::path timed = dir_ / "timed.json";
  write_file_atomic(timed, R"({"events": {"ap.compare": {"pj": 0, "ns": 1.5, "source": "RTSim"}}})");
  const eval::EnergyTable u = load_energy_table(timed);
  ASSERT_TRUE(u.find("ap.compare")->seconds.has_value());
  EXPECT_DOUBLE_EQ(*u.find("ap.compare")->seconds, 1.5e-9);
  EXPECT_DOUBLE_EQ(energy_table_to_json(u)["ap.compare"]["ns"], 1.5);
  const auto error_of = [&](const std::string& text) {
    const fs::path p = dir_ / "bad.json";
    write_file_atomic(p, text);
    try {
      load_energy_table(p);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  for (const std::string bad : {R"({"events": {"a": {"pj": 1}}})",                      // no source
                                R"({"events": {"a": {"pj": -1, "source": "s"}}})",      // negative
                                R"({"events": {"a": {"pj": "1", "source": "s"}}})",     // not a number
                                R"({"events": {"a": {"nj": 1, "source": "s"}}})",       // unknown key
                                R"({"events": {"a": {"pj": 1, "ns": -2, "source": "s"}}})",  // negative latency
                                R"({"event": {}})",                                     // typo
                                R"({"events": [1]})", "not json", "[1, 2]"}) {
    const std::string e = error_of(bad);
    EXPECT_NE(e.find("bad.json"), std::string::npos) << bad << " -> " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << "one line";
  }
  EXPECT_THROW(load_energy_table(dir_ / "missing.json"), Error);
}

// The shipped energy tables load, and every constant carries its source.
TEST(ShippedConfigs, EveryEnergyTableLoads) {
  std::size_t tables = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(MBI_SOURCE_DIR) / "configs" / "energy")) {
    const eval::EnergyTable t = load_energy_table(entry.path());
    EXPECT_FALSE(t.empty()) << entry.path();
    for (const auto& [event, cost] : t.costs()) EXPECT_GT(cost.source.size(), 20U) << entry.path() << " " << event;
    ++tables;
  }
  EXPECT_GE(tables, 2U);
  const eval::EnergyTable ap = load_energy_table(fs::path(MBI_SOURCE_DIR) / "configs/energy/ap_rtm.json");
  ASSERT_NE(ap.find("rtm.track_shift"), nullptr);
  EXPECT_DOUBLE_EQ(*ap.find("rtm.track_shift")->seconds, 2.14192e-9);
}

TEST(RamConfigJson, RoundTripsAndRefusesUnknownKeys) {
  RamConfig c;
  c.image_rows = 12;
  c.image_cols = 20;
  c.classes = 3;
  c.patch = 2;
  c.hidden_bits = 2;
  const RamConfig back = config_from_json(config_to_json(c));
  EXPECT_EQ(config_to_json(back), config_to_json(c));
  nlohmann::json j = config_to_json(c);
  j["typo"] = 1;
  EXPECT_ANY_THROW(config_from_json(j));
}

TEST_F(IoTest, TableMetadataNamesTeacherAndImageSize) {
  RamConfig c;
  c.image_rows = 12;
  c.image_cols = 20;
  TableData d;
  d.key_layout = ram_key_layout(c);
  d.value_layout = ram_value_layout(c);
  d.segment_weights.assign(d.key_layout.segments().size(), 1);
  d.metadata_json = nlohmann::json{{"format", "mbi-ram-table"},
                                   {"teacher", {{"file", "t.pt"}, {"checksum", 7}, {"config", config_to_json(c)}}}}
                        .dump();
  const Table table = Table::borrow(d, "meta.tbl");
  const TableInfo info = read_table_info(table);
  EXPECT_EQ(info.teacher_checksum, 7U);
  EXPECT_EQ(info.config.image_cols, 20);
  EXPECT_NO_THROW(check_same_teacher(info, table, 7, "t.pt"));
  EXPECT_THROW(check_same_teacher(info, table, 8, "u.pt"), Error);
  ImageSet wrong;
  wrong.rows = 28;
  wrong.cols = 28;
  try {
    check_image_size(info, table, wrong, "data/");
    FAIL() << "accepted 28x28 images for a 12x20 table";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("meta.tbl"), std::string::npos);
  }
  d.metadata_json = "{}";
  const Table bare = Table::borrow(d, "bare.tbl");
  EXPECT_THROW(read_table_info(bare), Error);
}

TEST_F(IoTest, ResultFilesWriteTablesTextsAndSummary) {
  ResultFiles r;
  r.summary = {{"answer", 42}};
  CsvTable t({"a", "b"});
  t.add({"1", "x,y"});
  r.tables.emplace_back("numbers", t);
  r.texts.emplace_back("notes.md", "# notes\n");
  const auto written = r.write(dir_ / "out", "summary.json");
  ASSERT_EQ(written.size(), 3U);
  EXPECT_EQ(read_file(dir_ / "out" / "numbers.csv"), "a,b\n1,\"x,y\"\n");
  EXPECT_EQ(read_file(dir_ / "out" / "notes.md"), "# notes\n");
  EXPECT_EQ(nlohmann::json::parse(read_file(dir_ / "out" / "summary.json"))["answer"], 42);
  EXPECT_EQ(&r.table("numbers"), &r.tables[0].second);
  EXPECT_THROW(r.table("absent"), Error);
}

}  // namespace
}  // namespace mbi::io

namespace mbi::io {
namespace {

// The model file container without LibTorch: round trip, and every malformed case refused
// with the source named, none allocating what a forged header declares.
TEST(ModelContainer, RoundTripsAndRefusesForgeries) {
  const std::vector<NamedTensor> tensors = {{"a.weight", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"b", {0}, {}}, {"s", {}, {7}}};
  const std::string bytes = serialize_model_container({{"config", {{"hidden", 8}}}, {"meta", {}}}, tensors);
  const ModelContainer c = parse_model_container(bytes, "m.pt");
  ASSERT_EQ(c.tensors.size(), 3U);
  EXPECT_EQ(c.tensors[0].dims, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(c.tensors[0].data[5], 6.0F);
  EXPECT_TRUE(c.tensors[1].data.empty());
  EXPECT_EQ(c.tensors[2].data, std::vector<float>{7});
  EXPECT_EQ(c.header["config"]["hidden"], 8);
  const auto reseal = [](std::string b) {
    const std::uint32_t crc = crc32(b.data(), b.size() - 4);
    std::memcpy(b.data() + b.size() - 4, &crc, 4);
    return b;
  };
  const auto error_of = [](const std::string& b) {
    try {
      parse_model_container(b, "m.pt");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(error_of(bytes.substr(0, 10)).find("m.pt"), std::string::npos);
  std::string flipped = bytes;
  flipped[20] ^= 1;
  EXPECT_NE(error_of(flipped).find("checksum"), std::string::npos);
  // A dimension of 2^28 x 2^28 x ... must not be multiplied into an overflow or allocated.
  const std::size_t dims_at = bytes.find("a.weight") + 8 + 4;
  std::string huge = bytes;
  const std::int64_t big = std::int64_t{1} << 40;
  std::memcpy(huge.data() + dims_at, &big, 8);
  std::memcpy(huge.data() + dims_at + 8, &big, 8);
  EXPECT_NE(error_of(reseal(huge)).find("bad shape"), std::string::npos);
  std::string rank = bytes;
  const std::uint32_t nine = 9;
  std::memcpy(rank.data() + dims_at - 4, &nine, 4);
  EXPECT_NE(error_of(reseal(rank)).find("rank 9"), std::string::npos);
  std::string stray = bytes;
  stray.insert(stray.size() - 4, "xx");
  EXPECT_NE(error_of(reseal(stray)).find("stray bytes"), std::string::npos);
  std::string header = bytes;
  header[16] = '!';  // the JSON header's first byte
  EXPECT_NE(error_of(reseal(header)).find("bad model header"), std::string::npos);
}

}  // namespace
}  // namespace mbi::io
