#pragma once
// Reading a config file as JSON with every error naming the file: "<file>: not valid JSON
// (...)" or "<file>: <what the parser refused>". Shared by the energy tables and the device
// configs.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"

namespace mbi::io {

// Parses `file` as JSON and hands the document to `parse`, whose result it returns.
template <typename Parse>
auto parse_json_file(const std::filesystem::path& file, Parse&& parse) {
  try {
    return std::forward<Parse>(parse)(nlohmann::json::parse(read_file(file)));
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not valid JSON (" + e.what() + ")");
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind(file.string(), 0) == 0) throw;  // read_file's own errors name it already
    throw Error(file.string() + ": " + what);
  }
}

}  // namespace mbi::io
