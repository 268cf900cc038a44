#pragma once
// What a table file says about the teacher it was distilled from (its metadata JSON),
// and the checks that keep a table and a teacher from being mixed up.
#include <nlohmann/json.hpp>

#include <filesystem>

#include "mbi/data/idx.hpp"
#include "mbi/ram_config.hpp"
#include "mbi/table_file.hpp"

namespace mbi::cli {

struct TableInfo {
  RamConfig config;       // the teacher's configuration
  nlohmann::json meta;    // the whole metadata object
  std::uint32_t teacher_checksum = 0;
};

// Throws mbi::Error naming the table when its metadata is missing or malformed.
TableInfo read_table_info(const MappedTable& table);

// Refuses (mbi::Error) a teacher file other than the one the table was distilled from.
void check_same_teacher(const TableInfo& info, const MappedTable& table, std::uint32_t model_checksum,
                        const std::filesystem::path& model_path);

// Refuses (mbi::Error naming both) images from `data_dir` whose size is not the one the
// table's teacher takes.
void check_image_size(const TableInfo& info, const std::filesystem::path& table, const data::ImageSet& set,
                      const std::filesystem::path& data_dir);

// A writable copy of a mapped table (rows in its stored order), to re-weight or re-tree.
TableData copy_table(const MappedTable& table);

}  // namespace mbi::cli
