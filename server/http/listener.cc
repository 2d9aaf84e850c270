// The accept loop: connection admission and file-descriptor exhaustion.
#include "listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "connection.h"
#include "crossenc/error.h"

namespace crossenc::server::http {

namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

// Sends the rejection on a socket the server will not serve (best effort: its send buffer is
// empty, so a non-blocking send of a few hundred bytes goes out whole), then closes it.
void refuse(int fd, Rejection r, const std::string& detail) {
  const HttpResponse res = rejection_response(r, detail);
  const std::string text = "HTTP/1.1 " + std::to_string(res.status) +
                           " Service Unavailable\r\nContent-Type: application/json\r\n"
                           "Content-Length: " +
                           std::to_string(res.body.size()) + "\r\nConnection: close\r\n\r\n" +
                           res.body;
  (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

int open_spare_fd() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

Listener::Listener(Transport& transport)
    : t_(transport), acceptor_(transport.io), retry_(transport.io), spare_fd_(open_spare_fd()) {}

Listener::~Listener() {
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

int Listener::bind(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) throw Error("cannot listen for HTTP on " + host + ": not an IP address");
  const asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR only (no SO_REUSEPORT): a second server must fail on a port already taken.
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw Error("cannot listen for HTTP on " + where + " (" + ec.message() +
                "; in use? try --http-port)");
  }
  return acceptor_.local_endpoint().port();
}

void Listener::start() {
  asio::post(t_.io, [this] { accept(); });
}

void Listener::close() {
  error_code ignored;
  retry_.cancel();
  acceptor_.close(ignored);
}

void Listener::accept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept([this](const error_code& ec, asio::ip::tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void Listener::on_accept(const error_code& ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
    refuse_for_lack_of_descriptors();
    return;
  }
  if (!ec) {
    error_code peer_ec;
    const auto remote = socket.remote_endpoint(peer_ec);
    const std::string peer = peer_ec ? std::string("unknown") : remote.address().to_string();
    if (const auto rejected = t_.limits.admit(peer)) {
      t_.reject(*rejected);
      const std::string detail =
          *rejected == Rejection::kConnections
              ? "--http-max-connections " + std::to_string(t_.options.http_max_connections)
              : "--http-max-connections-per-address " +
                    std::to_string(t_.options.http_max_connections_per_address);
      refuse(socket.release(), *rejected, detail);
    } else {
      serve_connection(t_, std::move(socket), peer);
    }
  }
  // Other errors (a client that reset before accept, ...) concern one connection only.
  accept();
}

// The descriptor table is full: free the spare, take the waiting connection on it, refuse it
// and take the spare back, so the accept queue moves and the listener does not spin. If even
// that fails, wait a little before accepting again.
void Listener::refuse_for_lack_of_descriptors() {
  t_.reject(Rejection::kFileDescriptors);
  bool refused = false;
  if (spare_fd_ >= 0) {
    ::close(spare_fd_);
    const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      refuse(fd, Rejection::kFileDescriptors, "raise the open-file limit (ulimit -n)");
      refused = true;
    }
    spare_fd_ = open_spare_fd();
  }
  if (refused) return accept();
  retry_.expires_after(std::chrono::milliseconds(50));
  retry_.async_wait([this](const error_code& ec) {
    if (!ec) accept();
  });
}

}  // namespace crossenc::server::http
