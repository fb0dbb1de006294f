#include "common/http_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace faultline::http {

namespace beast = boost::beast;
namespace asio = boost::asio;

Client::Client(const std::string& address, unsigned short port, std::chrono::milliseconds timeout)
    : endpoint_(asio::ip::make_address(address), port), timeout_(timeout) {
  host_header_ = endpoint_.address().is_v6() ? "[" + address + "]" : address;
  host_header_ += ":" + std::to_string(port);
}

void Client::disconnect() {
  if (stream_) {
    beast::error_code ignored;
    stream_->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_->close();
  }
  stream_.reset();
}

Outcome Client::request(beast::http::verb verb, const std::string& target,
                        const std::string& body, const Headers& headers) {
  beast::error_code ec;
  auto run = [&](auto start) {
    io_.restart();
    start([&](beast::error_code e, auto&&...) { ec = e; });
    io_.run();
  };

  Outcome outcome;
  if (!stream_) {
    stream_.emplace(io_);
    stream_->expires_after(timeout_);
    run([&](auto done) { stream_->async_connect(endpoint_, done); });
    if (ec) {
      disconnect();
      outcome.error = "connect: " + ec.message();
      return outcome;  // nothing was sent
    }
  }

  beast::http::request<beast::http::string_body> req{verb, target, 11};
  req.set(beast::http::field::host, host_header_);
  req.keep_alive(true);
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || verb == beast::http::verb::put || verb == beast::http::verb::post) {
    // A caller's own Content-Type (an API that wants application/json) stands.
    if (req.find(beast::http::field::content_type) == req.end())
      req.set(beast::http::field::content_type, "application/octet-stream");
    req.body() = body;
    req.prepare_payload();
  }
  stream_->expires_after(timeout_);
  run([&](auto done) { beast::http::async_write(*stream_, req, done); });
  if (ec) {
    disconnect();
    outcome.maybe_delivered = true;
    outcome.error = "send: " + ec.message();
    return outcome;
  }

  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  stream_->expires_after(timeout_);
  run([&](auto done) { beast::http::async_read(*stream_, buffer, res, done); });
  if (ec) {
    disconnect();
    outcome.maybe_delivered = true;
    outcome.error = ec == beast::error::timeout ? "timeout" : "receive: " + ec.message();
    return outcome;
  }
  if (res.need_eof()) disconnect();
  outcome.response = Response{res.result_int(), std::move(res.body())};
  return outcome;
}

}  // namespace faultline::http
