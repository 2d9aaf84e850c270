// The server's HTTP side on the event-driven front end
// (server/http/front_end.h).
#include "http_server.h"

#include "http/front_end.h"

namespace crossenc::server {

HttpServer::HttpServer(const ServerOptions& options, HttpHandler handler, ServerMetrics& metrics)
    : front_end_(std::make_unique<http::FrontEnd>(options, std::move(handler), metrics)) {}

HttpServer::~HttpServer() = default;  // FrontEnd's destructor stops it

int HttpServer::start(const std::string& host, int port) { return front_end_->start(host, port); }
void HttpServer::close() { front_end_->close(); }
void HttpServer::stop() { front_end_->stop(); }

}  // namespace crossenc::server
