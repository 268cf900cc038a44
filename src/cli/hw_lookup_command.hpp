#pragma once
// The flags of the `mbi hw` commands that run lookups through the hardware model (accuracy,
// noise, energy --table): where the lookups come from and how candidates are chosen.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "mbi/experiment/hw_studies.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/table.hpp"
#include "options.hpp"

namespace mbi::cli {

struct HwLookupSource {
  DataOptions data;
  std::filesystem::path table;
  std::string split = "test";
  std::string search = "tree";
  std::uint32_t probes = 1;
  std::string descent = "circuit";
  std::uint32_t vote = 1;
  int threads = 1;
  bool progress = false;
  // Adds --table (required when `table_required`), --split, --search, --probes, --descent,
  // --vote, --threads, --progress and the data options (--data, --limit, ...).
  void add_to(CLI::App& cmd, bool table_required);
};

// A source opened: its table, the teacher configuration it names, and its images.
struct OpenedLookups {
  Table table;
  io::TableInfo info;
  ImageSet images;
  experiment::HwLookups lookups(const HwLookupSource& source) const;
};

// Throws mbi::Error naming the table, data or flag at fault.
std::unique_ptr<OpenedLookups> open_lookups(const HwLookupSource& source);

}  // namespace mbi::cli
