// The sweep runner: results stored once and read back whole, resumption after a failure,
// refusals of corrupt or foreign results, and local workers that split the trials without
// running any twice and give the results one process gives.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/sweep/sweep.hpp"

namespace mbi::sweep {
namespace {

namespace fs = std::filesystem;

fs::path fresh_folder(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("mbi_sweep_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::vector<Trial> some_trials(int n) {
  std::vector<Trial> out;
  for (int i = 0; i < n; ++i) out.push_back({"t" + std::to_string(i), "{\"x\":" + std::to_string(i) + "}"});
  return out;
}

// A trial's result: a function of its description alone.
std::string square_of(const Trial& t) {
  const int x = std::stoi(t.description.substr(5));
  return std::to_string(x * x) + "\n";
}

TEST(TrialStore, ReadsBackWhatItWroteAndNothingForAbsentTrials) {
  const TrialStore store(fresh_folder("store"));
  const Trial t{"a=1", "settings 1"};
  EXPECT_FALSE(store.read(t).has_value());
  store.write(t, "result\nwith lines\n");
  EXPECT_EQ(store.read(t).value(), "result\nwith lines\n");
  store.write(t, "");
  EXPECT_EQ(store.read(t).value(), "");
}

TEST(TrialStore, RefusesResultsOfAnotherDescriptionCorruptFilesAndBadIds) {
  const TrialStore store(fresh_folder("refuse"));
  const Trial t{"p", "settings 1"};
  store.write(t, "42\n");
  try {
    store.read({"p", "settings 2"});
    FAIL() << "a result of other settings was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another configuration"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("p.trial"), std::string::npos) << e.what();
  }
  std::string bytes = read_file(store.path_of("p"));
  bytes[bytes.size() - 2] = '3';  // 42 -> 43
  write_file_atomic(store.path_of("p"), bytes);
  EXPECT_THROW(store.read(t), Error);
  write_file_atomic(store.path_of("p"), "something else\n");
  EXPECT_THROW(store.read(t), Error);
  write_file_atomic(store.path_of("p"), "mbi-sweep-trial 9 00000000\n");
  EXPECT_THROW(store.read(t), Error);
  EXPECT_THROW(store.path_of("a/b"), Error);
  EXPECT_THROW(store.path_of(""), Error);
  EXPECT_THROW(store.path_of(".."), Error);
}

TEST(RunSweep, ResumesAfterAFailureRunningOnlyWhatIsMissing) {
  const TrialStore store(fresh_folder("resume"));
  const auto trials = some_trials(5);
  auto ranks = make_ranks(1);
  int calls = 0;
  const auto failing = [&](const Trial& t) {
    ++calls;
    if (t.id == "t3") throw Error("deliberate");
    return square_of(t);
  };
  SweepOptions quiet{false, false};
  try {
    run_sweep(trials, store, *ranks, failing, quiet);
    FAIL() << "a failed trial went unreported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t3: deliberate"), std::string::npos) << e.what();
  }
  EXPECT_EQ(calls, 5);  // the others went on
  calls = 0;
  const auto ok = [&](const Trial& t) {
    ++calls;
    return square_of(t);
  };
  auto again = make_ranks(1);
  const SweepOutcome outcome = run_sweep(trials, store, *again, ok, quiet);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(outcome.found, 4u);
  EXPECT_EQ(outcome.ran_here, 1u);
  ASSERT_EQ(outcome.results.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(outcome.results[i], std::to_string(i * i) + "\n");
  // Nothing is left of the run's claims.
  for (const auto& entry : fs::directory_iterator(store.folder()))
    EXPECT_EQ(entry.path().extension(), ".trial") << entry.path();
}

TEST(RunSweep, AFinishedRunKeepsTheClaimsOfARunStillWorkingAndClearsDoneOnes) {
  const TrialStore store(fresh_folder("claims"));
  const auto trials = some_trials(3);
  // Another run on this folder: one holds a claim on a trial it has not finished ("t9", not
  // in this sweep), the other claimed only trials that are stored by now.
  const fs::path working = store.folder() / ".claims-00000000000000aa";
  const fs::path done = store.folder() / ".claims-00000000000000bb";
  fs::create_directories(working);
  fs::create_directories(done);
  std::ofstream(working / "t9");
  std::ofstream(done / "t1");
  auto ranks = make_ranks(1);
  SweepOptions quiet{false, false};
  const SweepOutcome outcome = run_sweep(trials, store, *ranks, square_of, quiet);
  EXPECT_EQ(outcome.results.size(), 3u);
  EXPECT_TRUE(fs::exists(working / "t9"));
  EXPECT_FALSE(fs::exists(done));
  std::size_t folders = 0;
  for (const auto& entry : fs::directory_iterator(store.folder())) folders += entry.is_directory() ? 1 : 0;
  EXPECT_EQ(folders, 1u);  // only the working run's
}

TEST(RunSweep, RefusesDuplicateIdsAndAFolderOfOtherSettingsBeforeAnyWork) {
  const TrialStore store(fresh_folder("dup"));
  auto ranks = make_ranks(1);
  int calls = 0;
  const auto count = [&](const Trial& t) {
    ++calls;
    return square_of(t);
  };
  SweepOptions quiet{false, false};
  EXPECT_THROW(run_sweep({{"a", "{\"x\":1}"}, {"a", "{\"x\":2}"}}, store, *ranks, count, quiet), Error);
  store.write({"t1", "{\"x\":7}"}, "49\n");
  EXPECT_THROW(run_sweep(some_trials(3), store, *ranks, count, quiet), Error);
  EXPECT_EQ(calls, 0);
}

TEST(RunSweep, LocalWorkersShareTheTrialsRunEachOnceAndAgreeWithOneProcess) {
  const auto trials = some_trials(12);
  const TrialStore alone(fresh_folder("alone"));
  auto one = make_ranks(1);
  SweepOptions quiet{false, false};
  const SweepOutcome expected = run_sweep(trials, alone, *one, square_of, quiet);

  const fs::path folder = fresh_folder("workers");
  const fs::path calls = folder / "calls";
  fs::create_directories(calls);
  const TrialStore shared(folder / "trials");
  auto ranks = make_ranks(3);  // forks two workers: from here on three processes run this
  const auto logged = [&](const Trial& t) {
    // One file per call, named by the trial and the process: a trial run twice shows.
    std::ofstream(calls / (t.id + "." + std::to_string(getpid()))) << "x";
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return square_of(t);
  };
  const SweepOutcome outcome = run_sweep(trials, shared, *ranks, logged, quiet);
  ASSERT_TRUE(outcome.main);  // the workers exit inside run_sweep
  EXPECT_EQ(outcome.results, expected.results);
  std::map<std::string, int> runs;
  std::set<std::string> processes;
  for (const auto& entry : fs::directory_iterator(calls)) {
    const std::string name = entry.path().filename().string();
    ++runs[name.substr(0, name.find('.'))];
    processes.insert(name.substr(name.find('.') + 1));
  }
  EXPECT_EQ(runs.size(), trials.size());
  for (const auto& [id, n] : runs) EXPECT_EQ(n, 1) << id;
  EXPECT_GE(processes.size(), 2u);  // 12 trials of 30 ms: the workers take some
}

TEST(Ranks, OneProcessIsRankZeroOfOne) {
  auto ranks = make_ranks(1);
  EXPECT_EQ(ranks->rank(), 0);
  EXPECT_EQ(ranks->size(), 1);
  EXPECT_EQ(ranks->tag(), "");
  EXPECT_TRUE(ranks->all_done(true));
  EXPECT_FALSE(ranks->all_done(false));
  EXPECT_THROW(make_ranks(0), Error);
}

}  // namespace
}  // namespace mbi::sweep
