// Range-checked integers from untrusted JSON (model metadata, config.json, safetensors headers).
//
// nlohmann's get<int>() converts a float with static_cast (undefined behaviour for 1e300 or
// -1.0 into an unsigned type) and silently wraps integers that do not fit: a damaged or hostile
// file must get a clear Error instead.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crossenc/error.h"

namespace crossenc {

// A short rendering of a JSON value for an error message.
inline std::string json_shown(const nlohmann::json& v) {
  const std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return s.size() <= 40 ? s : s.substr(0, 40) + "...";
}

// v as T when it is an integer (or an integral float) that T can hold; else Error naming `what`.
template <typename T>
T json_int(const nlohmann::json& v, const std::string& what) {
  using L = std::numeric_limits<T>;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u <= static_cast<uint64_t>(L::max())) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const int64_t s = v.get<int64_t>();
    if constexpr (L::is_signed) {
      if (s >= static_cast<int64_t>(L::min()) && s <= static_cast<int64_t>(L::max())) {
        return static_cast<T>(s);
      }
    } else {
      if (s >= 0 && static_cast<uint64_t>(s) <= static_cast<uint64_t>(L::max())) {
        return static_cast<T>(s);
      }
    }
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    const double hi = static_cast<double>(L::max()) + 1.0;  // 2^bits (or 2^(bits-1)): exact
    if (std::floor(d) == d && d >= static_cast<double>(L::min()) && d < hi) {
      return static_cast<T>(d);
    }
  }
  throw Error(what + " must be an integer in range, not " + json_shown(v));
}

template <typename T>
std::vector<T> json_ints(const nlohmann::json& v, const std::string& what) {
  if (!v.is_array()) throw Error(what + " must be an array of integers, not " + json_shown(v));
  std::vector<T> out;
  out.reserve(v.size());
  for (const auto& x : v) out.push_back(json_int<T>(x, what));
  return out;
}

}  // namespace crossenc
