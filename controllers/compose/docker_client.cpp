#include "controllers/compose/docker_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace faultline::compose {

namespace beast = boost::beast;
namespace http = beast::http;
using local = boost::asio::local::stream_protocol;

// The oldest API with everything used here; daemons from Docker 20.10 on
// serve it.
static constexpr const char* kApi = "/v1.41";

std::string Container::label(const std::string& key) const {
  auto it = labels.find(key);
  return it == labels.end() ? "" : it->second;
}

Container parse_container(const nlohmann::json& j) {
  Container c;
  c.id = j.value("Id", "");
  c.name = j.value("Name", "");
  if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);
  if (auto cfg = j.find("Config"); cfg != j.end() && cfg->is_object())
    if (auto labels = cfg->find("Labels"); labels != cfg->end() && labels->is_object())
      for (const auto& [k, v] : labels->items())
        if (v.is_string()) c.labels[k] = v.get<std::string>();
  if (auto state = j.find("State"); state != j.end() && state->is_object()) {
    c.running = state->value("Running", false);
    c.paused = state->value("Paused", false);
    c.pid = state->value("Pid", 0);
  }
  if (auto ns = j.find("NetworkSettings"); ns != j.end() && ns->is_object())
    if (auto nets = ns->find("Networks"); nets != ns->end() && nets->is_object())
      for (const auto& [name, n] : nets->items()) {
        if (!n.is_object()) continue;
        Endpoint e;
        e.network = name;
        e.ipv4 = n.value("IPAddress", "");
        e.prefix_v4 = n.value("IPPrefixLen", 0);
        e.ipv6 = n.value("GlobalIPv6Address", "");
        e.prefix_v6 = n.value("GlobalIPv6PrefixLen", 0);
        c.endpoints.push_back(e);
      }
  return c;
}

DockerClient::DockerClient(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {}

DockerClient::Reply DockerClient::call(const std::string& method, const std::string& target) {
  boost::asio::io_context io;
  beast::basic_stream<local> stream(io);
  stream.expires_after(timeout_);
  beast::error_code ec;
  stream.socket().connect(local::endpoint(socket_path_), ec);
  if (ec)
    throw DockerError("cannot reach the Docker daemon at " + socket_path_ + ": " + ec.message() +
                      " (is dockerd running? scripts/dockerd.sh start)");
  http::request<http::string_body> req(http::string_to_verb(method), std::string(kApi) + target, 11);
  req.set(http::field::host, "docker");
  req.set(http::field::connection, "close");
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec) throw DockerError("Docker API " + method + " " + target + ": " + ec.message());
  return {res.result_int(), std::move(res.body())};
}

bool DockerClient::available() {
  try {
    return call("GET", "/_ping").status == 200;
  } catch (const DockerError&) {
    return false;
  }
}

namespace {

std::string message_of(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  return body;
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

}  // namespace

std::vector<Container> DockerClient::containers_with_label(const std::string& label) {
  const std::string filters = nlohmann::json{{"label", {label}}}.dump();
  auto reply = call("GET", "/containers/json?all=1&filters=" + url_encode(filters));
  if (reply.status != 200)
    throw DockerError("listing containers: " + message_of(reply.body));
  auto list = nlohmann::json::parse(reply.body, nullptr, false);
  if (!list.is_array()) throw DockerError("listing containers: the daemon's answer is not a list");
  std::vector<Container> out;
  for (const auto& entry : list)
    if (entry.is_object() && entry.contains("Id")) out.push_back(inspect(entry["Id"]));
  return out;
}

Container DockerClient::inspect(const std::string& id) {
  auto reply = call("GET", "/containers/" + url_encode(id) + "/json");
  if (reply.status != 200) throw DockerError("container " + id + ": " + message_of(reply.body));
  auto j = nlohmann::json::parse(reply.body, nullptr, false);
  if (!j.is_object()) throw DockerError("container " + id + ": unreadable answer");
  return parse_container(j);
}

nlohmann::json DockerClient::get(const std::string& target, const std::string& what) {
  auto reply = call("GET", target);
  if (reply.status != 200) throw DockerError(what + ": " + message_of(reply.body));
  auto j = nlohmann::json::parse(reply.body, nullptr, false);
  if (j.is_discarded()) throw DockerError(what + ": the daemon's answer is not JSON");
  return j;
}

void DockerClient::post_expecting(const std::string& target, const std::string& what) {
  auto reply = call("POST", target);
  // 204 done, 304 already so (start of a running container).
  if (reply.status != 204 && reply.status != 304)
    throw DockerError(what + ": " + message_of(reply.body));
}

void DockerClient::kill(const std::string& id, const std::string& signal) {
  post_expecting("/containers/" + url_encode(id) + "/kill?signal=" + url_encode(signal),
                 "kill container " + id);
}
void DockerClient::start(const std::string& id) {
  post_expecting("/containers/" + url_encode(id) + "/start", "start container " + id);
}
void DockerClient::pause(const std::string& id) {
  post_expecting("/containers/" + url_encode(id) + "/pause", "pause container " + id);
}
void DockerClient::unpause(const std::string& id) {
  post_expecting("/containers/" + url_encode(id) + "/unpause", "unpause container " + id);
}

}  // namespace faultline::compose
