#pragma once
// What a table's metadata JSON says about the teacher it was distilled from, and the checks
// that keep a table, a teacher and a data set from being mixed up.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "mbi/core/image_set.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi::io {

struct TableInfo {
  RamConfig config;     // the teacher's configuration
  nlohmann::json meta;  // the whole metadata object
  std::uint32_t teacher_checksum = 0;
};

// Throws mbi::Error naming the table when its metadata is missing or malformed.
TableInfo read_table_info(const Table& table);

// Refuses (mbi::Error) a teacher file other than the one the table was distilled from.
void check_same_teacher(const TableInfo& info, const Table& table, std::uint32_t model_checksum,
                        const std::filesystem::path& model_path);

// Refuses (mbi::Error naming both) images from `data_dir` whose size is not the one the
// table's teacher takes, or whose labels name classes the teacher does not know.
void check_image_size(const TableInfo& info, const Table& table, const ImageSet& set,
                      const std::filesystem::path& data_dir);

// The table's metadata "tree" entry's settings written back as the tree flags would give them
// (null without a tree), as `mbi distill` and `mbi index` record them.
nlohmann::json tree_meta(const KMeansTreeParams& params, bool per_step, std::uint32_t trees,
                         std::uint32_t global_trees, std::uint32_t max_depth);

}  // namespace mbi::io
