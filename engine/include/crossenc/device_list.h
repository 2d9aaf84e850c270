// A human-readable list of the compute devices this build can use (for 'crossenc info --devices').
#pragma once

#include <string>

namespace crossenc {

std::string describe_devices();

}  // namespace crossenc
