// One HTTP/1.x connection: reads requests under the limits, hands each complete one to a handler
// thread, writes the answer, keeps the connection alive when both sides want it.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "transport.h"

namespace crossenc::server::http {

// Serves `socket` (already admitted by ConnectionLimits for `peer`) until either side closes.
// Runs on the I/O thread; the connection keeps itself alive through its pending operations.
void serve_connection(Transport& transport, boost::asio::ip::tcp::socket socket, std::string peer);

}  // namespace crossenc::server::http
