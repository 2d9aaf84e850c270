// Admission of new connections: a total cap and a cap per client address. Not thread-safe: the
// transport's I/O thread is its only user.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "rejection.h"

namespace crossenc::server::http {

class ConnectionLimits {
 public:
  ConnectionLimits(int max_total, int max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // Counts the connection in and returns nothing, or the rejection (and counts nothing).
  std::optional<Rejection> admit(const std::string& address);
  // A connection that admit() let in has closed.
  void release(const std::string& address);

  int open() const { return open_; }
  int open_from(const std::string& address) const;

 private:
  int max_total_, max_per_address_;
  int open_ = 0;
  std::unordered_map<std::string, int> per_address_;
};

}  // namespace crossenc::server::http
