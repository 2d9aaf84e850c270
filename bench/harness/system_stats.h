// What the machine is doing: load average, CPU model, kernel; recorded with every report so
// numbers from different machines are not mixed up (this process's CPU time and memory:
// crossenc/process_stats.h).
#pragma once

#include <cstdint>
#include <string>

namespace crossenc::bench {

struct HostInfo {
  std::string cpu;         // model name from /proc/cpuinfo
  int cores = 0;           // online logical CPUs
  std::string kernel;      // uname -sr
  double load_before = 0;  // 1-minute load average when the experiment started
  double load_after = 0;
};
HostInfo host_info();
double load_average_1m();

// "2025-12-26 02:20:17" local time, the seed's timestamp format.
std::string timestamp_now();

}  // namespace crossenc::bench
