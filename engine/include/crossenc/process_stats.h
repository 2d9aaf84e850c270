// Process-wide resource usage: CPU time (getrusage) and resident memory (/proc/self/statm).
// The one reader of both: the serving metrics, the bench harness and ops_bench call it.
#pragma once

#include <cstdint>

namespace crossenc {

// User + system CPU seconds used by this process so far.
double process_cpu_seconds();
// Resident set size in bytes; 0 where /proc is unavailable.
uint64_t process_rss_bytes();

}  // namespace crossenc
