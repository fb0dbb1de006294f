#include "targets/kvstore/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
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

HttpResponse relay(const HttpRequest& request, unsigned status, std::string body) {
  HttpResponse response{static_cast<http::status>(status), request.version()};
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string header(const HttpRequest& request, const std::string& name) {
  auto it = request.find(name);
  return it == request.end() ? std::string() : std::string(it->value());
}

// Shared with the connection threads, which may outlive the server object.
struct HttpServer::State {
  Handler handler;
  boost::asio::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable idle;
  std::set<int> connections;  // open sockets, so stop() can end them
};

HttpServer::HttpServer(Handler handler, const std::string& address, unsigned short port)
    : state_(std::make_shared<State>()) {
  state_->handler = std::move(handler);
  tcp::endpoint endpoint(boost::asio::ip::make_address(address), port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  if (state_->stopping.exchange(true)) return;
  boost::system::error_code ec;
  // Unblocks accept(): shutdown wakes it, close releases the port.
  ::shutdown(state_->acceptor.native_handle(), SHUT_RDWR);
  state_->acceptor.close(ec);
  // End the open connections and wait for their threads, so no handler runs
  // once stop() returns.
  std::unique_lock lock(state_->mutex);
  for (int fd : state_->connections) ::shutdown(fd, SHUT_RDWR);
  state_->idle.wait_for(lock, std::chrono::seconds(5), [&] { return state_->connections.empty(); });
}

void HttpServer::run() {
  auto state = state_;
  while (!state->stopping) {
    boost::system::error_code ec;
    tcp::socket socket(state->io);
    state->acceptor.accept(socket, ec);
    if (ec) {
      if (state->stopping) return;
      continue;
    }
    const int fd = socket.native_handle();
    {
      std::lock_guard lock(state->mutex);
      if (state->stopping) return;
      state->connections.insert(fd);
    }
    std::thread([state, fd, socket = std::move(socket)]() mutable {
      boost::beast::flat_buffer buffer;
      boost::beast::error_code ec;
      while (!state->stopping) {
        HttpRequest request;
        http::read(socket, buffer, request, ec);
        if (ec) break;
        HttpResponse response = state->handler(request);
        http::write(socket, response, ec);
        if (ec || !response.keep_alive()) break;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      std::lock_guard lock(state->mutex);
      state->connections.erase(fd);
      state->idle.notify_all();
    }).detach();
  }
}

}  // namespace faultline::kvstore
