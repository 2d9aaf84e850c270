// Lifecycle of the front end: the I/O thread, the listener, the drain.
#include "front_end.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "listener.h"
#include "transport.h"

namespace crossenc::server::http {

struct FrontEnd::Impl {
  Impl(const ServerOptions& options, HttpHandler handler, ServerMetrics& metrics)
      : transport(options, std::move(handler), metrics), listener(transport) {}

  // On the I/O thread: no new connections, no new requests.
  void drain() {
    listener.close();
    transport.draining = true;
    const std::vector<Drainable*> open(transport.open.begin(), transport.open.end());
    for (Drainable* c : open) c->drain();
  }

  Transport transport;
  Listener listener;
  // Keeps the I/O thread running while handlers work on requests with nothing else pending.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      keep_running{transport.io.get_executor()};
  std::thread io_thread;
  bool closed = false, stopped = false;
};

FrontEnd::FrontEnd(const ServerOptions& options, HttpHandler handler, ServerMetrics& metrics)
    : impl_(std::make_unique<Impl>(options, std::move(handler), metrics)) {}

FrontEnd::~FrontEnd() { stop(); }

int FrontEnd::start(const std::string& host, int port) {
  const int bound = impl_->listener.bind(host, port);
  impl_->listener.start();
  impl_->io_thread = std::thread([io = &impl_->transport.io] { io->run(); });
  return bound;
}

void FrontEnd::close() {
  if (impl_->closed || !impl_->io_thread.joinable()) return;
  impl_->closed = true;
  std::promise<void> done;
  boost::asio::post(impl_->transport.io, [&] {
    impl_->drain();
    done.set_value();
  });
  done.get_future().wait();
}

void FrontEnd::stop() {
  if (impl_->stopped || !impl_->io_thread.joinable()) return;
  close();
  impl_->transport.busy.wait_idle();  // every answer handed to a handler is written
  impl_->keep_running.reset();
  impl_->transport.io.stop();
  impl_->io_thread.join();
  impl_->transport.workers.join();
  impl_->stopped = true;
}

}  // namespace crossenc::server::http
