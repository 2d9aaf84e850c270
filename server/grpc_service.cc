// inference.InferenceService on gRPC's synchronous server: one thread per call in flight.
#include "grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "grpc_auth.h"
#include "grpc_health.h"
#include "grpc_infer_request.h"
#include "grpc_reflection.h"
#include "inference.grpc.pb.h"

namespace crossenc::server {

namespace {

using Clock = std::chrono::steady_clock;

grpc::StatusCode grpc_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMalformed:
    case ErrorKind::kEmpty:
    case ErrorKind::kInvalid:
    case ErrorKind::kPayloadTooLarge:
    case ErrorKind::kUnsupportedMediaType: return grpc::StatusCode::INVALID_ARGUMENT;
    case ErrorKind::kUnauthorized: return grpc::StatusCode::UNAUTHENTICATED;
    case ErrorKind::kOverloaded: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case ErrorKind::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case ErrorKind::kMethodNotAllowed: return grpc::StatusCode::UNIMPLEMENTED;
    case ErrorKind::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case ErrorKind::kBackend:
    case ErrorKind::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

const char* code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "INTERNAL";
  }
}

int32_t clamp_int32(uint64_t v) {
  return static_cast<int32_t>(std::min<uint64_t>(v, std::numeric_limits<int32_t>::max()));
}

// Infer takes the request as raw bytes (a streamed-unary handler, still a plain unary call on
// the wire) so that malformed protobuf and invalid UTF-8 become INVALID_ARGUMENT with a message.
using RawInferStreamer = grpc::ServerUnaryStreamer<grpc::ByteBuffer, inference::InferResponse>;

class InferenceServiceImpl final : public inference::InferenceService::Service {
 public:
  InferenceServiceImpl(Scorer& scorer, std::string api_key)
      : scorer_(scorer), api_key_(std::move(api_key)) {
    constexpr int kInferMethod = 0;  // the order of inference.proto
    // gRPC takes ownership of the handler.
    MarkMethodStreamed(
        kInferMethod,
        std::make_unique<
            grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer, inference::InferResponse>>(
            [this](grpc::ServerContext* context, RawInferStreamer* stream) {
              return infer(*context, *stream);
            })
            .release());
  }

  grpc::Status infer(grpc::ServerContext& context, RawInferStreamer& stream) {
    const auto t0 = Clock::now();
    size_t n = 0;
    inference::InferResponse response;
    grpc::Status status = grpc::Status::OK;
    try {
      check_grpc_api_key(context, api_key_);
      grpc::ByteBuffer request;
      if (!stream.Read(&request)) throw ApiError(ErrorKind::kMalformed, "no request message");
      InferRequestFields fields = decode_infer_request(request);
      ScoreJob job{.model = std::move(fields.model), .pairs = std::move(fields.pairs)};
      n = job.pairs.size();
      status = score(context, job, response);
    } catch (const ApiError& e) {
      status = grpc::Status(grpc_code(e.kind()), e.what());
    } catch (const std::exception& e) {
      status = grpc::Status(grpc::StatusCode::INTERNAL, e.what());
    }
    if (status.ok()) {
      response.set_num_pairs(static_cast<int32_t>(n));
      response.set_status_code(n > 0 ? 200 : 204);  // the replaced system's convention
      response.set_latency_ms(std::chrono::duration<float, std::milli>(Clock::now() - t0).count());
      if (!stream.Write(response)) status = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    scorer_.metrics().record_request("grpc.Infer", code_name(status.error_code()), n,
                                     std::chrono::duration<double>(Clock::now() - t0).count());
    return status;
  }

  // Totals of the serving core since start: requests and pairs of every protocol.
  grpc::Status GetMetrics(grpc::ServerContext* context, const inference::Empty*,
                          inference::MetricsResponse* response) override {
    const auto t0 = Clock::now();
    try {
      check_grpc_api_key(*context, api_key_);
    } catch (const ApiError& e) {
      scorer_.metrics().record_request("grpc.GetMetrics", "UNAUTHENTICATED", 0,
                                       std::chrono::duration<double>(Clock::now() - t0).count());
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, e.what());
    }
    const MetricsSnapshot m = scorer_.service().metrics();
    response->set_count(clamp_int32(m.requests));
    response->set_avg_ms(static_cast<float>(m.request_latency.avg_ms));
    response->set_p50_ms(static_cast<float>(m.request_latency.p50_ms));
    response->set_p95_ms(static_cast<float>(m.request_latency.p95_ms));
    response->set_p99_ms(static_cast<float>(m.request_latency.p99_ms));
    response->set_throughput_qps(static_cast<float>(m.pairs_per_s));
    response->set_query_count(clamp_int32(m.pairs));
    scorer_.metrics().record_request("grpc.GetMetrics", "OK", 0,
                                     std::chrono::duration<double>(Clock::now() - t0).count());
    return grpc::Status::OK;
  }

 private:
  grpc::Status score(grpc::ServerContext& context, ScoreJob& job,
                     inference::InferResponse& response) {
    if (job.pairs.empty()) return grpc::Status::OK;
    scorer_.check_batch_size(job.pairs.size());
    // A client that gave up while its call waited for a thread is not worth scoring.
    if (context.IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    const Scorer::Result r = scorer_.score(job);
    response.mutable_scores()->Add(r.scores.begin(), r.scores.end());
    return grpc::Status::OK;
  }

  Scorer& scorer_;
  const std::string api_key_;
};

std::string address(const std::string& host, int port) {
  // IPv6 literals need brackets in a gRPC address.
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// gRPC logs its own multi-line error before failing to bind; checking the address first gives
// the user one line that says what is wrong. (The port could still be taken in between: then
// gRPC's message and the generic one below.)
void check_can_listen(const std::string& host, int port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
  } else {
    throw Error("cannot listen for gRPC on " + host + ": not an IP address (--host)");
  }
  const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;  // let gRPC report it
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  const int err = errno;
  ::close(fd);
  if (!bound) {
    throw Error("cannot listen for gRPC on " + address(host, port) + " (" + std::strerror(err) +
                (err == EADDRINUSE ? "; try another --grpc-port" : "") + ")");
  }
}

}  // namespace

struct GrpcServer::Impl {
  Scorer& scorer;
  InferenceServiceImpl service;
  GrpcReflection reflection;
  std::unique_ptr<grpc::Server> server;
  Impl(Scorer& s, const std::string& api_key)
      : scorer(s),
        service(s, api_key),
        reflection({inference::InferenceService::service_full_name(), kHealthServiceName},
                   api_key) {}
};

GrpcServer::GrpcServer(Scorer& scorer, std::string api_key)
    : impl_(std::make_unique<Impl>(scorer, api_key)) {}

GrpcServer::~GrpcServer() { stop(std::chrono::milliseconds(0)); }

int GrpcServer::start(const std::string& host, int port) {
  check_can_listen(host, port);
  enable_grpc_health_service();
  const ServerOptions& o = impl_->scorer.options();
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(address(host, port), grpc::InsecureServerCredentials(), &bound);
  builder.RegisterService(&impl_->service);
  impl_->reflection.register_with(builder);
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<size_t>(o.grpc_max_message_bytes, std::numeric_limits<int>::max())));
  // Without this a second server could share the port instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || bound == 0) {
    impl_->server.reset();
    throw Error("cannot listen for gRPC on " + address(host, port) + " (in use? try --grpc-port)");
  }
  set_grpc_health(*impl_->server, true);
  return bound;
}

void GrpcServer::stop(std::chrono::milliseconds grace) {
  if (!impl_->server) return;
  set_grpc_health(*impl_->server, false);
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace crossenc::server
