// /proc readers for the harness's host and process statistics (Linux).
#include "system_stats.h"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "crossenc/host.h"

namespace crossenc::bench {

double load_average_1m() {
  double load = 0;
  std::ifstream in("/proc/loadavg");
  if (!(in >> load)) return 0;
  return load;
}

HostInfo host_info() {
  HostInfo h;
  h.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  h.cpu = cpu_model_name();
  utsname u{};
  if (uname(&u) == 0) h.kernel = std::string(u.sysname) + " " + u.release;
  h.load_before = load_average_1m();
  return h;
}

std::string timestamp_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace crossenc::bench
