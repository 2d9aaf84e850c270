// gRPC server reflection, both grpc.reflection.v1 and v1alpha (Debian's libgrpc++_reflection
// has v1alpha only), answered from the program's generated descriptor pool.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace grpc {
class ServerBuilder;
}

namespace crossenc::server {

class GrpcReflection {
 public:
  // services: the full names list_services reports, besides the two reflection services.
  // api_key non-empty: calls need it, as every call but health does.
  GrpcReflection(std::vector<std::string> services, std::string api_key);
  ~GrpcReflection();
  GrpcReflection(const GrpcReflection&) = delete;
  GrpcReflection& operator=(const GrpcReflection&) = delete;

  // Both services; this object must outlive the server built.
  void register_with(grpc::ServerBuilder& builder);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossenc::server
