// Model files: the container (magic, checksum, JSON header, tensors) and the teacher
// configuration in its header. Any bytes give a model or an mbi::Error; a header whose JSON
// has the wrong shape may also give nlohmann's type errors, which the loader turns into one.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mbi/core/error.hpp"
#include "mbi/io/model_container.hpp"
#include "mbi/io/ram_config_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const mbi::io::ModelContainer c =
        mbi::io::parse_model_container({reinterpret_cast<const char*>(data), size}, "fuzz.pt");
    if (c.header.contains("config")) mbi::io::config_from_json(c.header.at("config"));
  } catch (const mbi::Error&) {
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
