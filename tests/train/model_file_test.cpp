// Model files: round trip, and refusal of corrupt, truncated or mismatched files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/train/model_file.hpp"

namespace mbi::train {
namespace {

namespace fs = std::filesystem;

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("mbi_model_test_") + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.hidden = 16;
    config_.core_width = 32;
    config_.phi_lo = -0.4F;
    config_.phi_hi = 2.8F;
    torch::manual_seed(3);
    model_ = RamModel(config_);
    path_ = dir_ / "m.pt";
    save_model(path_, model_, {{"note", "hello"}});
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string expect_error(const fs::path& p) {
    try {
      load_model(p);
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error for " << p;
    return {};
  }

  fs::path dir_;
  fs::path path_;
  RamConfig config_;
  RamModel model_{nullptr};
};

TEST_F(ModelFileTest, RoundTripIsExact) {
  const auto loaded = load_model(path_);
  EXPECT_EQ(config_to_json(loaded.model->config()), config_to_json(config_));
  EXPECT_EQ(loaded.meta.at("note"), "hello");
  auto a = model_->named_parameters();
  auto b = loaded.model->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), *b.find(p.key()))) << p.key();
  EXPECT_EQ(loaded.checksum, load_model(path_).checksum);
  // A different model gets a different identity.
  torch::manual_seed(4);
  RamModel other(config_);
  save_model(dir_ / "other.pt", other);
  EXPECT_NE(load_model(dir_ / "other.pt").checksum, loaded.checksum);
}

TEST_F(ModelFileTest, FlippedByteIsRefused) {
  std::string bytes = read_file(path_);
  bytes[bytes.size() / 2] ^= 0x40;
  const auto bad = dir_ / "bad.pt";
  write_file_atomic(bad, bytes);
  EXPECT_NE(expect_error(bad).find("checksum"), std::string::npos);
}

TEST_F(ModelFileTest, TruncatedIsRefused) {
  std::string bytes = read_file(path_);
  bytes.resize(bytes.size() / 3);
  const auto bad = dir_ / "short.pt";
  write_file_atomic(bad, bytes);
  const auto msg = expect_error(bad);
  EXPECT_NE(msg.find(bad.string()), std::string::npos) << msg;
}

TEST_F(ModelFileTest, WrongMagicAndMissingFileAreRefused) {
  const auto bad = dir_ / "text.pt";
  write_file_atomic(bad, "this is not a model file at all");
  EXPECT_NE(expect_error(bad).find("bad magic"), std::string::npos);
  EXPECT_NE(expect_error(dir_ / "nope.pt").find("not found"), std::string::npos);
}

TEST_F(ModelFileTest, ParametersOfAnotherArchitectureAreRefused) {
  RamConfig other = config_;
  other.hidden = 24;
  RamModel wider(other);
  try {
    load_parameters_into(path_, wider);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another architecture"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mbi::train
