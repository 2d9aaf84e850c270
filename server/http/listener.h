// Accepts connections, admits each under the connection limits (503 and close when over), and
// survives running out of file descriptors: it refuses the connection it cannot hold instead of
// spinning on accept().
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>

#include "transport.h"

namespace crossenc::server::http {

class Listener {
 public:
  explicit Listener(Transport& transport);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds host:port (0: any free port) and returns the port; throws Error when it cannot.
  int bind(const std::string& host, int port);
  // Starts accepting (on the I/O thread once it runs).
  void start();
  // Stops accepting; call on the I/O thread.
  void close();

 private:
  void accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void refuse_for_lack_of_descriptors();

  Transport& t_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  int spare_fd_ = -1;  // held open so that one more accept() can succeed when the table is full
};

}  // namespace crossenc::server::http
