#pragma once
// Shared by the `mbi hw` command files.
#include <nlohmann/json.hpp>

#include <string>

#include "mbi/error.hpp"

namespace mbi::cli {

// Runs `body`, turning a nlohmann exception (a bug, not a user error) into mbi::Error.
template <class F>
void guarded(F&& body) {
  try {
    body();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("hw: ") + e.what());
  }
}

}  // namespace mbi::cli
