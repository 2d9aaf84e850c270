// Process-wide resource usage: CPU time (getrusage) and resident memory (/proc/self/statm).
#pragma once

#include <cstdint>

namespace crossenc::serving {

// User + system CPU seconds used by this process so far.
double process_cpu_seconds();
// Resident set size in bytes; 0 where /proc is unavailable.
uint64_t process_rss_bytes();

}  // namespace crossenc::serving
