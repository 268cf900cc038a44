#include "mbi/io/table_info.hpp"

#include "mbi/core/error.hpp"
#include "mbi/io/ram_config_json.hpp"

namespace mbi::io {

TableInfo read_table_info(const Table& table) {
  TableInfo info;
  try {
    info.meta = nlohmann::json::parse(table.metadata_json());
    if (info.meta.value("format", "") != "mbi-ram-table") throw Error("not an mbi RAM table");
    info.config = config_from_json(info.meta.at("teacher").at("config"));
    info.teacher_checksum = info.meta.at("teacher").at("checksum").get<std::uint32_t>();
  } catch (const std::exception& e) {
    throw Error(table.name() + ": bad table metadata (" + e.what() + ")");
  }
  return info;
}

void check_same_teacher(const TableInfo& info, const Table& table, std::uint32_t model_checksum,
                        const std::filesystem::path& model_path) {
  if (info.teacher_checksum != model_checksum)
    throw Error(table.name() + ": built for another teacher (" + info.meta.at("teacher").value("file", std::string("?")) +
                ", checksum " + std::to_string(info.teacher_checksum) + "), not " + model_path.string() +
                " (checksum " + std::to_string(model_checksum) + ")");
}

void check_image_size(const TableInfo& info, const Table& table, const ImageSet& set,
                      const std::filesystem::path& data_dir) {
  if (set.rows != info.config.image_rows || set.cols != info.config.image_cols)
    throw Error(data_dir.string() + ": images are " + std::to_string(set.rows) + "x" + std::to_string(set.cols) +
                " but " + table.name() + " was built for " + std::to_string(info.config.image_rows) + "x" +
                std::to_string(info.config.image_cols));
  if (set.classes > info.config.classes)
    throw Error(data_dir.string() + ": labels go up to " + std::to_string(set.classes - 1) + " but " + table.name() +
                " was built for " + std::to_string(info.config.classes) + " classes");
}

nlohmann::json tree_meta(const KMeansTreeParams& params, bool per_step, std::uint32_t trees,
                         std::uint32_t global_trees, std::uint32_t max_depth) {
  return {{"branching", params.branching},
          {"max_leaf_size", params.max_leaf_size},
          {"restarts", params.restarts},
          {"seed", params.seed},
          {"per_step", per_step},
          {"trees", trees},
          {"global_trees", global_trees},
          {"max_depth", max_depth}};
}

}  // namespace mbi::io
