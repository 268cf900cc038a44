#include "mbi/sweep/sweep.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"

namespace mbi::sweep {
namespace {

namespace fs = std::filesystem;

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Exclusive create: exactly one rank of this run gets each trial, on one machine or on a
// shared file system (O_EXCL is atomic on local and NFSv3+ folders).
bool claim(const fs::path& path) {
  // The folder is made again if a finished run removed it as litter (see below).
  fs::create_directories(path.parent_path());
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw Error(path.string() + ": cannot claim the trial (" + std::string(std::strerror(errno)) + ")");
  }
  ::close(fd);
  return true;
}

// A claims folder another run left is litter once every trial it claimed is stored: that
// run is dead or between trials (its next claim makes the folder again). A folder holding a
// claim or a failure note without a result (a trial running now, or one that failed and was
// not yet run again) is kept.
bool only_stored_claims(const fs::path& folder, const TrialStore& store) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    // A failure note is litter once the trial has been stored since.
    const std::string name = entry.path().extension() == ".failed" ? entry.path().stem().string()
                                                                   : entry.path().filename().string();
    try {
      if (!fs::exists(store.path_of(name))) return false;
    } catch (const Error&) {
      return false;  // not a claim of ours: leave the folder alone
    }
  }
  return !ec;
}

void log_line(const Ranks& ranks, const std::string& text) {
  const std::string tag = ranks.tag();
  std::cerr << (tag.empty() ? "sweep: " : "sweep (" + tag + "): ") << text << std::endl;
}

}  // namespace

SweepOutcome run_sweep(const std::vector<Trial>& trials, const TrialStore& store, Ranks& ranks,
                       const std::function<std::string(const Trial&)>& work, const SweepOptions& options) {
  std::set<std::string> ids;
  for (const auto& t : trials) {
    check_trial_id(t.id);
    if (!ids.insert(t.id).second) throw Error("sweep: two trials share the id '" + t.id + "'");
  }
  SweepOutcome outcome;
  outcome.main = ranks.is_main();
  // Stored results are checked before any work: a folder of another configuration is refused
  // at once, not after hours.
  std::vector<bool> stored(trials.size());
  for (std::size_t i = 0; i < trials.size(); ++i) stored[i] = store.read(trials[i]).has_value();
  for (bool s : stored) outcome.found += s ? 1 : 0;

  const fs::path claims = store.folder() / (".claims-" + hex64(ranks.run_id()));
  fs::create_directories(claims);
  bool ok = true;
  {
    ProgressBar bar("trials", trials.size(), options.progress && ranks.is_main());
    for (std::size_t i = 0; i < trials.size(); ++i) {
      bar.update(i);
      if (stored[i] || !claim(claims / trials[i].id)) continue;
      // Another run (or rank of a past run) may have stored it since this run began.
      if (store.read(trials[i])) continue;
      const auto start = std::chrono::steady_clock::now();
      try {
        const std::string result = work(trials[i]);
        store.write(trials[i], result);
        ++outcome.ran_here;
        if (options.log)
          log_line(ranks, "trial " + trials[i].id + " done in " +
                              std::to_string(static_cast<long>(
                                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())) +
                              " s");
      } catch (const std::exception& e) {
        ok = false;
        log_line(ranks, "trial " + trials[i].id + " failed: " + e.what());
        write_file_atomic(claims / (trials[i].id + ".failed"), e.what());
      }
    }
    bar.finish();
  }
  const bool all_ok = ranks.all_done(ok);
  if (!ranks.is_main()) {
    if (!ok) throw Error("sweep: trials failed on " + ranks.tag() + " (see the lines above)");
    return outcome;
  }
  // Rank 0 gathers every result from the folder, whichever rank wrote it.
  std::string first_failure;
  for (const auto& t : trials) {
    if (auto r = store.read(t)) {
      outcome.results.push_back(std::move(*r));
      continue;
    }
    if (first_failure.empty()) {
      const fs::path note = claims / (t.id + ".failed");
      first_failure = "trial " + t.id + (fs::exists(note) ? ": " + read_file(note) : ": no result");
    }
  }
  std::error_code ec;
  // Once every trial is stored this run's claims go, and so do those of other runs whose every
  // claim has its result; a run still working on this folder keeps its own.
  if (first_failure.empty() && all_ok) {
    fs::remove_all(claims, ec);
    for (const auto& entry : fs::directory_iterator(store.folder(), ec))
      if (entry.path().filename().string().rfind(".claims-", 0) == 0 && only_stored_claims(entry.path(), store))
        fs::remove_all(entry.path(), ec);
  }
  if (!first_failure.empty())
    throw Error("sweep: " + std::to_string(trials.size() - outcome.results.size()) + " of " +
                std::to_string(trials.size()) + " trials have no result in " + store.folder().string() +
                " (first: " + first_failure + "); run again to retry them");
  if (!all_ok) throw Error("sweep: a rank failed (see the lines above)");
  return outcome;
}

}  // namespace mbi::sweep
