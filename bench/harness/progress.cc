// Progress bar drawing on stderr (carriage return + clear-to-end-of-line on a terminal).
#include "progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace crossenc::bench {

ProgressBar::ProgressBar(size_t total_pairs, bool enabled)
    : total_(total_pairs),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressBar::set_stage(const std::string& text) {
  std::lock_guard lock(mu_);
  stage_ = text;
  draw_locked(done_, true);
}

void ProgressBar::skip(size_t pairs) {
  std::lock_guard lock(mu_);
  total_ -= std::min(total_, pairs);
}

void ProgressBar::update(size_t pairs_done) {
  std::lock_guard lock(mu_);
  done_ = pairs_done;
  draw_locked(done_, false);
}

void ProgressBar::note(const std::string& line) {
  std::lock_guard lock(mu_);
  if (enabled_ && drawn_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", line.c_str());
  if (enabled_ && drawn_) draw_locked(done_, true);
}

void ProgressBar::finish() {
  std::lock_guard lock(mu_);
  if (enabled_ && drawn_) {
    draw_locked(done_, true);
    std::fprintf(stderr, "\n");
  }
  drawn_ = false;
}

std::string ProgressBar::render(size_t done, double elapsed_s) const {
  constexpr int kWidth = 24;
  const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(done) / total_) : 1.0;
  const int filled = static_cast<int>(std::lround(frac * kWidth));
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '-');
  const double rate = elapsed_s > 0 ? done / elapsed_s : 0.0;
  char eta[32] = "--:--";
  if (rate > 0 && done < total_) {
    const long s = std::lround((total_ - done) / rate);
    std::snprintf(eta, sizeof eta, "%ld:%02ld", s / 60, s % 60);
  } else if (done >= total_) {
    std::snprintf(eta, sizeof eta, "0:00");
  }
  char buf[256];
  std::snprintf(buf, sizeof buf, "[%s] %zu/%zu pairs %5.1f%%  %.1f pairs/s  ETA %s", bar.c_str(),
                done, total_, frac * 100.0, rate, eta);
  std::string out = buf;
  if (!stage_.empty()) out += "  " + stage_;
  return out;
}

void ProgressBar::draw_locked(size_t done, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  const std::string line = render(done, std::chrono::duration<double>(now - start_).count());
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace crossenc::bench
