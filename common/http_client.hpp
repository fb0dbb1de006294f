#pragma once
// A blocking HTTP/1.1 client over one keep-alive connection, with a deadline on
// every step. Built for histories: it tells apart a request that certainly did
// not reach the server (connect failed) from one whose outcome is unknown
// (timed out after sending), which a checker must treat as "maybe happened".
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace faultline::http {

struct Response {
  unsigned status = 0;
  std::string body;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Outcome {
  std::optional<Response> response;  // set when a full response arrived
  bool maybe_delivered = false;      // no response, but the server may have acted
  std::string error;                 // why there is no response
};

class Client {
 public:
  Client(const std::string& address, unsigned short port, std::chrono::milliseconds timeout);

  Outcome request(boost::beast::http::verb verb, const std::string& target,
                  const std::string& body = "", const Headers& headers = {});
  Outcome get(const std::string& target, const Headers& headers = {}) {
    return request(boost::beast::http::verb::get, target, "", headers);
  }

 private:
  void disconnect();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::string host_header_;
  std::chrono::milliseconds timeout_;
  std::optional<boost::beast::tcp_stream> stream_;
};

}  // namespace faultline::http
