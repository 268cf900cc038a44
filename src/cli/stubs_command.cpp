// Subcommands still being built.
#include "commands.hpp"

namespace mbi::cli {
void register_data(CLI::App&) {}
}  // namespace mbi::cli
#ifdef MBI_NO_HW_COMMAND
namespace mbi::cli {
void register_hw(CLI::App&) {}
}  // namespace mbi::cli
#endif
