#include "mbi/core/progress.hpp"

#include <unistd.h>

#include <algorithm>

namespace mbi {
namespace {

std::string format_seconds(double s) {
  const long total = static_cast<long>(s + 0.5);
  char buf[32];
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", total / 3600, (total / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldm%02lds", total / 60, total % 60);
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::size_t total, bool enabled)
    : label_(std::move(label)),
      total_(std::max<std::size_t>(total, 1)),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && tty_ && !finished_) std::fputc('\n', stderr);
}

void ProgressBar::update(std::size_t done, const std::string& suffix) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  if (tty_) {
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %5.1f%% %zu/%zu %s ETA %s %s\033[K", label_.c_str(), bar.c_str(),
                 100 * frac, done, total_, format_seconds(elapsed).c_str(), format_seconds(eta).c_str(),
                 suffix.c_str());
    std::fflush(stderr);
  } else {
    const int decile = static_cast<int>(frac * 10);
    if (decile == last_decile_) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s %3d%% %zu/%zu elapsed %s ETA %s %s\n", label_.c_str(), decile * 10, done, total_,
                 format_seconds(elapsed).c_str(), format_seconds(eta).c_str(), suffix.c_str());
  }
}

void ProgressBar::finish(const std::string& suffix) {
  if (!enabled_ || finished_) return;
  finished_ = true;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "%s%s done in %s %s\n", tty_ ? "\r" : "", label_.c_str(), format_seconds(elapsed).c_str(),
               suffix.c_str());
  if (tty_) std::fprintf(stderr, "\033[K");
  std::fflush(stderr);
}

}  // namespace mbi
