// gRPC health checking through gRPC++'s default service (Debian's libgrpc++ ships it).
#include "grpc_health.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>

#include "health.pb.h"

namespace crossenc::server {

void enable_grpc_health_service() {
  grpc::EnableDefaultHealthCheckService(true);
  // Reflection describes services from the generated descriptor pool; referencing a message
  // links health.pb.cc (and so grpc.health.v1's descriptors) into the program.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
}

void set_grpc_health(grpc::Server& server, bool serving) {
  grpc::HealthCheckServiceInterface* health = server.GetHealthCheckService();
  if (!health) return;
  health->SetServingStatus(serving);  // "" and every service registered so far
  health->SetServingStatus(kInferenceServiceName, serving);
}

}  // namespace crossenc::server
