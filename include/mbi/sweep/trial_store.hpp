#pragma once
// The results folder of a sweep: one file per trial, `<folder>/<id>.trial`, written
// atomically (temporary + rename) so a killed sweep leaves each trial either done or absent,
// and read back only when it is whole (CRC-32) and was made for the same trial description:
// a result made with other settings is refused, naming its file, instead of being mixed in.
#include <filesystem>
#include <optional>
#include <string>

namespace mbi::sweep {

// One point of a sweep: a short id (a file name: letters, digits, '-', '_', '.', '=') and the
// full description of what it computes (e.g. a JSON object of its settings). Two trials with
// one id and different descriptions are different work.
struct Trial {
  std::string id;
  std::string description;
};

class TrialStore {
 public:
  explicit TrialStore(std::filesystem::path folder);

  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path path_of(const std::string& id) const;

  // The trial's stored result; nullopt when there is none. Throws mbi::Error naming the file
  // when it is corrupt, of another format version, or made for another description.
  std::optional<std::string> read(const Trial& trial) const;
  // Stores the trial's result (any text) atomically.
  void write(const Trial& trial, const std::string& result) const;

 private:
  std::filesystem::path folder_;
};

// Throws mbi::Error when `id` is empty or not a plain file name.
void check_trial_id(const std::string& id);

}  // namespace mbi::sweep
