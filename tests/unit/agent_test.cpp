// The agent's pure parts and its TLS, in process: framing, request dispatch
// and the lease on a clock the test advances, with a backend that records
// what the node was asked; then mutual TLS on 127.0.0.1 with certificates
// `faultline certs` makes, and the controller's AgentClient and
// RemoteActuator against a real AgentServer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <thread>

#include "controllers/agent/agent_client.hpp"
#include "controllers/agent/agent_core.hpp"
#include "controllers/agent/agent_server.hpp"
#include "controllers/agent/certs.hpp"
#include "controllers/agent/frame.hpp"
#include "controllers/agent/remote_actuator.hpp"
#include "controllers/agent/tls.hpp"
#include "controllers/faults/plan_json.hpp"

using namespace faultline;
using namespace faultline::agent;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Records every change the node is asked for, in order.
class RecordingBackend final : public NodeBackend {
 public:
  std::vector<std::string> log;
  bool fail_commit = false;

  json inventory() override { return {{"containers", json::array()}}; }
  std::vector<std::string> engines;
  int actuators = 0;  // alive
  std::unique_ptr<Actuator> actuator(const std::string& engine, std::uint64_t seed) override {
    engines.push_back(engine + "/" + std::to_string(seed));
    return std::make_unique<RecordingActuator>(*this);
  }
  std::unique_ptr<PreparedStep> prepare(const PlanStep& step) {
    const std::string netns = std::string(step_netns(step));
    log.push_back("prepare " + netns);
    return std::make_unique<Prepared>(*this, netns);
  }
  std::function<void()> on_container;
  void container(const std::string& action, const std::string& id) override {
    log.push_back(action + " " + id);
    if (on_container) on_container();
  }
  std::vector<std::string> sweep() override {
    log.push_back("sweep");
    return {"route blackhole 198.18.2.0/24 in ns-a"};
  }

 private:
  struct RecordingActuator final : Actuator {
    explicit RecordingActuator(RecordingBackend& b) : b(b) { ++b.actuators; }
    ~RecordingActuator() override { --b.actuators; }
    std::unique_ptr<PreparedStep> prepare(const PlanStep& step) override { return b.prepare(step); }
    RecordingBackend& b;
  };
  struct Applied final : AppliedStep {
    Applied(RecordingBackend& b, std::string n) : b(b), netns(std::move(n)) {}
    std::vector<std::string> revert() override {
      b.log.push_back("revert " + netns);
      return {};
    }
    RecordingBackend& b;
    std::string netns;
  };
  struct Prepared final : PreparedStep {
    Prepared(RecordingBackend& b, std::string n) : b(b), netns(std::move(n)) {}
    std::unique_ptr<AppliedStep> commit() override {
      if (b.fail_commit) throw std::runtime_error("netlink said no");
      b.log.push_back("commit " + netns);
      return std::make_unique<Applied>(b, netns);
    }
    RecordingBackend& b;
    std::string netns;
  };
};

struct ManualClock {
  std::chrono::steady_clock::time_point now{};
  void advance(std::chrono::milliseconds d) { now += d; }
};

json route_step(const std::string& netns) {
  return step_to_json(PlanStep{
      RouteStep{netns, {"198.18.2.0/24", std::nullopt, injector::RouteType::blackhole, 10}}});
}

struct CoreFixture {
  RecordingBackend backend;
  ManualClock clock;
  AgentCore core{backend, "node-1", [this] { return clock.now; }};
  AgentCore::Session session{"test", ""};
  std::uint64_t next_id = 1;

  json ask(const std::string& op, json fields = json::object()) {
    fields["op"] = op;
    fields["id"] = next_id++;
    json answer = core.handle(session, fields);
    CHECK(answer.at("id") == fields.at("id"));
    return answer;
  }
  std::uint64_t apply(const std::string& netns) {
    const json prepared = ask("prepare", {{"step", route_step(netns)}});
    REQUIRE(prepared.contains("handle"));
    const json committed = ask("commit", {{"handle", prepared.at("handle")}});
    REQUIRE(committed.contains("applied"));
    return committed.at("applied").get<std::uint64_t>();
  }
};

}  // namespace

TEST_CASE("agent frame: length-prefixed JSON, however the bytes are split") {
  const json a = {{"op", "hello"}, {"id", 1}, {"run", "r"}};
  const json b = {{"op", "renew"}, {"id", 2}};
  const std::string bytes = encode_frame(a) + encode_frame(b);
  CHECK(bytes.substr(0, 4) == std::string("\0\0\0", 3) + char(a.dump().size()));
  FrameReader reader;
  std::vector<json> got;
  for (char c : bytes) {
    reader.feed(&c, 1);
    while (auto m = reader.next()) got.push_back(*m);
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0] == a);
  CHECK(got[1] == b);
}

TEST_CASE("agent frame: an oversized frame or one that is not an object is refused") {
  FrameReader big;
  const char huge[4] = {char(0x7f), 0, 0, 0};
  big.feed(huge, 4);
  CHECK_THROWS_AS(big.next(), FrameError);
  FrameReader list;
  const std::string frame = encode_frame(json::array({1, 2}));
  list.feed(frame.data(), frame.size());
  CHECK_THROWS_AS(list.next(), FrameError);
}

TEST_CASE("agent core: hello, prepare, commit and revert go to the node in order") {
  CoreFixture f;
  json hello = f.ask("hello", {{"run", "run-1"}, {"lease_ms", 3000}});
  CHECK(hello.at("node") == "node-1");
  CHECK(hello.at("agent_version") == kAgentVersion);
  const std::uint64_t applied = f.apply("ns-a");
  CHECK(f.backend.log == std::vector<std::string>{"prepare ns-a", "commit ns-a"});
  CHECK(f.ask("revert", {{"applied", applied}}).at("problems").empty());
  CHECK(f.backend.log.back() == "revert ns-a");
  // Reverted once: a second revert of the same step is refused.
  CHECK(f.ask("revert", {{"applied", applied}}).contains("error"));
}

TEST_CASE("agent core: requests before hello, unknown ops and bad steps get an error") {
  CoreFixture f;
  CHECK_THAT(f.ask("prepare", {{"step", route_step("ns-a")}}).value("error", ""),
             Catch::Contains("hello first"));
  CHECK_THAT(f.ask("teleport").value("error", ""), Catch::Contains("teleport"));
  f.ask("hello", {{"run", "run-1"}});
  CHECK_THAT(f.ask("prepare", {{"step", {{"kind", "route"}}}}).value("error", ""),
             Catch::Contains("missing \"route\""));
  CHECK_THAT(f.ask("commit", {{"handle", 99}}).value("error", ""), Catch::Contains("99"));
  json clock = step_to_json(PlanStep{ClockStep{"r", "", Duration(100), 0}});
  CHECK_THAT(f.ask("prepare", {{"step", clock}}).value("error", ""),
             Catch::Contains("not offered"));
  CHECK_THAT(f.ask("hello", {{"run", "run-2"}}).value("error", ""), Catch::Contains("run-1"));
  CHECK(f.backend.log.empty());
}

TEST_CASE("agent core: a failed commit leaves nothing to revert") {
  CoreFixture f;
  f.ask("hello", {{"run", "run-1"}, {"lease_ms", 1000}});
  f.backend.fail_commit = true;
  const json prepared = f.ask("prepare", {{"step", route_step("ns-a")}});
  CHECK_THAT(f.ask("commit", {{"handle", prepared.at("handle")}}).value("error", ""),
             Catch::Contains("netlink said no"));
  f.clock.advance(std::chrono::milliseconds(1500));
  f.core.expire();
  CHECK(f.backend.log == std::vector<std::string>{"prepare ns-a"});
}

TEST_CASE("agent core: an expired lease reverts the run's steps newest first and forgets it") {
  CoreFixture f;
  f.ask("hello", {{"run", "run-1"}, {"lease_ms", 1000}});
  f.apply("ns-a");
  f.apply("ns-b");
  f.ask("prepare", {{"step", route_step("ns-c")}});  // prepared, never committed
  f.backend.log.clear();
  f.clock.advance(std::chrono::milliseconds(999));
  CHECK(f.core.expire().empty());
  CHECK(f.backend.log.empty());
  f.clock.advance(std::chrono::milliseconds(1));
  const auto lines = f.core.expire();
  CHECK(f.backend.log == std::vector<std::string>{"revert ns-b", "revert ns-a"});
  REQUIRE(lines.size() == 3);
  CHECK_THAT(lines[0], Catch::Contains("lease expired") && Catch::Contains("2 applied"));
  CHECK_THAT(lines[1], Catch::Contains("ns-b"));
  CHECK(f.core.runs().empty());
  // The controller, if it comes back, learns why.
  CHECK_THAT(f.ask("renew").value("error", ""), Catch::Contains("expired"));
}

TEST_CASE("agent core: renewals and any other request keep the lease") {
  CoreFixture f;
  f.ask("hello", {{"run", "run-1"}, {"lease_ms", 1000}});
  f.apply("ns-a");
  for (int i = 0; i < 10; ++i) {
    f.clock.advance(std::chrono::milliseconds(600));
    f.core.expire();
    i % 2 ? f.ask("renew") : f.ask("inventory");
  }
  CHECK(f.core.runs().at("run-1") == 1);
  CHECK(f.backend.log.back() == "commit ns-a");
}

TEST_CASE("agent core: the time a slow request takes counts against no lease") {
  CoreFixture f;
  AgentCore::Session other{"other", ""};
  f.core.handle(other, {{"op", "hello"}, {"id", 1}, {"run", "run-2"}, {"lease_ms", 1000}});
  f.ask("hello", {{"run", "run-1"}, {"lease_ms", 1000}});
  f.apply("ns-a");
  f.backend.on_container = [&f] { f.clock.advance(std::chrono::milliseconds(4000)); };
  f.ask("container", {{"action", "restart"}, {"container", "slow"}});
  f.clock.advance(std::chrono::milliseconds(900));
  CHECK(f.core.expire().empty());
  CHECK(f.core.runs().size() == 2);
  f.clock.advance(std::chrono::milliseconds(100));
  CHECK(!f.core.expire().empty());
  CHECK(f.core.runs().empty());
}

TEST_CASE("agent core: bye reverts everything at once and ends the lease") {
  CoreFixture f;
  f.ask("hello", {{"run", "run-1"}});
  f.apply("ns-a");
  f.apply("ns-b");
  CHECK(f.ask("bye").at("problems").empty());
  CHECK(f.backend.log == std::vector<std::string>{"prepare ns-a", "commit ns-a", "prepare ns-b",
                                                  "commit ns-b", "revert ns-b", "revert ns-a"});
  CHECK(f.core.runs().empty());
  CHECK(f.backend.actuators == 0);  // what the run's faults shared went with it
  f.clock.advance(std::chrono::hours(1));
  CHECK(f.core.expire().empty());
}

TEST_CASE("agent core: each run gets its own actuator, with the engine and seed it asked for") {
  CoreFixture f;
  AgentCore::Session other{"other", ""};
  f.ask("hello", {{"run", "run-1"}});
  f.core.handle(
      other, {{"op", "hello"}, {"id", 1}, {"run", "run-2"}, {"engine", "nfqueue"}, {"seed", 42}});
  CHECK(f.backend.engines == std::vector<std::string>{"auto/1", "nfqueue/42"});
  CHECK(f.backend.actuators == 2);
  CHECK_THAT(
      f.core.handle(other, {{"op", "hello"}, {"id", 2}, {"run", "run-2"}, {"engine", "auto"}})
          .value("error", ""),
      Catch::Contains("engine nfqueue"));
  AgentCore::Session third{"third", ""};
  CHECK_THAT(f.core.handle(third, {{"op", "hello"}, {"id", 3}, {"run", "run-3"}, {"engine", "tc"}})
                 .value("error", ""),
             Catch::Contains("auto, netem or nfqueue"));
  f.clock.advance(std::chrono::milliseconds(3000));
  f.core.expire();
  CHECK(f.backend.actuators == 0);
}

TEST_CASE("agent core: process steps act on the container the controller names, and revert") {
  CoreFixture f;
  f.ask("hello", {{"run", "run-1"}, {"lease_ms", 500}});
  json kill = step_to_json(PlanStep{ProcessStep{ProcessAction::kill, "eu", "db"}});
  CHECK_THAT(f.ask("prepare", {{"step", kill}}).value("error", ""), Catch::Contains("container"));
  json h = f.ask("prepare", {{"step", kill}, {"container", "c0ffee"}});
  CHECK(f.ask("commit", {{"handle", h.at("handle")}}).at("applied") != 0);
  json restart = step_to_json(PlanStep{ProcessStep{ProcessAction::restart, "eu", "db"}});
  h = f.ask("prepare", {{"step", restart}, {"container", "beef"}});
  CHECK(f.ask("commit", {{"handle", h.at("handle")}}).at("applied") == 0);
  f.clock.advance(std::chrono::milliseconds(500));
  f.core.expire();
  CHECK(f.backend.log == std::vector<std::string>{"kill c0ffee", "restart beef", "start c0ffee"});
}

TEST_CASE("agent core: container actions and sweep need no run") {
  CoreFixture f;
  CHECK(!f.ask("container", {{"action", "pause"}, {"container", "abc"}}).contains("error"));
  CHECK(f.ask("container", {{"action", "explode"}, {"container", "abc"}}).contains("error"));
  CHECK(f.ask("sweep").at("removed").size() == 1);
  CHECK(f.backend.log == std::vector<std::string>{"pause abc", "sweep"});
}

TEST_CASE("agent core: a sweep is refused while a run holds a lease") {
  CoreFixture f;
  f.ask("hello", {{"run", "run-1"}, {"lease_ms", 1000}});
  CHECK_THAT(f.ask("sweep").value("error", ""), Catch::Contains("run-1 holds a lease"));
  f.clock.advance(std::chrono::milliseconds(1000));
  f.core.expire();
  CHECK(f.ask("sweep").at("removed").size() == 1);
}

TEST_CASE("agent certs: node names and addresses are checked") {
  CHECK(parse_agent_name("node-1=198.18.0.2").address == "198.18.0.2");
  CHECK(parse_agent_name("n2").address.empty());
  CHECK_THROWS_WITH(parse_agent_name("a/b"), Catch::Contains("--agent a/b"));
  CHECK_THROWS_WITH(parse_agent_name("n=example.com"), Catch::Contains("not an IP address"));
}

namespace {

// A TLS 1.3 client with no certificate: whether the agent ever answers it.
bool bare_client_answered(int port) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  bool answered = false;
  if (SSL_connect(ssl) == 1) {
    const std::string hello = encode_frame({{"op", "hello"}, {"id", 1}, {"run", "intruder"}});
    char buf[64];
    answered =
        SSL_write(ssl, hello.data(), int(hello.size())) > 0 && SSL_read(ssl, buf, sizeof buf) > 0;
  }
  SSL_free(ssl);
  ::close(fd);
  SSL_CTX_free(ctx);
  return answered;
}

// Two CAs' worth of certificates in a temporary folder, and an agent
// serving the recording backend on 127.0.0.1.
struct TlsFixture {
  std::string node;
  fs::path dir;
  RecordingBackend backend;
  AgentCore core;
  std::atomic<bool> stop{false};
  std::unique_ptr<AgentServer> server;
  std::thread thread;

  // An agent for `node` on 127.0.0.1; with `same_ca`, its certificate comes
  // from that fixture's CA "a", so one controller certificate serves both.
  explicit TlsFixture(std::string node_name = "node-1", const TlsFixture* same_ca = nullptr)
      : node(std::move(node_name)),
        dir(fs::temp_directory_path() /
            ("fl-agent-test-" + std::to_string(::getpid()) + "-" + node)),
        core(backend, node) {
    fs::remove_all(dir);
    if (same_ca) {
      fs::create_directories(dir / "a");
      for (const char* f : {"ca.pem", "ca-key.pem"})
        fs::copy_file(same_ca->dir / "a" / f, dir / "a" / f);
    }
    make_certificates((dir / "a").string(), {{node, "127.0.0.1"}});
    make_certificates((dir / "b").string(), {{node, ""}});
    server = std::make_unique<AgentServer>(
        core,
        TlsContext::for_agent(pem("a", "ca"), pem("a", "agent-" + node),
                              pem("a", "agent-" + node + "-key")),
        TcpListener::bind("127.0.0.1:0"));
    thread = std::thread([this] { server->run(stop, std::chrono::milliseconds(10)); });
  }
  ~TlsFixture() {
    stop = true;
    thread.join();
    server.reset();
    fs::remove_all(dir);
  }
  std::string pem(const std::string& ca, const std::string& stem) const {
    return (dir / ca / (stem + ".pem")).string();
  }
  AgentEndpoint endpoint() const { return {node, "127.0.0.1", server->port()}; }
  AgentTls tls(const std::string& ca, const std::string& who) const {
    return {pem("a", "ca"), pem(ca, who), pem(ca, who + "-key")};
  }
};

}  // namespace

TEST_CASE("agent tls: the controller's certificate from the agent's CA is served") {
  TlsFixture f;
  AgentClient client(f.endpoint(), f.tls("a", "controller"));
  CHECK(client.hello("run-1", std::chrono::milliseconds(2000)).at("node") == "node-1");
  CHECK(client.inventory().at("containers").empty());
  const std::uint64_t handle = client.prepare(
      PlanStep{RouteStep{"ns-a", {"198.18.2.0/24", std::nullopt, injector::RouteType::blackhole}}});
  const std::uint64_t applied = client.commit(handle);
  CHECK(client.revert(applied).empty());
  CHECK_THROWS_WITH(client.revert(applied),
                    Catch::Contains("node-1") && Catch::Contains("no applied step"));
  client.bye();
  CHECK(f.backend.log == std::vector<std::string>{"prepare ns-a", "commit ns-a", "revert ns-a"});
}

TEST_CASE("agent tls: with exact_node, the agent must hold its own node's certificate") {
  TlsFixture f;
  AgentTls tls = f.tls("a", "controller");
  tls.exact_node = true;
  CHECK_NOTHROW(AgentClient(f.endpoint(), tls));
  CHECK_THROWS_WITH(AgentClient(AgentEndpoint{"node-2", "127.0.0.1", f.server->port()}, tls),
                    Catch::Contains("faultline-agent-node-1, not faultline-agent-node-2"));
  tls.exact_node = false;
  CHECK_NOTHROW(AgentClient(AgentEndpoint{"node-2", "127.0.0.1", f.server->port()}, tls));
}

TEST_CASE("agent tls: another CA's certificate, an agent's certificate or none is refused") {
  TlsFixture f;
  // A controller certificate of another CA.
  CHECK_THROWS_AS(AgentClient(f.endpoint(), AgentTls{f.pem("a", "ca"), f.pem("b", "controller"),
                                                     f.pem("b", "controller-key")})
                      .hello("r", std::chrono::seconds(1)),
                  AgentError);
  // An agent's key presented as the controller.
  CHECK_THROWS_AS(
      AgentClient(f.endpoint(), f.tls("a", "agent-node-1")).hello("r", std::chrono::seconds(1)),
      AgentError);
  // No certificate at all: a bare TLS client gets no answer.
  CHECK(!bare_client_answered(f.server->port()));
  // And the controller refuses a server that is not an agent: one that
  // presents the controller's own certificate.
  {
    RecordingBackend other;
    AgentCore core(other, "impostor");
    std::atomic<bool> stop{false};
    AgentServer impostor(core,
                         TlsContext::for_agent(f.pem("a", "ca"), f.pem("a", "controller"),
                                               f.pem("a", "controller-key")),
                         TcpListener::bind("127.0.0.1:0"));
    std::thread t([&] { impostor.run(stop, std::chrono::milliseconds(10)); });
    CHECK_THROWS_WITH(AgentClient(AgentEndpoint{"node-x", "127.0.0.1", impostor.port()},
                                  f.tls("a", "controller")),
                      Catch::Contains("node-x"));
    stop = true;
    t.join();
  }
  CHECK(f.backend.log.empty());
  CHECK(f.core.runs().empty());
}

namespace {

class TwoNodes final : public AgentDirectory {
 public:
  std::string node_of_netns(const std::string& netns) const override {
    return netns.rfind("ns-", 0) == 0 ? "node-1" : "node-2";
  }
  std::pair<std::string, std::string> container_of(const std::string& region,
                                                   const std::string& service) const override {
    return {"node-1", service + "." + region};
  }
};

}  // namespace

TEST_CASE("remote actuator: steps go to their node's agent, renewals keep the lease, bye reverts") {
  TlsFixture f;
  TwoNodes directory;
  {
    RemoteActuator actuator(directory, {{"node-1", f.endpoint()}}, f.tls("a", "controller"),
                            std::chrono::milliseconds(600), "run-remote");
    auto route = actuator.prepare(PlanStep{
        RouteStep{"ns-a", {"198.18.2.0/24", std::nullopt, injector::RouteType::blackhole}}});
    auto applied = route->commit();
    REQUIRE(applied);
    auto kill = actuator.prepare(PlanStep{ProcessStep{ProcessAction::kill, "eu", "db"}})->commit();
    REQUIRE(kill);
    // Two and a half leases: renewals every 150 ms keep it (with a margin
    // of 450 ms for a loaded machine).
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(f.core.runs().at("run-remote") == 2);
    CHECK(applied->revert().empty());
    // A namespace of a node without an agent: refused, naming the ones there are.
    CHECK_THROWS_WITH(actuator.prepare(PlanStep{RouteStep{"other", {"198.18.3.0/24"}}}),
                      Catch::Contains("node-2 has no agent") && Catch::Contains("node-1"));
    CHECK_THROWS_AS(actuator.prepare(PlanStep{ClockStep{"eu", "", Duration(10), 0}}),
                    std::invalid_argument);
  }
  // The destructor said bye: the kill was reverted (started), the lease ended.
  CHECK(f.backend.log == std::vector<std::string>{"prepare ns-a", "commit ns-a", "kill db.eu",
                                                  "revert ns-a", "start db.eu"});
  CHECK(f.core.runs().empty());
}

TEST_CASE("remote actuator: a controller that stops renewing loses its faults to the lease") {
  TlsFixture f;
  TwoNodes directory;
  auto client = std::make_unique<AgentClient>(f.endpoint(), f.tls("a", "controller"));
  client->hello("run-silent", std::chrono::milliseconds(200));
  client->commit(client->prepare(PlanStep{
      RouteStep{"ns-a", {"198.18.2.0/24", std::nullopt, injector::RouteType::blackhole}}}));
  // Silent, connection open: no renewal.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(f.core.runs().empty());
  CHECK(f.backend.log.back() == "revert ns-a");
  CHECK_THROWS_WITH(client->renew(), Catch::Contains("expired"));
}

TEST_CASE(
    "remote actuator: a fault over two nodes commits each node's steps in order, side by side") {
  TlsFixture one;
  TlsFixture two("node-2", &one);
  TwoNodes directory;  // ns-* on node-1, the rest on node-2
  RemoteActuator actuator(directory, {{"node-1", one.endpoint()}, {"node-2", two.endpoint()}},
                          one.tls("a", "controller"), std::chrono::milliseconds(2000), "run-two");
  auto route = [](const std::string& netns) {
    return PlanStep{
        RouteStep{netns, {"198.18.2.0/24", std::nullopt, injector::RouteType::blackhole}}};
  };
  std::vector<std::unique_ptr<PreparedStep>> steps;
  for (const char* netns : {"ns-a", "other-a", "ns-b", "other-b"})
    steps.push_back(actuator.prepare(route(netns)));
  std::exception_ptr error;
  auto committed = actuator.commit_all(steps, error);
  CHECK_FALSE(error);
  CHECK(committed.size() == 4);
  CHECK(one.backend.log ==
        std::vector<std::string>{"prepare ns-a", "prepare ns-b", "commit ns-a", "commit ns-b"});
  CHECK(two.backend.log == std::vector<std::string>{"prepare other-a", "prepare other-b",
                                                    "commit other-a", "commit other-b"});
  for (auto& c : committed) CHECK(c->revert().empty());

  // One node refuses: the other's steps are committed all the same and
  // handed back, so the caller reverts them; the refusal is the error.
  two.backend.fail_commit = true;
  steps.clear();
  for (const char* netns : {"ns-c", "other-c"}) steps.push_back(actuator.prepare(route(netns)));
  committed = actuator.commit_all(steps, error);
  REQUIRE(error);
  CHECK_THROWS_WITH(std::rethrow_exception(error), Catch::Contains("netlink said no"));
  REQUIRE(committed.size() == 1);
  CHECK(one.backend.log.back() == "commit ns-c");
  CHECK(committed[0]->revert().empty());
  CHECK(one.backend.log.back() == "revert ns-c");
}
