#include "mbi/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <new>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "mbi/core/error.hpp"

namespace mbi::data {
namespace {

// gzread reads gzip and plain files alike, so one path serves both.
class GzReader {
 public:
  explicit GzReader(const std::filesystem::path& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw Error(path.string() + ": file not found");
    file_bytes_ = std::filesystem::file_size(path, ec);
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) throw Error(path.string() + ": cannot open");
    // Buffers of up to 1 MiB, no larger than the file needs (zlib allocates three times this).
    gzbuffer(file_, static_cast<unsigned>(std::clamp<std::uint64_t>(file_bytes_, 1U << 13, 1U << 20)));
  }
  ~GzReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  void read(void* dst, std::size_t size, const char* what) {
    auto* out = static_cast<unsigned char*>(dst);
    while (size > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size, 1U << 30));
      const int n = gzread(file_, out, chunk);
      if (n < 0) throw corrupt();
      if (n == 0) throw Error(path_.string() + ": truncated file (while reading " + std::string(what) + ")");
      out += n;
      size -= static_cast<std::size_t>(n);
    }
  }
  std::uint32_t read_u32(const char* what) {
    std::array<unsigned char, 4> b{};
    read(b.data(), 4, what);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  }
  // `count` bytes appended to `out` as they arrive, so that memory follows the bytes the file
  // really holds, not what its header declares (a gzip file of 38 bytes may declare gigabytes).
  void read_into(std::vector<std::uint8_t>& out, std::uint64_t count, const char* what) {
    // A plain file must hold what it declares: refused before anything is allocated.
    if (gzdirect(file_) != 0 && count > file_bytes_)
      throw Error(path_.string() + ": truncated file (" + std::to_string(file_bytes_) + " bytes for " +
                  std::to_string(count) + " bytes of " + what + ")");
    // Chunks from 64 KiB up, doubling: the buffer never runs far ahead of the data.
    try {
      std::uint64_t chunk = 1ULL << 16;
      for (std::uint64_t done = 0; done < count; chunk = std::min<std::uint64_t>(chunk * 2, 1ULL << 26)) {
        const std::uint64_t take = std::min(chunk, count - done);
        out.resize(static_cast<std::size_t>(done + take));
        read(out.data() + done, static_cast<std::size_t>(take), what);
        done += take;
      }
    } catch (const std::bad_alloc&) {
      throw Error(path_.string() + ": out of memory reading " + std::to_string(count) + " bytes of " + what);
    }
  }
  // True when the stream ends here, and the gzip trailer (CRC-32 and length) checked out.
  bool at_end() {
    unsigned char c = 0;
    const int n = gzread(file_, &c, 1);
    if (n < 0) throw corrupt();
    int err = Z_OK;
    gzerror(file_, &err);
    // A stream cut anywhere, its 8-byte trailer included, ends in an error, not a clean end.
    if (err != Z_OK) throw corrupt();
    return n == 0;
  }

 private:
  Error corrupt() {
    int err = 0;
    const char* why = gzerror(file_, &err);
    return Error(path_.string() + ": corrupt or truncated gzip stream (" + std::string(why) + ")");
  }

  std::filesystem::path path_;
  std::uint64_t file_bytes_ = 0;
  gzFile file_ = nullptr;
};

constexpr std::uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr std::uint32_t kMaxSide = 1U << 14;
// Most pixel bytes an image file may declare (4 GiB); larger sets are refused up front.
constexpr std::uint64_t kMaxPixelBytes = 1ULL << 32;

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::filesystem::path find_file(const std::filesystem::path& dir, const std::string& stem) {
  for (const auto& candidate : {dir / stem, dir / (stem + ".gz")})
    if (std::filesystem::exists(candidate)) return candidate;
  throw Error(dir.string() + ": no " + stem + "[.gz] (see scripts/fetch-data.sh to download a data set)");
}

}  // namespace

ImageSet read_idx_images(const std::filesystem::path& path) {
  GzReader in(path);
  const std::uint32_t magic = in.read_u32("magic number");
  if (magic != kImagesMagic)
    throw Error(path.string() + ": not an IDX image file (magic " + hex(magic) + ", expected " + hex(kImagesMagic) +
                ")");
  const std::uint32_t count = in.read_u32("image count");
  const std::uint32_t rows = in.read_u32("row count");
  const std::uint32_t cols = in.read_u32("column count");
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide)
    throw Error(path.string() + ": implausible image size " + std::to_string(rows) + "x" + std::to_string(cols));
  const std::uint64_t bytes = std::uint64_t{count} * rows * cols;
  if (bytes > kMaxPixelBytes)
    throw Error(path.string() + ": declares " + std::to_string(count) + " images of " + std::to_string(rows) + "x" +
                std::to_string(cols) + " (" + std::to_string(bytes) + " bytes, more than the " +
                std::to_string(kMaxPixelBytes) + " an image file may hold)");
  ImageSet set;
  set.rows = static_cast<int>(rows);
  set.cols = static_cast<int>(cols);
  in.read_into(set.pixels, bytes, "pixels");
  if (!in.at_end()) throw Error(path.string() + ": trailing bytes after " + std::to_string(count) + " images");
  return set;
}

std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path) {
  GzReader in(path);
  const std::uint32_t magic = in.read_u32("magic number");
  if (magic != kLabelsMagic)
    throw Error(path.string() + ": not an IDX label file (magic " + hex(magic) + ", expected " + hex(kLabelsMagic) +
                ")");
  const std::uint32_t count = in.read_u32("label count");
  std::vector<std::uint8_t> labels;
  in.read_into(labels, count, "labels");
  if (!in.at_end()) throw Error(path.string() + ": trailing bytes after " + std::to_string(count) + " labels");
  return labels;
}

ImageSet load_split(const std::filesystem::path& dir, const std::string& split) {
  if (!std::filesystem::is_directory(dir)) throw Error(dir.string() + ": data folder not found");
  std::string prefix;
  if (split == "train")
    prefix = "train";
  else if (split == "test")
    prefix = "t10k";
  else
    throw Error("unknown split '" + split + "' (expected train or test)");
  const auto images_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const auto labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  ImageSet set = read_idx_images(images_path);
  set.labels = read_idx_labels(labels_path);
  const std::size_t images = set.pixels.size() / (static_cast<std::size_t>(set.rows) * set.cols);
  if (set.labels.size() != images)
    throw Error(labels_path.string() + ": " + std::to_string(set.labels.size()) + " labels for " +
                std::to_string(images) + " images in " + images_path.string());
  if (images == 0) throw Error(images_path.string() + ": holds no images");
  set.classes = 1 + *std::max_element(set.labels.begin(), set.labels.end());
  return set;
}

TrainValSplit split_train_validation(std::size_t n, double fraction, std::uint64_t seed) {
  if (!(fraction >= 0.0 && fraction < 1.0))
    throw Error("validation fraction " + std::to_string(fraction) + " is not in [0, 1)");
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  // Fisher-Yates with our own draws: std::shuffle's use of the engine is not specified,
  // and the split must be the same with every standard library.
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  const auto n_val = static_cast<std::size_t>(std::llround(static_cast<double>(n) * fraction));
  TrainValSplit split;
  split.validation.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_val));
  split.train.assign(order.begin() + static_cast<std::ptrdiff_t>(n_val), order.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.train.begin(), split.train.end());
  return split;
}

ImageSet load_named_split(const std::filesystem::path& dir, const std::string& name, double val_fraction,
                          std::uint64_t split_seed) {
  if (name == "test") return load_split(dir, "test");
  if (name == "train-all") return load_split(dir, "train");
  if (name != "val" && name != "train")
    throw Error("unknown split '" + name + "' (expected train, val, train-all or test)");
  ImageSet all = load_split(dir, "train");
  const auto split = split_train_validation(all.count(), val_fraction, split_seed);
  ImageSet part = all.subset(name == "val" ? split.validation : split.train);
  part.classes = all.classes;
  return part;
}

}  // namespace mbi::data
