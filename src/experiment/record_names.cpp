#include "mbi/experiment/record_names.hpp"

namespace mbi::experiment {

std::string dataset_name(const std::string& path) {
  std::string p = path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace mbi::experiment
