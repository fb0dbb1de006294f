// The http client over a real connection: what the server receives (method,
// target, headers, body bytes), and what no answer means (could not connect:
// fail; sent, then silence: info for a write, fail for a read). The server
// is in the test, on loopback, on a port of its own.
#include "controllers/workload/http_client.hpp"

#include <catch2/catch.hpp>
#include <mutex>
#include <random>
#include <thread>

#include "controllers/history/operation_kinds.hpp"
#include "targets/kvstore/http_server.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

struct Seen {
  std::string method, target, content_type, region_header, body;
};

// Answers like etcd's range for /range, stalls on /stall, 503 on /busy.
struct RecordingServer {
  unsigned short port;
  std::mutex mutex;
  std::vector<Seen> seen;
  std::unique_ptr<kvstore::HttpServer> server;
  std::thread thread;

  RecordingServer() {
    // A random port, another if that one is taken (tests run side by side,
    // and their connections' own ports come from the same range).
    std::random_device rd;
    for (int attempt = 0;; ++attempt) {
      port = static_cast<unsigned short>(20000 + rd() % 20000);
      try {
        listen();
        break;
      } catch (const std::exception&) {
        if (attempt == 20) throw;
      }
    }
    thread = std::thread([this] { server->run(); });
  }
  void listen() {
    server = std::make_unique<kvstore::HttpServer>(
        [this](const kvstore::HttpRequest& request) {
          {
            std::lock_guard lock(mutex);
            seen.push_back({std::string(request.method_string()), std::string(request.target()),
                            kvstore::header(request, "Content-Type"),
                            kvstore::header(request, "X-Region"), request.body()});
          }
          const std::string target(request.target());
          if (target == "/stall") std::this_thread::sleep_for(400ms);
          if (target == "/busy") return kvstore::json_reply(request, 503, {{"error", "busy"}});
          if (target == "/range")
            return kvstore::json_reply(request, 200,
                                       {{"kvs", json::array({{{"value", base64_encode("42")}}})}});
          return kvstore::json_reply(request, 200, json::object());
        },
        "127.0.0.1", port);
  }
  ~RecordingServer() {
    server->stop();
    thread.join();
  }
};

HttpText text(const std::string& s) {
  std::string problem;
  auto t = parse_http_text(s, problem);
  REQUIRE(t);
  return *t;
}

HttpClientSpec spec_with(const std::string& read_path, const std::string& write_path) {
  HttpClientSpec spec;
  spec.port = 0;
  spec.headers = {{"Content-Type", text("application/json")}, {"X-Region", text("{region}")}};
  HttpRequestTemplate read;
  read.method = "POST";
  read.path = text(read_path);
  read.body = text(R"({"key": "{key:base64}"})");
  read.value = json::json_pointer("/kvs/0/value");
  read.value_encoding = HttpValueEncoding::base64;
  HttpRequestTemplate write;
  write.method = "PUT";
  write.path = text(write_path);
  write.body = text(R"({"v": {value:json}})");
  spec.templates = {{kHttpRead, read}, {kHttpWrite, write}};
  return spec;
}

Operation op(const char* f, json value) {
  return {.type = OpType::invoke,
          .process = 2,
          .f = f,
          .value = json::array({"k7", std::move(value)}),
          .region = "eu-west-1",
          .session = 2};
}

}  // namespace

TEST_CASE("the http client sends the filled-in template and reads the answer", "[workload][http]") {
  RecordingServer server;
  const HttpClientSpec spec = spec_with("/range", "/put/{key:url}");
  HttpTemplateClient client(std::make_shared<HttpClientSpec>(spec), "127.0.0.1", server.port, 300ms,
                            false);

  const Operation read = client.invoke(op(kReadF, nullptr));
  CHECK(read.type == OpType::ok);
  CHECK(read.value == json::array({"k7", 42}));
  const Operation write = client.invoke(op(kWriteF, 3000005));
  CHECK(write.type == OpType::ok);

  std::lock_guard lock(server.mutex);
  REQUIRE(server.seen.size() == 2);
  CHECK(server.seen[0].method == "POST");
  CHECK(server.seen[0].target == "/range");
  CHECK(server.seen[0].body == R"({"key": "azc="})");
  CHECK(server.seen[0].content_type == "application/json");  // the template's, not octet-stream
  CHECK(server.seen[0].region_header == "eu-west-1");
  CHECK(server.seen[1].method == "PUT");
  CHECK(server.seen[1].target == "/put/k7");
  CHECK(server.seen[1].body == R"({"v": 3000005})");
}

TEST_CASE("the http client without an answer: fail when nothing was sent or for a read, else info",
          "[workload][http]") {
  RecordingServer server;
  SECTION("sent, then silence past the timeout") {
    const HttpClientSpec spec = spec_with("/stall", "/stall");
    HttpTemplateClient client(std::make_shared<HttpClientSpec>(spec), "127.0.0.1", server.port,
                              100ms, false);
    const Operation write = client.invoke(op(kWriteF, 1));
    CHECK(write.type == OpType::info);
    CHECK(write.error == "timeout");
    const Operation read = client.invoke(op(kReadF, nullptr));
    CHECK(read.type == OpType::fail);
  }
  SECTION("a 503 is info for a write, fail for a read") {
    const HttpClientSpec spec = spec_with("/busy", "/busy");
    HttpTemplateClient client(std::make_shared<HttpClientSpec>(spec), "127.0.0.1", server.port,
                              300ms, false);
    const Operation write = client.invoke(op(kWriteF, 1));
    CHECK(write.type == OpType::info);
    CHECK_THAT(write.error, Catch::StartsWith("http 503") && Catch::Contains("busy"));
    CHECK(client.invoke(op(kReadF, nullptr)).type == OpType::fail);
  }
  SECTION("no server listening: nothing was sent") {
    const HttpClientSpec spec = spec_with("/range", "/put");
    const auto closed = static_cast<std::uint16_t>(server.port == 65535 ? 65534 : server.port + 1);
    HttpTemplateClient client(std::make_shared<HttpClientSpec>(spec), "127.0.0.1", closed, 300ms,
                              false);
    const Operation write = client.invoke(op(kWriteF, 1));
    CHECK(write.type == OpType::fail);
    CHECK_THAT(write.error, Catch::StartsWith("connect"));
  }
}

TEST_CASE("the http client factory opens a client at its region's address", "[workload][http]") {
  RecordingServer server;
  HttpClientSpec spec = spec_with("/range", "/put");
  spec.port = server.port;
  HttpTemplateClientFactory factory(spec, {{"eu-west-1", "127.0.0.1"}}, 300ms, false);
  CHECK(factory.open("eu-west-1")->invoke(op(kReadF, nullptr)).type == OpType::ok);
  CHECK_THROWS_AS(factory.open("us-east-1"), std::logic_error);
}
