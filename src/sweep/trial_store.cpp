#include "mbi/sweep/trial_store.hpp"

#include <cstdio>
#include <string_view>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"

namespace mbi::sweep {
namespace {

// First line: format, version, CRC-32 (hex) of everything after that line. Then the
// description's length and the description, then the result.
constexpr std::string_view kMagic = "mbi-sweep-trial";
constexpr int kVersion = 1;

std::string hex32(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

}  // namespace

void check_trial_id(const std::string& id) {
  if (id.empty() || id == "." || id == "..") throw Error("sweep: a trial id must be a plain, non-empty file name");
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == '=';
    if (!ok) throw Error("sweep: trial id '" + id + "' has a character other than letters, digits, -, _, . and =");
  }
}

TrialStore::TrialStore(std::filesystem::path folder) : folder_(std::move(folder)) {
  if (folder_.empty()) throw Error("sweep: the results folder is empty");
}

std::filesystem::path TrialStore::path_of(const std::string& id) const {
  check_trial_id(id);
  return folder_ / (id + ".trial");
}

std::optional<std::string> TrialStore::read(const Trial& trial) const {
  const auto path = path_of(trial.id);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  const std::string bytes = read_file(path);
  const auto bad = [&](const std::string& why) {
    return Error(path.string() + ": " + why + "; remove it to run the trial again");
  };
  const auto eol = bytes.find('\n');
  if (eol == std::string::npos) throw bad("not a sweep trial result (no header line)");
  const std::string header = bytes.substr(0, eol);
  const std::string expected_prefix = std::string(kMagic) + " " + std::to_string(kVersion) + " ";
  if (header.rfind(std::string(kMagic) + " ", 0) != 0) throw bad("not a sweep trial result");
  if (header.rfind(expected_prefix, 0) != 0) throw bad("a trial result of another format version");
  const std::string body = bytes.substr(eol + 1);
  if (header.substr(expected_prefix.size()) != hex32(crc32(body.data(), body.size())))
    throw bad("corrupt (checksum mismatch)");
  const auto eol2 = body.find('\n');
  std::size_t length = 0;
  try {
    length = std::stoull(body.substr(0, eol2));
  } catch (const std::exception&) {
    throw bad("corrupt (no description length)");
  }
  if (eol2 == std::string::npos || body.size() < eol2 + 1 + length) throw bad("corrupt (truncated description)");
  if (body.compare(eol2 + 1, length, trial.description) != 0)
    throw bad("made for another configuration of trial '" + trial.id + "' (its settings differ from this sweep's)");
  return body.substr(eol2 + 1 + length);
}

void TrialStore::write(const Trial& trial, const std::string& result) const {
  const std::string body = std::to_string(trial.description.size()) + "\n" + trial.description + result;
  const std::string header =
      std::string(kMagic) + " " + std::to_string(kVersion) + " " + hex32(crc32(body.data(), body.size())) + "\n";
  write_file_atomic(path_of(trial.id), header + body);
}

}  // namespace mbi::sweep
