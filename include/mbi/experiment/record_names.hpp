#pragma once
// Names the record reports share.
#include <string>

namespace mbi::experiment {

// The data set's name: the last folder of a record's data path ("fashion-mnist").
std::string dataset_name(const std::string& path);

}  // namespace mbi::experiment
