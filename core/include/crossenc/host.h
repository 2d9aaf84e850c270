// Facts about the machine we run on, read once from the OS (Linux /proc), shared by the CPU
// backend, `info --devices` and the benchmark reports.
#pragma once

#include <string>

namespace crossenc {

// The CPU's model name ("AMD EPYC 9R45 ..."), or "unknown CPU" where /proc/cpuinfo lacks one.
std::string cpu_model_name();

}  // namespace crossenc
