#pragma once
// A small blocking HTTP/1.1 server: one thread per connection, keep-alive,
// the handler called for every request. Enough for a test target whose
// concurrency is a few dozen clients.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace faultline::kvstore {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Never returns; throws if it cannot listen.
[[noreturn]] void serve(const Handler& handler, const std::string& address, unsigned short port);

HttpResponse json_reply(const HttpRequest& request, unsigned status, const nlohmann::json& body);
std::string header(const HttpRequest& request, const std::string& name);  // "" when absent

}  // namespace faultline::kvstore
