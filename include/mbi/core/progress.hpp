#pragma once
// A progress bar for long work. On a terminal it redraws one line; elsewhere (CI, logs)
// it prints a line every ten percent, so logs stay short.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace mbi {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::size_t total, bool enabled = true);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Reports `done` of `total` units, with a free-form suffix (loss, accuracy, ...).
  void update(std::size_t done, const std::string& suffix = "");
  // Ends the bar with a final line.
  void finish(const std::string& suffix = "");

 private:
  std::string label_;
  std::size_t total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace mbi
