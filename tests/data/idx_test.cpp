// IDX parsing on files the test writes: plain and gzip, odd sizes, and every malformed
// case a user can hit.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "mbi/data/idx.hpp"
#include "mbi/core/error.hpp"

namespace mbi::data {
namespace {

namespace fs = std::filesystem;

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string images_bytes(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  std::string s = be32(0x803) + be32(n) + be32(rows) + be32(cols);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) s.push_back(static_cast<char>(i % 251));
  return s;
}

std::string labels_bytes(std::uint32_t n, int classes) {
  std::string s = be32(0x801) + be32(n);
  for (std::uint32_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % static_cast<std::uint32_t>(classes)));
  return s;
}

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mbi_idx_test_" + std::to_string(::getpid()) +
                                        "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path write_gz(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    gzFile f = gzopen(p.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return p;
  }
  fs::path dir_;
};

TEST_F(IdxTest, ReadsPlainAndGzipWithOddSizes) {
  write_gz("train-images-idx3-ubyte.gz", images_bytes(12, 7, 5));
  write("train-labels-idx1-ubyte", labels_bytes(12, 3));
  const ImageSet set = load_split(dir_, "train");
  EXPECT_EQ(set.count(), 12U);
  EXPECT_EQ(set.rows, 7);
  EXPECT_EQ(set.cols, 5);
  EXPECT_EQ(set.classes, 3);
  EXPECT_EQ(set.image(1)[0], 35);  // second image starts at byte 35
  EXPECT_EQ(set.labels[4], 1);
}

TEST_F(IdxTest, MissingFileNamesTheFolder) {
  try {
    load_split(dir_, "test");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t10k-images-idx3-ubyte"), std::string::npos) << e.what();
  }
}

TEST_F(IdxTest, TruncatedImagesAreRefused) {
  std::string bytes = images_bytes(4, 3, 3);
  bytes.resize(bytes.size() - 5);
  const auto p = write_gz("x-images.gz", bytes);
  try {
    read_idx_images(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
}

TEST_F(IdxTest, WrongMagicIsRefused) {
  const auto p = write("labels-as-images", labels_bytes(4, 2));
  EXPECT_THROW(read_idx_images(p), Error);
  const auto q = write("images-as-labels", images_bytes(4, 2, 2));
  EXPECT_THROW(read_idx_labels(q), Error);
}

TEST_F(IdxTest, TrailingBytesAreRefused) {
  const auto p = write("extra", labels_bytes(4, 2) + "xx");
  EXPECT_THROW(read_idx_labels(p), Error);
}

TEST_F(IdxTest, LabelCountMustMatchImages) {
  write("train-images-idx3-ubyte", images_bytes(10, 4, 4));
  write("train-labels-idx1-ubyte", labels_bytes(9, 2));
  try {
    load_split(dir_, "train");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("9 labels for 10 images"), std::string::npos) << e.what();
  }
}

TEST_F(IdxTest, GarbageGzipIsRefused) {
  std::string bytes = "\x1f\x8b\x08\x00garbage-not-deflate-data-at-all";
  const auto p = write("bad.gz", bytes);
  EXPECT_THROW(read_idx_labels(p), Error);
}

// A gzip stream cut anywhere in its 8-byte trailer (CRC-32, length) still inflates every
// image; the reader must notice the missing trailer, and a trailer whose CRC lies.
TEST_F(IdxTest, GzipTrailerIsChecked) {
  const auto whole = write_gz("whole.gz", images_bytes(3, 4, 4));
  const std::string bytes = [&] {
    std::ifstream in(whole, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  EXPECT_EQ(read_idx_images(whole).pixels.size(), 48U);
  for (std::size_t cut = 1; cut <= 9; ++cut) {
    const auto p = write("cut.gz", bytes.substr(0, bytes.size() - cut));
    try {
      read_idx_images(p);
      FAIL() << "accepted a gzip file missing " << cut << " trailing bytes";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  }
  std::string lying = bytes;
  lying[lying.size() - 6] ^= 1;  // a CRC-32 byte
  EXPECT_THROW(read_idx_images(write("crc.gz", lying)), Error);
}

// A header may declare far more images than the file holds: the reader allocates as the
// bytes arrive (gzip) or compares with the file size first (plain), never what is declared.
TEST_F(IdxTest, DeclaredSizesDoNotDriveAllocation) {
  const std::string bomb = be32(0x803) + be32(1U << 22) + be32(28) + be32(28) + std::string(16, '\0');
  const auto gz = write_gz("bomb.gz", bomb);
  EXPECT_LT(fs::file_size(gz), 100U);
  try {
    read_idx_images(gz);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  const auto plain = write("bomb", bomb);
  try {
    read_idx_images(plain);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bytes for"), std::string::npos) << e.what();  // before allocating
  }
  // Past the documented cap (4 GiB of pixels) a file is refused from its header alone.
  const auto huge = write_gz("huge.gz", be32(0x803) + be32(0xFFFFFFFFU) + be32(16384) + be32(16384));
  try {
    read_idx_images(huge);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(huge.string()), std::string::npos) << e.what();
  }
  const auto labels = write_gz("labels-bomb.gz", be32(0x801) + be32(0xFFFFFFFFU) + "abc");
  EXPECT_THROW(read_idx_labels(labels), Error);
}

TEST(Split, SeededDisjointAndComplete) {
  const auto a = split_train_validation(1000, 0.1, 42);
  const auto b = split_train_validation(1000, 0.1, 42);
  const auto c = split_train_validation(1000, 0.1, 43);
  EXPECT_EQ(a.validation.size(), 100U);
  EXPECT_EQ(a.train.size(), 900U);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_NE(a.validation, c.validation);
  std::vector<bool> seen(1000, false);
  for (auto i : a.train) seen[i] = true;
  for (auto i : a.validation) {
    EXPECT_FALSE(seen[i]);
    seen[i] = true;
  }
  for (bool s : seen) EXPECT_TRUE(s);
}

}  // namespace
}  // namespace mbi::data
