// cpu_model_name: the first "model name" line of /proc/cpuinfo.
#include "crossenc/host.h"

#include <fstream>

namespace crossenc {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (line.rfind("model name", 0) == 0 && colon != std::string::npos && colon + 2 <= line.size())
      return line.substr(colon + 2);
  }
  return "unknown CPU";
}

}  // namespace crossenc
