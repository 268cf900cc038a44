#include "table_meta.hpp"

#include "mbi/error.hpp"
#include "mbi/ram_config_json.hpp"

namespace mbi::cli {

TableInfo read_table_info(const MappedTable& table) {
  TableInfo info;
  try {
    info.meta = nlohmann::json::parse(table.metadata_json());
    if (info.meta.value("format", "") != "mbi-ram-table") throw Error("not an mbi RAM table");
    info.config = config_from_json(info.meta.at("teacher").at("config"));
    info.teacher_checksum = info.meta.at("teacher").at("checksum").get<std::uint32_t>();
  } catch (const std::exception& e) {
    throw Error(table.path().string() + ": bad table metadata (" + e.what() + ")");
  }
  return info;
}

void check_same_teacher(const TableInfo& info, const MappedTable& table, std::uint32_t model_checksum,
                        const std::filesystem::path& model_path) {
  if (info.teacher_checksum != model_checksum)
    throw Error(table.path().string() + ": built for another teacher (" +
                info.meta.at("teacher").value("file", std::string("?")) + ", checksum " +
                std::to_string(info.teacher_checksum) + "), not " + model_path.string() + " (checksum " +
                std::to_string(model_checksum) + ")");
}

void check_image_size(const TableInfo& info, const std::filesystem::path& table, const data::ImageSet& set,
                      const std::filesystem::path& data_dir) {
  if (set.rows != info.config.image_rows || set.cols != info.config.image_cols)
    throw Error(data_dir.string() + ": images are " + std::to_string(set.rows) + "x" + std::to_string(set.cols) +
                " but " + table.string() + " was built for " + std::to_string(info.config.image_rows) + "x" +
                std::to_string(info.config.image_cols));
}

TableData copy_table(const MappedTable& t) {
  TableData d;
  d.key_layout = t.key_layout();
  d.value_layout = t.value_layout();
  d.segment_weights.assign(t.segment_weights().begin(), t.segment_weights().end());
  d.metadata_json = std::string(t.metadata_json());
  d.keys.assign(t.keys().begin(), t.keys().end());
  d.next_hidden.assign(t.next_hidden().begin(), t.next_hidden().end());
  d.next_location.assign(t.next_location().begin(), t.next_location().end());
  d.step.assign(t.step().begin(), t.step().end());
  d.prediction.assign(t.prediction().begin(), t.prediction().end());
  if (t.tree() != nullptr) d.tree = *t.tree();
  for (std::size_t i = 1; i < t.tree_count(); ++i)
    d.forest.push_back({t.forest_tree(i), {t.forest_rows(i).begin(), t.forest_rows(i).end()}});
  return d;
}

}  // namespace mbi::cli
