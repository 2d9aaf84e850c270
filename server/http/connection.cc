// The per-connection state machine on Boost.Beast. Two clocks guard each connection: the idle
// timer until a request's first byte arrives, then one deadline for the whole request (head and
// body), so that a client trickling bytes cannot hold a connection open for longer than that.
#include "connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "api_error.h"
#include "beast_message.h"
#include "json_api.h"

namespace crossenc::server::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using error_code = boost::system::error_code;
using std::chrono::milliseconds;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After an error answer the client may still be sending (a 10 MB body over the limit): read and
// drop what it sends for this long so that it sees the answer instead of a connection reset.
constexpr milliseconds kLingerTime{2000};
constexpr size_t kLingerChunk = 64 * 1024;

bool is_disconnect(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == bhttp::error::partial_message;
}

class Connection : public std::enable_shared_from_this<Connection>, public Drainable {
 public:
  Connection(Transport& t, asio::ip::tcp::socket socket, std::string peer)
      : t_(t), stream_(std::move(socket)), timer_(t.io), peer_(std::move(peer)) {
    t_.open.insert(this);
    t_.metrics.http_connection_opened();
  }
  ~Connection() override {
    t_.open.erase(this);
    t_.limits.release(peer_);
    t_.metrics.http_connection_closed();
  }

  void start() {
    error_code ec;
    stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    wait_for_request();
  }

  void drain() override {
    if (state_ == State::kIdle || state_ == State::kReading) close();
    // kHandling / kWriting: the answer goes out with "Connection: close", then we close.
  }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kClosed };
  enum class Clock { kNone, kIdle, kDeadline };

  // Starts `clock`: when it runs out the socket's operations are cancelled and `expired_` says
  // which clock it was.
  void arm(Clock clock, milliseconds after) {
    armed_ = clock;
    expired_ = Clock::kNone;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this(), clock](const error_code& ec) {
      if (ec || self->armed_ != clock || self->state_ == State::kClosed) return;
      self->expired_ = clock;
      error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }
  void disarm() {
    armed_ = Clock::kNone;
    timer_.cancel();
  }

  // Idle until the next request's first byte (or bytes already buffered: a pipelined request).
  void wait_for_request() {
    if (t_.draining) return close();
    state_ = State::kIdle;
    if (buffer_.size() > 0) return read_header();
    arm(Clock::kIdle, milliseconds(t_.options.http_idle_timeout_ms));
    stream_.socket().async_wait(asio::ip::tcp::socket::wait_read,
                                [self = shared_from_this()](const error_code& ec) {
                                  if (self->state_ == State::kClosed) return;
                                  if (self->expired_ == Clock::kIdle) {
                                    self->t_.reject(Rejection::kIdleTimeout);
                                    return self->close();
                                  }
                                  if (ec) return self->close();
                                  self->read_header();
                                });
  }

  void read_header() {
    state_ = State::kReading;
    arm(Clock::kDeadline, milliseconds(t_.options.http_request_deadline_ms));
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(t_.options.http_max_header_bytes));
    parser_->body_limit(t_.options.payload_limit_bytes);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, size_t) { self->on_header(ec); });
  }

  void on_header(const error_code& ec) {
    if (state_ == State::kClosed) return;
    if (ec) return on_read_error(ec);
    const auto& head = parser_->get();
    if (std::distance(head.begin(), head.end()) > t_.options.http_max_header_count) {
      return reject(Rejection::kHeaderCount,
                    "--http-max-header-count " + std::to_string(t_.options.http_max_header_count));
    }
    if (parser_->is_done()) return dispatch();
    if (beast::iequals(head[bhttp::field::expect], "100-continue")) {
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](const error_code& wec, size_t) {
                          if (self->state_ == State::kClosed) return;
                          if (wec) return self->on_read_error(wec);
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](const error_code& ec, size_t) {
                        if (self->state_ == State::kClosed) return;
                        if (ec) return self->on_read_error(ec);
                        self->dispatch();
                      });
  }

  void on_read_error(const error_code& ec) {
    if (expired_ == Clock::kDeadline) {
      return reject(
          Rejection::kRequestDeadline,
          "--http-request-deadline-ms " + std::to_string(t_.options.http_request_deadline_ms));
    }
    if (ec == asio::error::operation_aborted || is_disconnect(ec)) return close();
    if (ec == bhttp::error::header_limit) {
      return reject(Rejection::kHeaderSize,
                    "--http-max-header-bytes " + std::to_string(t_.options.http_max_header_bytes));
    }
    if (ec == bhttp::error::body_limit) {
      return reject(Rejection::kPayload,
                    std::to_string(t_.options.payload_limit_bytes) + " bytes, --payload-limit");
    }
    reject(Rejection::kMalformed, ec.message());
  }

  // The complete request goes to a handler thread; the answer comes back to the I/O thread.
  void dispatch() {
    disarm();
    state_ = State::kHandling;
    BeastRequest request = parser_->release();
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    t_.busy.add();
    asio::post(t_.workers, [self = shared_from_this(),
                            request = to_http_request(std::move(request), peer_)]() mutable {
      HttpResponse response;
      try {
        response = self->t_.handler(request);
      } catch (const std::exception& e) {
        response.status = 500;
        response.body = error_body(ErrorKind::kInternal, e.what());
      }
      Transport& t = self->t_;
      asio::post(t.io, [self = std::move(self), response = std::move(response)]() mutable {
        self->respond(std::move(response));
      });
    });
  }

  void respond(HttpResponse&& response) {
    if (state_ == State::kClosed) {
      t_.busy.done();
      return;
    }
    write(std::move(response), keep_alive_ && !t_.draining, /*counts_busy=*/true);
  }

  void reject(Rejection r, const std::string& detail) {
    t_.reject(r);
    HttpResponse response = rejection_response(r, detail);
    version_ = 11;
    write(std::move(response), /*keep_alive=*/false, /*counts_busy=*/false);
  }

  void write(HttpResponse&& response, bool keep_alive, bool counts_busy) {
    disarm();
    state_ = State::kWriting;
    response_ = to_beast_response(std::move(response), version_, keep_alive);
    // A client that does not read its answer is dropped after --http-timeout.
    stream_.expires_after(std::chrono::seconds(t_.options.http_read_timeout_s));
    bhttp::async_write(stream_, response_,
                       [self = shared_from_this(), counts_busy](const error_code& ec, size_t) {
                         self->stream_.expires_never();
                         if (counts_busy) self->t_.busy.done();
                         if (self->state_ == State::kClosed) return;
                         if (ec) return self->close();
                         if (!self->response_.keep_alive()) return self->linger_close();
                         self->wait_for_request();
                       });
  }

  // Half-close, then drop what the client still sends until it closes or kLingerTime passes.
  void linger_close() {
    state_ = State::kClosed;
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    linger_buffer_.resize(kLingerChunk);
    linger_read();
  }
  void linger_read() {
    stream_.async_read_some(asio::buffer(linger_buffer_),
                            [self = shared_from_this()](const error_code& ec, size_t) {
                              if (ec) return self->close();
                              self->linger_read();
                            });
  }

  void close() {
    state_ = State::kClosed;
    disarm();
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  Transport& t_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer timer_;
  std::string peer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  BeastResponse response_;
  std::string linger_buffer_;
  State state_ = State::kIdle;
  Clock armed_ = Clock::kNone, expired_ = Clock::kNone;
  unsigned version_ = 11;
  bool keep_alive_ = false;
};

}  // namespace

void serve_connection(Transport& transport, asio::ip::tcp::socket socket, std::string peer) {
  std::make_shared<Connection>(transport, std::move(socket), std::move(peer))->start();
}

}  // namespace crossenc::server::http
