#pragma once
// One exception type for every user-facing failure. Its message is a single line that
// names the file or flag at fault; the CLI prints it and exits non-zero.
#include <stdexcept>
#include <string>

namespace mbi {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mbi
