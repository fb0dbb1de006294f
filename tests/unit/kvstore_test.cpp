#include <catch2/catch.hpp>

#include "targets/kvstore/bugs.hpp"
#include "targets/kvstore/routing.hpp"
#include "targets/kvstore/storage.hpp"
#include "targets/kvstore/topology.hpp"
#include "targets/kvstore/version.hpp"

using namespace faultline::kvstore;
using namespace std::chrono_literals;

namespace {

Record global(const std::string& key, const std::string& value, std::uint64_t ts,
              const std::string& region) {
  return {DataClass::global, "", key, Entry{value, Version{ts, region}}};
}

Topology four_regions() {
  return parse_topology(R"({"regions": [
    {"name": "us-east-1", "geo": "us", "failover": "us-west-2", "hosts": {"app": {"ipv4": "198.18.1.10"}}},
    {"name": "us-west-2", "geo": "us", "failover": "us-east-1", "hosts": {"app": {"ipv4": "198.18.2.10"}}},
    {"name": "eu-west-1", "geo": "eu", "failover": "eu-central-1", "hosts": {"app": {"ipv4": "198.18.3.10"}}},
    {"name": "eu-central-1", "geo": "eu", "failover": "eu-west-1", "hosts": {"app": {"ipv4": "198.18.4.10"}}}]})");
}

}  // namespace

TEST_CASE("last writer wins by timestamp then by region", "[kvstore]") {
  MemoryStorage store;
  CHECK(store.merge({global("k", "a", 10, "us")}) == 1);
  CHECK(store.merge({global("k", "old", 9, "zz")}) == 0);
  CHECK(store.get(DataClass::global, "", "k")->value == "a");
  CHECK(store.merge({global("k", "tie", 10, "z")}) == 1);  // same time: higher region name wins
  CHECK(store.get(DataClass::global, "", "k")->value == "tie");
  CHECK(store.merge({global("k", "same", 10, "z")}) == 0);  // identical version: idempotent
  CHECK_FALSE(store.get(DataClass::global, "", "missing").has_value());
}

TEST_CASE("replicas merging the same writes in any order agree", "[kvstore]") {
  std::vector<Record> writes{global("k", "1", 5, "eu-west-1"), global("k", "2", 7, "us-east-1"),
                             global("k", "3", 7, "eu-west-1"), global("j", "4", 1, "us-east-1")};
  MemoryStorage forward, backward;
  for (const auto& w : writes) forward.merge({w});
  for (auto it = writes.rbegin(); it != writes.rend(); ++it) backward.merge({*it});
  CHECK(forward.get(DataClass::global, "", "k")->value == "2");  // (7, us) > (7, eu)
  CHECK(backward.get(DataClass::global, "", "k")->value == "2");
  CHECK(forward.scan(DataClass::global).size() == 2);
}

TEST_CASE("data classes keep separate key spaces", "[kvstore]") {
  MemoryStorage store;
  store.merge({{DataClass::customer, "c1", "k", Entry{"mine", {1, "eu-west-1"}}},
               {DataClass::customer, "c2", "k", Entry{"theirs", {1, "eu-west-1"}}},
               {DataClass::ephemeral, "", "k", Entry{"call", {1, "eu-west-1"}}}});
  CHECK(store.get(DataClass::customer, "c1", "k")->value == "mine");
  CHECK(store.get(DataClass::customer, "c2", "k")->value == "theirs");
  CHECK(store.get(DataClass::ephemeral, "", "k")->value == "call");
  CHECK_FALSE(store.get(DataClass::global, "", "k"));
  CHECK(store.scan(DataClass::customer).size() == 2);
}

TEST_CASE("the hybrid clock never goes backwards whatever the wall clock does", "[kvstore]") {
  HybridClock clock;
  CHECK(clock.tick(100) == 100);
  CHECK(clock.tick(50) == 101);  // wall clock stepped back
  clock.observe(500);            // a peer is ahead
  CHECK(clock.tick(200) == 501);
  CHECK(clock.tick(1000) == 1000);
}

TEST_CASE("the lww-wall-clock bug stamps writes with a skewed wall clock", "[kvstore]") {
  HybridClock bare(/*wall_clock_only=*/true);
  bare.observe(500);              // a write from a region whose clock is ahead
  CHECK(bare.tick(200) == 200);   // a later write here is stamped older: it will lose
  CHECK(bare.tick(150) == 150);   // and even goes backwards
}

TEST_CASE("versions print and parse as ts@region", "[kvstore]") {
  Version v{1795795605068126729ull, "eu-west-1"};
  CHECK(format_version(v) == "1795795605068126729@eu-west-1");
  CHECK(parse_version(format_version(v)) == v);
  CHECK_FALSE(parse_version(""));
  CHECK_FALSE(parse_version("12"));
  CHECK_FALSE(parse_version("@eu"));
  CHECK_FALSE(parse_version("12x@eu"));
  CHECK_FALSE(parse_version("12@"));
}

TEST_CASE("a customer's data lives in its home region and that region's failover", "[kvstore]") {
  const Topology t = four_regions();
  CHECK(t.replicas_of("eu-west-1") == std::vector<std::string>{"eu-west-1", "eu-central-1"});
  CHECK(t.at("us-east-1").address("app") == "198.18.1.10");
  CHECK_FALSE(t.at("us-east-1").address("db"));
  CHECK_THROWS(t.at("ap-south-1"));
  CHECK_THROWS(parse_topology(R"({"regions": [{"name": "x"}]})"));
}

TEST_CASE("a region goes down after 3 failed checks and ramps back 10%, 50%, 100%", "[router]") {
  HealthPolicy policy;
  RegionHealth h(&policy);
  const auto t0 = SteadyClock::now();
  CHECK_FALSE(h.record(false, t0));  // failures before the first success do not count
  CHECK_FALSE(h.record(false, t0));
  CHECK_FALSE(h.record(false, t0));
  CHECK(h.up());
  CHECK_FALSE(h.seen_healthy());
  CHECK_FALSE(h.record(true, t0));
  CHECK(h.seen_healthy());
  CHECK(h.share(t0) == 1.0);
  CHECK_FALSE(h.record(false, t0));
  CHECK_FALSE(h.record(false, t0));
  CHECK(h.up());                   // two failures are not enough
  CHECK(h.record(false, t0));      // the third is
  CHECK_FALSE(h.up());
  CHECK(h.share(t0) == 0.0);
  CHECK_FALSE(h.record(true, t0));  // one good check is not enough to come back
  CHECK_FALSE(h.record(false, t0));
  CHECK_FALSE(h.record(true, t0));
  CHECK(h.record(true, t0));
  CHECK(h.up());
  CHECK(h.share(t0) == 0.1);
  CHECK(h.share(t0 + 1999ms) == 0.1);
  CHECK(h.share(t0 + 2s) == 0.5);
  CHECK(h.share(t0 + 4s) == 1.0);
}

TEST_CASE("the router keeps customers in their geo", "[router]") {
  const Topology t = four_regions();
  std::map<std::string, RegionState> states;
  for (const auto& r : t.regions) states[r.name] = {};
  auto health = [&](const std::string& r) { return states.at(r); };
  RouteInput write{.home = "eu-west-1", .edge = "us-east-1", .op = Operation::write, .coin = 0.3};

  CHECK(choose_region(t, write, health) == "eu-west-1");  // home when healthy, from any edge

  states["eu-west-1"].up = false;
  CHECK(choose_region(t, write, health) == "eu-central-1");  // failover in the same geo
  RouteInput buggy = write;
  buggy.any_geo = true;
  CHECK(choose_region(t, buggy, health) == "us-east-1");  // the seeded bug crosses to the US

  states["eu-central-1"].up = false;
  CHECK_FALSE(choose_region(t, write, health));  // nowhere allowed: refuse, never cross geos
}

TEST_CASE("reads prefer the edge's own replica; a ramping home takes its share", "[router]") {
  const Topology t = four_regions();
  std::map<std::string, RegionState> states;
  for (const auto& r : t.regions) states[r.name] = {};
  auto health = [&](const std::string& r) { return states.at(r); };

  RouteInput read{.home = "eu-west-1", .edge = "eu-central-1", .op = Operation::read, .coin = 0.7};
  CHECK(choose_region(t, read, health) == "eu-central-1");  // local replica
  RouteInput far_read = read;
  far_read.edge = "us-east-1";
  CHECK(choose_region(t, far_read, health) == "eu-west-1");  // no replica there: home

  states["eu-west-1"].share = 0.5;  // recovering
  RouteInput write{.home = "eu-west-1", .edge = "eu-west-1", .op = Operation::write, .coin = 0.7};
  CHECK(choose_region(t, write, health) == "eu-central-1");
  write.coin = 0.2;
  CHECK(choose_region(t, write, health) == "eu-west-1");
  states["eu-central-1"].up = false;  // failover gone: home takes everything despite the ramp
  write.coin = 0.9;
  CHECK(choose_region(t, write, health) == "eu-west-1");
}

TEST_CASE("each seeded bug has a name and a home program", "[kvstore]") {
  CHECK(parse_bug("none") == Bug::none);
  CHECK(parse_bug("") == Bug::none);
  CHECK(parse_bug("stale-session") == Bug::stale_session);
  CHECK_FALSE(parse_bug("stale-sessions"));
  auto router = bug_names("faultline-router");
  CHECK(router.at(0) == "none");
  for (const char* name : {"failover-any-geo", "health-ignores-latency", "retry-storm", "no-ramp",
                           "no-static-fallback"})
    CHECK(std::find(router.begin(), router.end(), name) != router.end());
  CHECK(bug_names("faultline-kv").size() == 7);
}

#include <boost/beast/http.hpp>

#include "targets/kvstore/region.hpp"

namespace {

HttpRequest request(boost::beast::http::verb verb, const std::string& target,
                    const std::string& body = "", const std::string& token = "") {
  HttpRequest r{verb, target, 11};
  r.body() = body;
  if (!token.empty()) r.set(kSessionHeader, token);
  r.prepare_payload();
  return r;
}

nlohmann::json body_of(const HttpResponse& r) { return nlohmann::json::parse(r.body()); }

// A region without start(): no replication or anti-entropy threads, so these
// tests send nothing over the network.
struct IsolatedRegion {
  MemoryStorage storage;
  Region region;
  explicit IsolatedRegion(Bug bug = Bug::none)
      : region(RegionConfig{.name = "eu-west-1",
                            .topology = four_regions(),
                            .bug = bug,
                            .session_wait = 30ms},
               storage, [](const std::string&) {}) {}
};

}  // namespace

TEST_CASE("the app serves each data class and names itself and the version", "[kvstore]") {
  using boost::beast::http::verb;
  IsolatedRegion r;
  CHECK(r.region.handle(request(verb::put, "/customer/c1/k", "x")).result_int() == 404);  // unknown
  CHECK(r.region.handle(request(verb::put, "/global/customer:c1", "eu-west-1")).result_int() == 200);
  auto put = r.region.handle(request(verb::put, "/customer/c1/k", "x"));
  REQUIRE(put.result_int() == 200);
  const std::string version = body_of(put)["version"];
  auto get = body_of(r.region.handle(request(verb::get, "/customer/c1/k")));
  CHECK(get["value"] == "x");
  CHECK(get["served_by"] == "eu-west-1");
  CHECK(get["version"] == version);
  CHECK(r.region.handle(request(verb::get, "/customer/c1/nope")).result_int() == 404);
  CHECK(r.region.handle(request(verb::put, "/ephemeral/call-7", "ringing")).result_int() == 200);
  CHECK(r.storage.get(DataClass::ephemeral, "", "call-7")->value == "ringing");
  CHECK(r.region.handle(request(verb::get, "/health/deep")).result_int() == 200);
  // Anti-entropy offers a peer only what it should hold: eu-central-1 is c1's
  // failover region, us-east-1 gets the global data alone.
  CHECK(r.region.records_for("eu-central-1").size() == 2);
  CHECK(r.region.records_for("us-east-1").size() == 1);
}

TEST_CASE("a write passes the session token's version; a read behind it is refused", "[kvstore]") {
  using boost::beast::http::verb;
  IsolatedRegion r;
  r.region.handle(request(verb::put, "/global/customer:c1", "eu-west-1"));
  const std::string future = "99999999999999999999@eu-central-1";
  CHECK(r.region.handle(request(verb::put, "/customer/c1/k", "x", "4000000000000000000@eu-central-1"))
            .result_int() == 200);
  CHECK(r.storage.get(DataClass::customer, "c1", "k")->version.timestamp > 4000000000000000000ull);
  // The home region itself is behind the token: nowhere to forward, so 503
  // rather than a stale answer.
  auto behind = r.region.handle(request(verb::get, "/customer/c1/k", "", "9000000000000000000@eu-central-1"));
  CHECK(behind.result_int() == 503);
}

TEST_CASE("the stale-session bug answers from behind the token", "[kvstore]") {
  using boost::beast::http::verb;
  IsolatedRegion r(Bug::stale_session);
  r.region.handle(request(verb::put, "/global/customer:c1", "eu-west-1"));
  r.region.handle(request(verb::put, "/customer/c1/k", "old"));
  auto stale = r.region.handle(request(verb::get, "/customer/c1/k", "", "9000000000000000000@eu-central-1"));
  CHECK(stale.result_int() == 200);
  CHECK(body_of(stale)["value"] == "old");
}

#include <random>

#include "common/http_client.hpp"
#include "targets/kvstore/http_server.hpp"

namespace {

// Two regions of the reference store on loopback addresses (127.0.0.2 and
// .3, one port), each with its own memory storage: replication, anti-entropy
// and forwarding over real HTTP, without root and without leaving the host.
struct LoopbackPair {
  unsigned short port;
  Topology topology;
  MemoryStorage west_db, central_db;
  std::unique_ptr<Region> west, central;
  std::unique_ptr<HttpServer> west_server, central_server;
  std::thread west_thread, central_thread;

  explicit LoopbackPair(Bug central_bug = Bug::none) {
    std::random_device rd;
    port = static_cast<unsigned short>(20000 + rd() % 20000);
    topology = parse_topology(R"({"regions": [
      {"name": "eu-west-1", "geo": "eu", "failover": "eu-central-1", "hosts": {"app": {"ipv4": "127.0.0.2"}}},
      {"name": "eu-central-1", "geo": "eu", "failover": "eu-west-1", "hosts": {"app": {"ipv4": "127.0.0.3"}}}]})");
    auto config = [&](const std::string& name, Bug bug) {
      RegionConfig c{.name = name, .topology = topology, .port = port, .bug = bug};
      c.session_wait = 200ms;
      c.anti_entropy_interval = 100ms;
      c.replication.flush_interval = 10ms;
      c.replication.give_up_after = 300ms;
      return c;
    };
    auto quiet = [](const std::string&) {};
    west = std::make_unique<Region>(config("eu-west-1", Bug::none), west_db, quiet);
    central = std::make_unique<Region>(config("eu-central-1", central_bug), central_db, quiet);
    west_server = std::make_unique<HttpServer>(
        [this](const HttpRequest& r) { return west->handle(r); }, "127.0.0.2", port);
    central_server = std::make_unique<HttpServer>(
        [this](const HttpRequest& r) { return central->handle(r); }, "127.0.0.3", port);
    west_thread = std::thread([this] { west_server->run(); });
    central_thread = std::thread([this] { central_server->run(); });
    west->start();
    central->start();
  }
  ~LoopbackPair() {
    west_server->stop();
    central_server->stop();
    west_thread.join();
    central_thread.join();
    west.reset();  // stops replication and anti-entropy before the storage goes
    central.reset();
  }
};

template <class Predicate>
bool eventually(Predicate p, std::chrono::milliseconds within = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return p();
}

}  // namespace

TEST_CASE("writes replicate to the customer's replicas and global data everywhere",
          "[kvstore][loopback]") {
  LoopbackPair pair;
  faultline::http::Client west("127.0.0.2", pair.port, 1s);
  REQUIRE(west.request(boost::beast::http::verb::put, "/global/customer:c1", "eu-west-1")
              .response->status == 200);
  REQUIRE(eventually(
      [&] { return pair.central_db.get(DataClass::global, "", "customer:c1").has_value(); }));
  REQUIRE(west.request(boost::beast::http::verb::put, "/customer/c1/k", "v1").response->status == 200);
  CHECK(eventually([&] {
    auto e = pair.central_db.get(DataClass::customer, "c1", "k");
    return e && e->value == "v1";
  }));
  west.request(boost::beast::http::verb::put, "/ephemeral/call", "ringing");
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(pair.central_db.get(DataClass::ephemeral, "", "call"));  // never leaves its region
}

TEST_CASE("anti-entropy repairs what replication never carried", "[kvstore][loopback]") {
  LoopbackPair pair;
  // Written straight into west's database: replication never saw it.
  pair.west_db.merge({global("k", "repaired", 42, "eu-west-1")});
  CHECK(eventually([&] { return pair.central_db.get(DataClass::global, "", "k").has_value(); }));
}

TEST_CASE("with the no-anti-entropy bug the gap stays", "[kvstore][loopback]") {
  LoopbackPair pair(Bug::no_anti_entropy);
  pair.west_db.merge({global("k", "missed", 42, "eu-west-1")});
  std::this_thread::sleep_for(500ms);  // five anti-entropy intervals
  CHECK_FALSE(pair.central_db.get(DataClass::global, "", "k").has_value());
}

TEST_CASE("a replica behind the session token forwards the read to the home region",
          "[kvstore][loopback]") {
  LoopbackPair pair(Bug::no_anti_entropy);  // central stays behind
  pair.west_db.merge({global("customer:c1", "eu-west-1", 1, "eu-west-1")});
  pair.central_db.merge({global("customer:c1", "eu-west-1", 1, "eu-west-1")});
  // Home has version 200; the replica still holds 100 and gets no replication.
  pair.west_db.merge({{DataClass::customer, "c1", "k", Entry{"new", {200, "eu-west-1"}}}});
  pair.central_db.merge({{DataClass::customer, "c1", "k", Entry{"old", {100, "eu-west-1"}}}});
  faultline::http::Client central("127.0.0.3", pair.port, 2s);
  auto fresh = central.get("/customer/c1/k", {{kSessionHeader, "200@eu-west-1"}});
  REQUIRE(fresh.response);
  auto body = nlohmann::json::parse(fresh.response->body);
  CHECK(body["value"] == "new");
  CHECK(body["served_by"] == "eu-west-1");
  auto local = nlohmann::json::parse(central.get("/customer/c1/k").response->body);
  CHECK(local["served_by"] == "eu-central-1");  // no token: the local replica answers
}
