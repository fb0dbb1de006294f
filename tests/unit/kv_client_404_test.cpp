// The reference store's client against a server that is not the reference
// store (issue 17): it answers 404 to everything. A read's plain 404 is "no
// such key" only because the reference API says so; a write's 404 is a
// refusal. The history this makes has nothing for no-lost-writes or
// convergence to judge, and they must say unknown, not PASS.
#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "controllers/checkers/convergence.hpp"
#include "controllers/checkers/no_lost_writes.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/kv_client.hpp"
#include "targets/kvstore/http_server.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

// Loopback, a port of its own per run: no root, nothing left behind.
struct NotFoundServer {
  unsigned short port;
  std::unique_ptr<kvstore::HttpServer> server;
  std::thread thread;

  NotFoundServer() {
    std::random_device rd;
    port = static_cast<unsigned short>(20000 + rd() % 20000);
    server = std::make_unique<kvstore::HttpServer>(
        [](const kvstore::HttpRequest& request) {
          kvstore::HttpResponse response{boost::beast::http::status::not_found, request.version()};
          response.body() = "<h1>Not Found</h1>";  // HTML, as a web server answers
          response.prepare_payload();
          return response;
        },
        "127.0.0.4", port);
    thread = std::thread([this] { server->run(); });
  }
  ~NotFoundServer() {
    server->stop();
    thread.join();
  }
};

Operation invocation(const char* f, const std::string& key, nlohmann::json value,
                     const std::string& region) {
  return {.type = OpType::invoke, .process = 0, .f = f,
          .value = nlohmann::json::array({key, std::move(value)}), .region = region};
}

}  // namespace

TEST_CASE("against a server answering 404 to all, writes fail, reads find nothing, nothing is judged",
          "[workload][nothing-to-judge]") {
  NotFoundServer server;
  KvClient client("127.0.0.4", server.port, 1000ms, false);
  std::vector<Operation> history;
  std::size_t index = 0;
  auto record = [&](Operation op) {
    op.index = index;
    op.time = static_cast<std::int64_t>(index++) * 1000000;
    history.push_back(op);
  };
  for (const auto* key : {"k0", "k1"}) {
    const Operation write = invocation(kWriteF, key, 7, "us");
    record(write);
    const Operation written = client.invoke(write);
    CHECK(written.type == OpType::fail);
    CHECK(written.error == "http 404");
    record(written);
    const Operation read = invocation(kReadF, key, nullptr, "us");
    record(read);
    const Operation done = client.invoke(read);
    CHECK(done.type == OpType::ok);
    CHECK(done.value[1].is_null());
    record(done);
  }
  record({.type = OpType::invoke, .process = kNemesisProcess, .f = kHealF});
  record({.type = OpType::ok, .process = kNemesisProcess, .f = kHealF});
  for (const auto* region : {"us", "eu"})
    for (const auto* key : {"k0", "k1"}) {
      const Operation read = invocation(kFinalReadF, key, nullptr, region);
      record(read);
      record(client.invoke(read));
    }

  const auto lost = check_no_lost_writes(history);
  CHECK(lost.validity == Validity::unknown);
  CHECK_THAT(lost.summary, Catch::StartsWith("no acknowledged write"));
  const auto converged = check_convergence(history, 5s);
  CHECK(converged.validity == Validity::unknown);
  CHECK(converged.judged == 0);
}
