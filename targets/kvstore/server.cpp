#include "targets/kvstore/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <thread>

namespace faultline::kvstore {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {

std::uint64_t wall_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

HttpResponse reply(const HttpRequest& request, http::status status, const nlohmann::json& body) {
  HttpResponse response{status, request.version()};
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  response.body() = body.dump();
  response.prepare_payload();
  return response;
}

}  // namespace

void Region::absorb(const std::vector<std::pair<std::string, Entry>>& entries) {
  for (const auto& [key, entry] : entries) {
    {
      std::lock_guard lock(clock_mutex_);
      clock_.observe(entry.version.timestamp);
    }
    store_.merge(key, entry);
  }
}

HttpResponse Region::handle(const HttpRequest& request) {
  const std::string target(request.target());
  const std::string kv_prefix = "/kv/";
  try {
    if (target.rfind(kv_prefix, 0) == 0 && target.size() > kv_prefix.size()) {
      const std::string key = target.substr(kv_prefix.size());
      if (request.method() == http::verb::put) {
        Entry entry{request.body(), {}};
        {
          std::lock_guard lock(clock_mutex_);
          entry.version = Version{clock_.tick(wall_ns()), name_};
        }
        store_.merge(key, entry);
        if (replicator_ != nullptr) replicator_->publish(key, entry);
        return reply(request, http::status::ok,
                     {{"ts", entry.version.timestamp}, {"origin", name_}, {"served_by", name_}});
      }
      if (request.method() == http::verb::get) {
        auto entry = store_.get(key);
        if (!entry) return reply(request, http::status::not_found, {{"served_by", name_}});
        return reply(request, http::status::ok,
                     {{"value", entry->value},
                      {"ts", entry->version.timestamp},
                      {"origin", entry->version.region},
                      {"served_by", name_}});
      }
    }
    if (target == "/replicate" && request.method() == http::verb::post) {
      absorb(decode_entries(request.body()));
      return reply(request, http::status::ok, {{"served_by", name_}});
    }
    if (target == "/dump" && request.method() == http::verb::get) {
      HttpResponse response = reply(request, http::status::ok, {});
      response.body() = encode_entries(store_.snapshot());
      response.prepare_payload();
      return response;
    }
    if (target == "/health" && request.method() == http::verb::get)
      return reply(request, http::status::ok, {{"served_by", name_}, {"status", "ok"}});
    return reply(request, http::status::not_found, {{"error", "no such route"}});
  } catch (const std::exception& e) {
    return reply(request, http::status::bad_request, {{"error", e.what()}});
  }
}

void serve(Region& region, const std::string& address, unsigned short port) {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint(boost::asio::ip::make_address(address), port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
  for (;;) {
    tcp::socket socket = acceptor.accept();
    std::thread([&region, socket = std::move(socket)]() mutable {
      boost::beast::flat_buffer buffer;
      boost::beast::error_code ec;
      for (;;) {
        HttpRequest request;
        http::read(socket, buffer, request, ec);
        if (ec) break;
        HttpResponse response = region.handle(request);
        http::write(socket, response, ec);
        if (ec || !response.keep_alive()) break;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }).detach();
  }
}

}  // namespace faultline::kvstore
