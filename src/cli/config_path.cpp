#include "config_path.hpp"

#include <system_error>

#include "mbi/core/error.hpp"

namespace mbi::cli {

std::optional<std::filesystem::path> find_shipped_file(const std::string& relative) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(relative, ec)) return fs::path(relative);
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / relative, ec)) return dir / relative;
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

std::filesystem::path given_or_shipped(const std::filesystem::path& given, const std::string& relative,
                                       const std::string& flag) {
  if (!given.empty()) return given;
  if (const auto found = find_shipped_file(relative)) return *found;
  throw Error(relative + ": not found here nor beside the mbi binary (give " + flag + ")");
}

}  // namespace mbi::cli
