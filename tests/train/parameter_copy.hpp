#pragma once
// A model's parameters copied by name: what a test compares a changed model against.
#include <map>
#include <string>

#include "mbi/train/ram_model.hpp"

namespace mbi::test {

inline std::map<std::string, torch::Tensor> copy_of(train::RamModel& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model->named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

}  // namespace mbi::test
