// The one exception type the library throws: a clear, user-facing message.
#pragma once

#include <stdexcept>
#include <string>

namespace crossenc {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace crossenc
