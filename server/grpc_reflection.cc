// One reflection implementation, instantiated for the v1 and v1alpha packages (the same messages).
#include "grpc_reflection.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>

#include <set>
#include <utility>

#include "api_error.h"
#include "grpc_auth.h"
#include "reflection_v1.grpc.pb.h"
#include "reflection_v1alpha.grpc.pb.h"

namespace crossenc::server {

namespace {

namespace pb = google::protobuf;

template <class Api>
class ReflectionService final : public Api::ServerReflection::Service {
  using Request = typename Api::ServerReflectionRequest;
  using Response = typename Api::ServerReflectionResponse;

 public:
  ReflectionService(const std::vector<std::string>& services, const std::string& api_key)
      : services_(services), api_key_(api_key) {}

  grpc::Status ServerReflectionInfo(grpc::ServerContext* context,
                                    grpc::ServerReaderWriter<Response, Request>* stream) override {
    try {
      check_grpc_api_key(*context, api_key_);
    } catch (const ApiError& e) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, e.what());
    }
    std::set<std::string> sent;  // files already described on this stream
    Request request;
    while (stream->Read(&request)) {
      Response response;
      response.set_valid_host(request.host());
      *response.mutable_original_request() = request;
      answer(request, response, sent);
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }

 private:
  void answer(const Request& request, Response& response, std::set<std::string>& sent) const {
    const pb::DescriptorPool& pool = *pb::DescriptorPool::generated_pool();
    switch (request.message_request_case()) {
      case Request::kListServices:
        for (const auto& name : services_) {
          response.mutable_list_services_response()->add_service()->set_name(name);
        }
        return;
      case Request::kFileByFilename:
        return describe(pool.FindFileByName(request.file_by_filename()), response, sent);
      case Request::kFileContainingSymbol:
        return describe(pool.FindFileContainingSymbol(request.file_containing_symbol()), response,
                        sent);
      case Request::kFileContainingExtension: {
        const auto& ext = request.file_containing_extension();
        const pb::Descriptor* type = pool.FindMessageTypeByName(ext.containing_type());
        const pb::FieldDescriptor* field =
            type ? pool.FindExtensionByNumber(type, ext.extension_number()) : nullptr;
        return describe(field ? field->file() : nullptr, response, sent);
      }
      case Request::kAllExtensionNumbersOfType: {
        const pb::Descriptor* type =
            pool.FindMessageTypeByName(request.all_extension_numbers_of_type());
        if (!type) return fail(response, grpc::StatusCode::NOT_FOUND, "type not found");
        std::vector<const pb::FieldDescriptor*> extensions;
        pool.FindAllExtensions(type, &extensions);
        auto* out = response.mutable_all_extension_numbers_response();
        out->set_base_type_name(type->full_name());
        for (const auto* e : extensions) out->add_extension_number(e->number());
        return;
      }
      default:
        return fail(response, grpc::StatusCode::INVALID_ARGUMENT,
                    "the request sets none of the reflection request fields");
    }
  }

  // The file, then each dependency not yet sent on this stream (the file itself always, so that
  // a repeated question still gets an answer).
  static void describe(const pb::FileDescriptor* file, Response& response,
                       std::set<std::string>& sent) {
    if (!file) return fail(response, grpc::StatusCode::NOT_FOUND, "not found");
    auto* out = response.mutable_file_descriptor_response();
    std::vector<const pb::FileDescriptor*> todo = {file};
    sent.insert(file->name());
    while (!todo.empty()) {
      const pb::FileDescriptor* f = todo.back();
      todo.pop_back();
      pb::FileDescriptorProto proto;
      f->CopyTo(&proto);
      out->add_file_descriptor_proto(proto.SerializeAsString());
      for (int i = 0; i < f->dependency_count(); ++i) {
        if (sent.insert(f->dependency(i)->name()).second) todo.push_back(f->dependency(i));
      }
    }
  }

  static void fail(Response& response, grpc::StatusCode code, const std::string& message) {
    auto* error = response.mutable_error_response();
    error->set_error_code(static_cast<int>(code));
    error->set_error_message(message);
  }

  const std::vector<std::string>& services_;
  const std::string& api_key_;
};

struct V1 {
  using ServerReflection = grpc::reflection::v1::ServerReflection;
  using ServerReflectionRequest = grpc::reflection::v1::ServerReflectionRequest;
  using ServerReflectionResponse = grpc::reflection::v1::ServerReflectionResponse;
};
struct V1Alpha {
  using ServerReflection = grpc::reflection::v1alpha::ServerReflection;
  using ServerReflectionRequest = grpc::reflection::v1alpha::ServerReflectionRequest;
  using ServerReflectionResponse = grpc::reflection::v1alpha::ServerReflectionResponse;
};

std::vector<std::string> with_reflection(std::vector<std::string> services) {
  services.push_back(grpc::reflection::v1::ServerReflection::service_full_name());
  services.push_back(grpc::reflection::v1alpha::ServerReflection::service_full_name());
  return services;
}

}  // namespace

struct GrpcReflection::Impl {
  Impl(std::vector<std::string> names, std::string key)
      : services(with_reflection(std::move(names))), api_key(std::move(key)) {}
  const std::vector<std::string> services;
  const std::string api_key;
  ReflectionService<V1> v1{services, api_key};
  ReflectionService<V1Alpha> v1alpha{services, api_key};
};

GrpcReflection::GrpcReflection(std::vector<std::string> services, std::string api_key)
    : impl_(std::make_unique<Impl>(std::move(services), std::move(api_key))) {}

GrpcReflection::~GrpcReflection() = default;

void GrpcReflection::register_with(grpc::ServerBuilder& builder) {
  builder.RegisterService(&impl_->v1);
  builder.RegisterService(&impl_->v1alpha);
}

}  // namespace crossenc::server
