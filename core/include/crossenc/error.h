// The one exception type the library throws: a clear, user-facing message.
#pragma once

#include <stdexcept>
#include <string>

namespace crossenc {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// One input of a batch call (Engine::score, rank) is unusable, e.g. invalid UTF-8: `index` is
// its position in the call, `detail` the cause; what() says both ("passage 3: invalid ...").
class InputError : public Error {
 public:
  InputError(size_t index, const std::string& what_input, const std::string& detail)
      : Error(what_input + " " + std::to_string(index + 1) + ": " + detail),
        index(index),
        detail(detail) {}
  size_t index;
  std::string detail;
};

}  // namespace crossenc
