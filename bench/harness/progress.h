// Terminal progress bar of an experiment: pairs done, rate, ETA and the config being run.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace crossenc::bench {

class ProgressBar {
 public:
  // enabled: draw the bar (a terminal); log lines from note() are printed either way.
  ProgressBar(size_t total_pairs, bool enabled);
  void set_stage(const std::string& text);  // e.g. "config 3/7 batch=32 conc=4"
  void skip(size_t pairs);                  // a config that will not run: out of the total
  void update(size_t pairs_done);           // redrawn at most 5 times a second
  void note(const std::string& line);       // a log line above the bar
  void finish();

  // The bar as text, without control characters (tests).
  std::string render(size_t done, double elapsed_s) const;

 private:
  void draw_locked(size_t done, bool force);

  std::mutex mu_;
  size_t total_, done_ = 0;
  bool enabled_, drawn_ = false;
  std::string stage_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace crossenc::bench
