// The standard grpc.health.v1.Health service, as built into gRPC++ (Check and Watch).
#pragma once

namespace grpc {
class Server;
}

namespace crossenc::server {

// The service name clients may ask about besides "" (the whole server).
inline constexpr const char* kInferenceServiceName = "inference.InferenceService";
// The health service itself; open to every client, --api-key or not (like HTTP /health).
inline constexpr const char* kHealthServiceName = "grpc.health.v1.Health";

// Must be called before the gRPC server is built.
void enable_grpc_health_service();
// SERVING / NOT_SERVING for "" and kInferenceServiceName.
void set_grpc_health(grpc::Server& server, bool serving);

}  // namespace crossenc::server
