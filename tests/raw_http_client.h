// A blocking, byte-level HTTP/1.x client for transport tests: sends exactly the bytes a test
// gives (slow, partial, malformed) and reads one response with a timeout. Loopback only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <string>

namespace crossenc::test {

// Sanitizer builds run several times slower: timing thresholds in the transport tests are
// multiplied by this (4 under ASan/TSan, else 1; CROSSENC_TEST_TIME_SCALE overrides it).
inline double time_scale() {
  if (const char* env = std::getenv("CROSSENC_TEST_TIME_SCALE"); env && *env) {
    return std::max(1.0, std::atof(env));
  }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 4.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return 4.0;
#endif
#endif
  return 1.0;
}

struct RawResponse {
  int status = 0;  // 0: no complete response (closed, timed out)
  std::string head, body;
  bool closed = false;  // the server closed the connection after (or instead of) it

  std::string header(std::string name) const {
    auto lower = [](std::string s) {
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    const std::string h = lower(head);
    const size_t at = h.find("\r\n" + lower(name) + ":");
    if (at == std::string::npos) return "";
    const size_t start = head.find_first_not_of(' ', at + name.size() + 3);
    return head.substr(start, head.find("\r\n", start) - start);
  }
};

class RawHttpClient {
 public:
  explicit RawHttpClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawHttpClient() { close(); }
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  bool connected() const { return connected_; }
  // False once the server has closed or reset the connection.
  bool send(const std::string& bytes) {
    return fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                           static_cast<ssize_t>(bytes.size());
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads one response (status line, headers, a Content-Length body); skips "100 Continue"
  // interim answers unless `interim` is set.
  RawResponse read_response(std::chrono::milliseconds timeout, bool interim = false) {
    RawResponse r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const size_t end = pending_.find("\r\n\r\n");
      if (end != std::string::npos) {
        r.head = pending_.substr(0, end + 2);
        const int status = std::atoi(r.head.c_str() + std::min<size_t>(9, r.head.size()));
        if (status == 100 && !interim) {
          pending_.erase(0, end + 4);
          continue;
        }
        const std::string length = r.header("Content-Length");
        const size_t need = end + 4 + (length.empty() ? 0 : std::stoul(length));
        if (pending_.size() >= need) {
          r.status = status;
          r.body = pending_.substr(end + 4, need - end - 4);
          pending_.erase(0, need);
          r.closed = r.header("Connection") == "close" || peer_closed_;
          return r;
        }
      }
      if (peer_closed_ || !fill(deadline)) {
        r.closed = peer_closed_;
        return r;
      }
    }
  }

  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!peer_closed_ && fill(deadline)) pending_.clear();
    return peer_closed_;
  }

 private:
  // Reads what arrives before `deadline`; false on timeout.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (fd_ < 0 || left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      peer_closed_ = true;
      return true;
    }
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false, peer_closed_ = false;
  std::string pending_;
};

// "POST path HTTP/1.1" with a Content-Length body and any extra header lines ("A: b\r\n").
inline std::string post_request(const std::string& path, const std::string& body,
                                const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace crossenc::test
