#pragma once
// A small blocking HTTP/1.1 server: one thread per connection, keep-alive,
// the handler called for every request. Enough for a test target whose
// concurrency is a few dozen clients.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace faultline::kvstore {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Listens on address:port (throws if it cannot) and serves until stop().
class HttpServer {
 public:
  HttpServer(Handler handler, const std::string& address, unsigned short port);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void run();   // accepts until stop(); each connection on its own thread
  void stop();  // from any thread: no new connections; open ones end with their client

 private:
  struct State;
  std::shared_ptr<State> state_;
};

HttpResponse json_reply(const HttpRequest& request, unsigned status, const nlohmann::json& body);
// Passes another server's JSON answer on as the answer to `request`.
HttpResponse relay(const HttpRequest& request, unsigned status, std::string body);
std::string header(const HttpRequest& request, const std::string& name);  // "" when absent

}  // namespace faultline::kvstore
