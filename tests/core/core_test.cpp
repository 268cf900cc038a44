// Atomic files, CSV tables and image sets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/image_set.hpp"

namespace mbi {
namespace {

namespace fs = std::filesystem;

TEST(AtomicFile, ReplacesWholeFilesAndLeavesNoTemporaries) {
  const fs::path dir = fs::temp_directory_path() / ("mbi_core_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_file_atomic(dir / "a.txt", "first");
  write_file_atomic(dir / "a.txt", "second, longer");
  EXPECT_EQ(read_file(dir / "a.txt"), "second, longer");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1U);  // no temporary left beside it
  // Missing folders are made; a folder that cannot be (a file stands in its place) is refused.
  write_file_atomic(dir / "made" / "b.txt", "x");
  EXPECT_EQ(read_file(dir / "made" / "b.txt"), "x");
  EXPECT_THROW(write_file_atomic(dir / "a.txt" / "c.txt", "x"), Error);
  EXPECT_THROW(read_file(dir / "absent.txt"), Error);
  fs::remove_all(dir);
}

// A writer killed between creating its temporary file and renaming it leaves
// `<name>.tmp.<pid>` behind; the next write of that name removes it, but not the temporary of
// a writer still running, nor other files.
TEST(AtomicFile, RemovesTheTemporariesOfDeadWriters) {
  const fs::path dir = fs::temp_directory_path() / ("mbi_core_tmp_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto touch = [&](const std::string& name) { write_file_atomic(dir / name, "x"); };
  touch("t.tbl.tmp.999999999");                                       // no such process
  touch("t.tbl.tmp.1");                                               // init: alive
  touch("t.tbl.tmp.notapid");                                         // not ours
  touch("other.tbl.tmp.999999998");                                   // another file's
  write_file_atomic(dir / "t.tbl", "table");
  EXPECT_FALSE(fs::exists(dir / "t.tbl.tmp.999999999"));
  EXPECT_TRUE(fs::exists(dir / "t.tbl.tmp.1"));
  EXPECT_TRUE(fs::exists(dir / "t.tbl.tmp.notapid"));
  EXPECT_TRUE(fs::exists(dir / "other.tbl.tmp.999999998"));
  EXPECT_EQ(read_file(dir / "t.tbl"), "table");
  EXPECT_THROW(write_file_atomic("", "x"), Error);
  fs::remove_all(dir);
}

TEST(CsvTable, QuotesWhereNeededAndRefusesRaggedRows) {
  CsvTable t({"name", "value"});
  t.add({"plain", cell(1.5)});
  t.add({"a,b", "say \"hi\""});
  EXPECT_EQ(t.str(), "name,value\nplain,1.5\n\"a,b\",\"say \"\"hi\"\"\"\n");
  EXPECT_THROW(t.add({"one"}), Error);
  EXPECT_EQ(cell(0.1), "0.1");
  EXPECT_EQ(cell(std::size_t{12}), "12");
}

ImageSet counting_images(std::size_t n) {
  ImageSet s;
  s.rows = 2;
  s.cols = 3;
  s.classes = 5;
  for (std::size_t i = 0; i < n; ++i) {
    for (int p = 0; p < 6; ++p) s.pixels.push_back(static_cast<std::uint8_t>(10 * i + p));
    s.labels.push_back(static_cast<std::uint8_t>(i % 5));
  }
  return s;
}

TEST(ImageSet, SubsetsKeepSizeClassesAndOrder) {
  const ImageSet s = counting_images(6);
  const ImageSet sub = s.subset({4, 1});
  EXPECT_EQ(sub.count(), 2U);
  EXPECT_EQ(sub.classes, 5);
  EXPECT_EQ(sub.image(0)[0], 40);
  EXPECT_EQ(sub.labels[1], 1);
  EXPECT_EQ(s.first(3).count(), 3U);
  EXPECT_EQ(s.first(99).count(), 6U);
  EXPECT_EQ(s.first(2).image(1)[5], 15);
}

TEST(ImageSet, SamplesAreSeededDistinctAndInOriginalOrder) {
  ImageSet s;
  s.rows = 1;
  s.cols = 1;
  s.classes = 1;
  for (int i = 0; i < 50; ++i) {
    s.pixels.push_back(static_cast<std::uint8_t>(i));  // the pixel names the image
    s.labels.push_back(0);
  }
  const ImageSet a = s.sample(20, 7);
  ASSERT_EQ(a.count(), 20U);
  EXPECT_EQ(a.pixels, s.sample(20, 7).pixels);  // the same seed, the same images
  EXPECT_NE(a.pixels, s.sample(20, 8).pixels);
  EXPECT_NE(a.pixels, s.first(20).pixels);  // drawn, not the first ones
  // Strictly rising: distinct images, kept in their original order.
  for (std::size_t i = 1; i < a.count(); ++i) EXPECT_LT(a.pixels[i - 1], a.pixels[i]);
  EXPECT_EQ(s.sample(0, 7).pixels, s.pixels);   // 0: all of them
  EXPECT_EQ(s.sample(99, 7).pixels, s.pixels);  // more than there are: all of them
  EXPECT_EQ(s.sample(50, 7).pixels, s.pixels);
}

TEST(ImageSet, ShiftedCopiesMoveEveryPixelByOneSeededShift) {
  ImageSet s;
  s.rows = 5;
  s.cols = 5;
  s.classes = 1;
  s.pixels.assign(25, 0);
  s.pixels[12] = 200;  // the centre
  s.labels = {0};
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const ImageSet moved = shifted_copy(s, 2, seed);
    int bright = 0;
    for (const std::uint8_t p : moved.pixels) bright += p == 200 ? 1 : 0;
    EXPECT_EQ(bright, 1);  // a shift of up to 2 keeps the centre pixel inside
    EXPECT_EQ(moved.pixels, shifted_copy(s, 2, seed).pixels);
  }
  EXPECT_EQ(shifted_copy(s, 0, 3).pixels, s.pixels);
}

}  // namespace
}  // namespace mbi
