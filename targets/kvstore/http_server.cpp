#include "targets/kvstore/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace faultline::kvstore {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

HttpResponse json_reply(const HttpRequest& request, unsigned status, const nlohmann::json& body) {
  HttpResponse response{static_cast<http::status>(status), request.version()};
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  response.body() = body.dump();
  response.prepare_payload();
  return response;
}

std::string header(const HttpRequest& request, const std::string& name) {
  auto it = request.find(name);
  return it == request.end() ? std::string() : std::string(it->value());
}

void serve(const Handler& handler, const std::string& address, unsigned short port) {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint(boost::asio::ip::make_address(address), port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
  for (;;) {
    tcp::socket socket = acceptor.accept();
    std::thread([&handler, socket = std::move(socket)]() mutable {
      boost::beast::flat_buffer buffer;
      boost::beast::error_code ec;
      for (;;) {
        HttpRequest request;
        http::read(socket, buffer, request, ec);
        if (ec) break;
        HttpResponse response = handler(request);
        http::write(socket, response, ec);
        if (ec || !response.keep_alive()) break;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }).detach();
  }
}

}  // namespace faultline::kvstore
