// Connection admission: total and per-address counts.
#include "connection_limits.h"

namespace crossenc::server::http {

std::optional<Rejection> ConnectionLimits::admit(const std::string& address) {
  if (open_ >= max_total_) return Rejection::kConnections;
  int& mine = per_address_[address];
  if (mine >= max_per_address_) {
    if (mine == 0) per_address_.erase(address);
    return Rejection::kConnectionsPerAddress;
  }
  ++mine;
  ++open_;
  return std::nullopt;
}

void ConnectionLimits::release(const std::string& address) {
  const auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  --open_;
  if (--it->second == 0) per_address_.erase(it);
}

int ConnectionLimits::open_from(const std::string& address) const {
  const auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace crossenc::server::http
