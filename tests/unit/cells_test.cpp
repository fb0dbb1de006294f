// Cells of the reference store: the pure decisions (cells.hpp) and a cell
// adopting a failed cell's customers.
#include <catch2/catch.hpp>

#include <boost/beast/http.hpp>
#include <cstdio>
#include <fstream>

#include "targets/kvstore/cells.hpp"
#include "targets/kvstore/region.hpp"
#include "targets/kvstore/topology.hpp"

using namespace faultline::kvstore;
using namespace std::chrono_literals;

TEST_CASE("an assignment is a bare home region or {home, cell}", "[cells]") {
  CHECK(parse_assignment("us-east-1") == Assignment{"us-east-1", ""});
  CHECK(parse_assignment(R"({"home": "us-east-1", "cell": "b"})") == Assignment{"us-east-1", "b"});
  CHECK_FALSE(parse_assignment(""));
  CHECK_FALSE(parse_assignment(R"({"cell": "b"})"));
  CHECK_FALSE(parse_assignment(R"({"home": "us-east-1", "cell": 3})"));
  CHECK_FALSE(parse_assignment("{not json"));
  for (const Assignment& a : {Assignment{"eu-west-1", ""}, Assignment{"eu-west-1", "a"}})
    CHECK(parse_assignment(format_assignment(a)) == a);
}

TEST_CASE("a customer goes to its cell; when it is down, to another after a migration",
          "[cells]") {
  const std::vector<std::string> cells{"a", "b", "c"};
  std::map<std::string, bool> up{{"a", true}, {"b", true}, {"c", true}};
  auto is_up = [&](const std::string& c) { return up.at(c); };
  std::map<std::string, std::string> moved;

  auto choice = choose_cell(cells, "a", moved, is_up);
  REQUIRE(choice);
  CHECK(choice->cell == "a");
  CHECK(choice->migrate_from.empty());

  up["a"] = false;
  choice = choose_cell(cells, "a", moved, is_up);
  REQUIRE(choice);
  CHECK(choice->cell == "b");
  CHECK(choice->migrate_from == "a");
  CHECK(choose_cell(cells, "b", moved, is_up)->migrate_from.empty());  // b's own customers

  // Once moved, a's customers stay in b, even after a comes back: their data
  // lives there now.
  moved["a"] = "b";
  up["a"] = true;
  choice = choose_cell(cells, "a", moved, is_up);
  CHECK(choice->cell == "b");
  CHECK(choice->migrate_from.empty());

  // b fails too: everyone of a and b moves on to c, never back to a, which
  // gave its customers away.
  up["b"] = false;
  choice = choose_cell(cells, "a", moved, is_up);
  CHECK(choice->cell == "c");
  CHECK(choice->migrate_from == "b");

  up["c"] = false;
  up["a"] = false;
  CHECK_FALSE(choose_cell(cells, "a", moved, is_up));
}

TEST_CASE("the static routing table round-trips and is used only when the data is unreadable",
          "[cells]") {
  const StaticRoutes routes{{"us-east-1-c0", {"us-east-1", "a"}},
                            {"eu-west-1-c1", {"eu-west-1", ""}}};
  CHECK(decode_static_routes(encode_static_routes(routes)) == routes);
  CHECK_THROWS(decode_static_routes("{}"));

  const Assignment live{"us-east-1", "b"};
  CHECK(resolve_assignment(RoutingRead::found, live, routes, "us-east-1-c0", true) == live);
  CHECK(resolve_assignment(RoutingRead::unreadable, std::nullopt, routes, "us-east-1-c0", true) ==
        Assignment{"us-east-1", "a"});
  // An answer that the customer is unknown is not overruled by the table.
  CHECK_FALSE(resolve_assignment(RoutingRead::unknown_customer, std::nullopt, routes,
                                 "us-east-1-c0", true));
  CHECK_FALSE(resolve_assignment(RoutingRead::unreadable, std::nullopt, routes, "nobody", true));
  // The no-static-fallback bug: an outage of the routing data is an outage.
  CHECK_FALSE(resolve_assignment(RoutingRead::unreadable, std::nullopt, routes, "us-east-1-c0",
                                 false));
}

TEST_CASE("the topology file names each region's cells", "[cells]") {
  auto t = parse_topology(R"({"regions": [
    {"name": "us-east-1", "geo": "us", "hosts": {"app": {"ipv4": "198.18.1.11"}},
     "cells": [{"name": "a", "host": "app", "port": 8081}, {"name": "b", "host": "app", "port": 8082}]},
    {"name": "eu-west-1", "geo": "eu", "hosts": {"app": {"ipv4": "198.18.2.11"}}}]})");
  REQUIRE(t.at("us-east-1").cells.size() == 2);
  CHECK(t.at("us-east-1").find_cell("b")->port == 8082);
  CHECK(t.at("us-east-1").find_cell("c") == nullptr);
  CHECK(t.at("eu-west-1").cells.empty());
}

namespace {

HttpRequest request(boost::beast::http::verb verb, const std::string& target,
                    const std::string& body = "") {
  HttpRequest r{verb, target, 11};
  r.body() = body;
  r.prepare_payload();
  return r;
}

// Two cells of us-east-1, each with its own memory storage standing for its
// table in the region's database.
struct TwoCells {
  std::map<std::string, MemoryStorage> tables;
  std::unique_ptr<Region> a, b;
  explicit TwoCells(Bug bug = Bug::none) {
    auto topology = parse_topology(R"({"regions": [
      {"name": "us-east-1", "geo": "us", "hosts": {"app": {"ipv4": "198.18.1.11"}}}]})");
    auto config = [&](const std::string& cell) {
      RegionConfig c{.name = "us-east-1", .topology = topology, .bug = bug};
      c.cell = cell;
      // A view of another cell's table, as PostgresStorage opens one.
      struct View : Storage {
        MemoryStorage& of;
        explicit View(MemoryStorage& s) : of(s) {}
        std::size_t merge(const std::vector<Record>& r) override { return of.merge(r); }
        std::optional<Entry> get(DataClass c, const std::string& cu, const std::string& k) override {
          return of.get(c, cu, k);
        }
        std::vector<Record> scan(DataClass c) override { return of.scan(c); }
        bool ping() override { return true; }
      };
      c.cell_storage = [this](const std::string& other) -> std::unique_ptr<Storage> {
        return std::make_unique<View>(tables[other]);
      };
      return c;
    };
    auto quiet = [](const std::string&) {};
    a = std::make_unique<Region>(config("a"), tables["a"], quiet);
    b = std::make_unique<Region>(config("b"), tables["b"], quiet);
  }
};

}  // namespace

TEST_CASE("a cell serves the customers it is sent and names itself", "[cells]") {
  using boost::beast::http::verb;
  TwoCells cells;
  auto put = cells.a->handle(request(verb::put, "/customer/us-east-1-c0/k", "7"));
  REQUIRE(put.result_int() == 200);
  auto body = nlohmann::json::parse(put.body());
  CHECK(body["cell"] == "a");
  CHECK(body["served_by"] == "us-east-1");
  CHECK(cells.tables["b"].scan(DataClass::customer).empty());  // a cell's data is its own
}

TEST_CASE("a cell adopting a failed cell copies its data; newer writes win", "[cells]") {
  using boost::beast::http::verb;
  TwoCells cells;
  cells.a->handle(request(verb::put, "/customer/us-east-1-c0/k1", "old"));
  cells.a->handle(request(verb::put, "/customer/us-east-1-c0/k2", "only-in-a"));
  cells.b->handle(request(verb::put, "/customer/us-east-1-c0/k1", "newer-in-b"));
  auto adopt = cells.b->handle(request(verb::post, "/cells/adopt?from=a"));
  REQUIRE(adopt.result_int() == 200);
  CHECK(nlohmann::json::parse(adopt.body())["records"] == 2);
  auto k2 = nlohmann::json::parse(cells.b->handle(request(verb::get, "/customer/us-east-1-c0/k2")).body());
  CHECK(k2["value"] == "only-in-a");
  CHECK(k2["cell"] == "b");
  auto k1 = nlohmann::json::parse(cells.b->handle(request(verb::get, "/customer/us-east-1-c0/k1")).body());
  CHECK(k1["value"] == "newer-in-b");
  // Asked again (every edge router asks): nothing changes.
  cells.b->handle(request(verb::post, "/cells/adopt?from=a"));
  CHECK(cells.tables["b"].scan(DataClass::customer).size() == 2);
  CHECK(cells.b->handle(request(verb::post, "/cells/adopt?from=b")).result_int() == 400);
  CHECK(cells.b->handle(request(verb::post, "/cells/adopt")).result_int() == 400);
}

TEST_CASE("the migration-drops-data bug adopts the customers without their data", "[cells]") {
  using boost::beast::http::verb;
  TwoCells cells(Bug::migration_drops_data);
  cells.a->handle(request(verb::put, "/customer/us-east-1-c0/k1", "acknowledged"));
  REQUIRE(cells.b->handle(request(verb::post, "/cells/adopt?from=a")).result_int() == 200);
  CHECK(cells.b->handle(request(verb::get, "/customer/us-east-1-c0/k1")).result_int() == 404);
}

TEST_CASE("the region's app answers the routing table for the edges' static copies", "[cells]") {
  using boost::beast::http::verb;
  MemoryStorage storage;
  Region app(RegionConfig{.name = "us-east-1",
                          .topology = parse_topology(R"({"regions": [
      {"name": "us-east-1", "geo": "us", "hosts": {"app": {"ipv4": "198.18.1.11"}}}]})")},
             storage, [](const std::string&) {});
  app.handle(request(verb::put, "/global/customer:c0", R"({"home": "us-east-1", "cell": "a"})"));
  app.handle(request(verb::put, "/global/customer:c1", "us-east-1"));
  app.handle(request(verb::put, "/global/other", "x"));
  // A customer assigned with a cell is known to the app, like one without.
  CHECK(app.handle(request(verb::put, "/customer/c0/k", "1")).result_int() == 200);
  auto table = decode_static_routes(app.handle(request(verb::get, "/routing")).body());
  CHECK(table == StaticRoutes{{"c0", {"us-east-1", "a"}}, {"c1", {"us-east-1", ""}}});
}

// The experiment's side: declaring cells, assigning customers to them, and
// telling the edge routers where each cell is.
#include "controllers/experiment/parse.hpp"
#include "controllers/topology/plan.hpp"
#include "controllers/topology/topology_file.hpp"
#include "controllers/workload/customers.hpp"

namespace {

std::optional<std::string> any_program(const std::string& program, const std::string&) {
  return "/usr/bin/" + program;
}

std::string cells_experiment(const std::string& cells_line, const std::string& cell_b = "b",
                             const std::string& cell_b_health =
                                 R"(health = { path = "/health/deep", port = 8082 })") {
  return R"(
[experiment]
name = "cells"
duration = "10s"
hosts = ["app", "client"]

[[region]]
name = "us-east-1"
geo = "us"

[[service]]
name = "cell-a"
host = "app"
cell = "a"
command = ["faultline-kv"]
health = { path = "/health/deep", port = 8081 }

[[service]]
name = "cell-b"
host = "app"
cell = ")" + cell_b + R"("
command = ["faultline-kv"]
)" + cell_b_health + R"(

[workload]
data = "customers"
customers_per_region = 3
)" + cells_line + "\nservice = \"cell-a\"\nport = 8081\n";
}

std::string first_error(const std::string& text) {
  try {
    faultline::parse_experiment(text, "x.toml", any_program);
  } catch (const faultline::ExperimentError& e) {
    return e.diagnostics().front().to_string();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("customers are assigned to the cells round-robin and the topology names the cells",
          "[cells]") {
  auto e = faultline::parse_experiment(cells_experiment(R"(cells = ["a", "b"])"), "x.toml",
                                       any_program);
  CHECK(e.workload.cells == std::vector<std::string>{"a", "b"});
  CHECK(e.find_service("cell-b")->cell == "b");
  auto customers = faultline::plan_customers(e);
  REQUIRE(customers.size() == 3);
  CHECK(customers[0].cell == "a");
  CHECK(customers[1].cell == "b");
  CHECK(customers[2].cell == "a");
  auto plan = faultline::plan_topology("t1", {{"us-east-1", "us"}}, e.hosts);
  auto topology = parse_topology(faultline::topology_document(plan, e).dump());
  const auto& cells = topology.at("us-east-1").cells;
  REQUIRE(cells.size() == 2);
  CHECK(cells[1].name == "b");
  CHECK(cells[1].host == "app");
  CHECK(cells[1].port == 8082);
}

TEST_CASE("bad cell declarations are one-line errors naming the fix", "[cells]") {
  CHECK(first_error(cells_experiment(R"(cells = ["a"])")) ==
        "x.toml:28:9: service 'cell-b' serves cell 'b', which 'cells' does not list");
  CHECK(first_error(cells_experiment(R"(cells = ["a", "b", "c"])")) ==
        "x.toml:28:9: no service serves cell 'c': add cell = \"c\" to the [[service]] that does");
  CHECK(first_error(cells_experiment(R"(cells = ["a", "b"])", "a")).find(
            "cell 'a' is served by both service 'cell-a' and 'cell-b'") != std::string::npos);
  CHECK(first_error(cells_experiment(R"(cells = ["a", "B"])", "B")).find(
            "must be lowercase letters, digits and '_'") != std::string::npos);
  CHECK(first_error(cells_experiment(R"(cells = ["a", "b"])", "b", "")).find(
            "has no health port") != std::string::npos);
}

// A region with cells on loopback (127.0.0.2, one port each: the app and two
// cells, each with its own memory storage) behind a real GlobalRouter: the
// static routing table and a cell's migration over real HTTP, without root.
#include <random>
#include <thread>

#include "targets/kvstore/http_server.hpp"
#include "targets/kvstore/router.hpp"

namespace {

struct Served {
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  void start(Region& region, unsigned short port) {
    server = std::make_unique<HttpServer>([&region](const HttpRequest& r) { return region.handle(r); },
                                          "127.0.0.2", port);
    thread = std::thread([this] { server->run(); });
  }
  void stop() {
    if (!server) return;
    server->stop();
    thread.join();
    server.reset();
  }
  ~Served() { stop(); }
};

struct LoopbackCells {
  unsigned short port;
  Topology topology;
  std::map<std::string, MemoryStorage> tables;  // "entries" (the app), "a", "b"
  std::unique_ptr<Region> app, a, b;
  Served app_served, a_served, b_served;
  std::string static_path;

  LoopbackCells() {
    std::random_device rd;
    port = static_cast<unsigned short>(20000 + rd() % 20000);
    static_path = "/tmp/faultline-cells-test-" + std::to_string(port) + ".json";
    topology = parse_topology(R"({"regions": [{"name": "us-east-1", "geo": "us",
      "hosts": {"app": {"ipv4": "127.0.0.2"}},
      "cells": [{"name": "a", "host": "app", "port": )" + std::to_string(port + 1) + R"(},
                {"name": "b", "host": "app", "port": )" + std::to_string(port + 2) + "}]}]}");
    auto quiet = [](const std::string&) {};
    app = std::make_unique<Region>(RegionConfig{.name = "us-east-1", .topology = topology, .port = port},
                                   tables["entries"], quiet);
    auto cell = [&](const std::string& name) {
      RegionConfig c{.name = "us-east-1", .topology = topology, .port = port};
      c.cell = name;
      struct View : Storage {
        MemoryStorage& of;
        explicit View(MemoryStorage& s) : of(s) {}
        std::size_t merge(const std::vector<Record>& r) override { return of.merge(r); }
        std::optional<Entry> get(DataClass c, const std::string& cu, const std::string& k) override {
          return of.get(c, cu, k);
        }
        std::vector<Record> scan(DataClass c) override { return of.scan(c); }
        bool ping() override { return true; }
      };
      c.cell_storage = [this](const std::string& other) -> std::unique_ptr<Storage> {
        return std::make_unique<View>(tables[other]);
      };
      return std::make_unique<Region>(c, tables[name], quiet);
    };
    a = cell("a");
    b = cell("b");
    app_served.start(*app, port);
    a_served.start(*a, static_cast<unsigned short>(port + 1));
    b_served.start(*b, static_cast<unsigned short>(port + 2));
  }
  ~LoopbackCells() {
    app_served.stop();
    a_served.stop();
    b_served.stop();
    std::remove(static_path.c_str());
  }
  RouterConfig router_config(Bug bug = Bug::none) const {
    RouterConfig c{.edge = "us-east-1", .topology = topology, .app_port = port};
    c.health_interval = 50ms;
    c.health_timeout = 200ms;
    c.request_timeout = 500ms;
    c.routing_ttl = 50ms;
    c.static_routes_path = static_path;
    c.snapshot_interval = 50ms;
    c.bug = bug;
    return c;
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

TEST_CASE("the router sends customers to their cells and rides out a routing outage on its "
          "static table",
          "[cells][loopback]") {
  using boost::beast::http::verb;
  LoopbackCells cells;
  cells.app->handle(request(verb::put, "/global/customer:c0", R"({"home": "us-east-1", "cell": "a"})"));
  cells.app->handle(request(verb::put, "/global/customer:c1", R"({"home": "us-east-1", "cell": "b"})"));
  for (Bug bug : {Bug::none, Bug::no_static_fallback}) {
    GlobalRouter router(cells.router_config(bug), [](const std::string&) {});
    router.start();
    REQUIRE(eventually([&] { return router.handle(request(verb::get, "/health")).result_int() == 200; }));
    auto put = router.handle(request(verb::put, "/customer/c0/k", "1"));
    REQUIRE(put.result_int() == 200);
    CHECK(nlohmann::json::parse(put.body())["cell"] == "a");
    CHECK(nlohmann::json::parse(router.handle(request(verb::put, "/customer/c1/k", "2")).body())["cell"] == "b");
    REQUIRE(eventually([&] { return std::ifstream(cells.static_path).good(); }));
    std::this_thread::sleep_for(150ms);  // a snapshot with both customers

    cells.app_served.stop();  // the routing data cannot be read
    std::this_thread::sleep_for(100ms);  // past the cached assignments' 50 ms
    auto during = router.handle(request(verb::get, "/customer/c0/k"));
    if (bug == Bug::none) {
      CHECK(during.result_int() == 200);
      CHECK(nlohmann::json::parse(during.body())["value"] == "1");
    } else {
      CHECK(during.result_int() == 503);
    }
    cells.app_served.start(*cells.app, cells.port);
  }
}

TEST_CASE("the router moves a down cell's customers to another cell with their data",
          "[cells][loopback]") {
  using boost::beast::http::verb;
  LoopbackCells cells;
  cells.app->handle(request(verb::put, "/global/customer:c0", R"({"home": "us-east-1", "cell": "a"})"));
  GlobalRouter router(cells.router_config(), [](const std::string&) {});
  router.start();
  REQUIRE(eventually([&] { return router.handle(request(verb::get, "/health")).result_int() == 200; }));
  REQUIRE(router.handle(request(verb::put, "/customer/c0/k", "acknowledged")).result_int() == 200);
  REQUIRE(eventually([&] { return std::ifstream(cells.static_path).good(); }));
  std::this_thread::sleep_for(150ms);  // a static table that knows c0
  cells.a_served.stop();  // cell a dies; its table stays
  REQUIRE(eventually([&] {
    return router.handle(request(verb::get, "/customer/c0/k")).result_int() == 200;
  }));
  auto read = nlohmann::json::parse(router.handle(request(verb::get, "/customer/c0/k")).body());
  CHECK(read["cell"] == "b");
  CHECK(read["value"] == "acknowledged");
  // The routing data now assigns c0 to cell b.
  auto record = cells.tables["entries"].get(DataClass::global, "", "customer:c0");
  REQUIRE(record);
  CHECK(parse_assignment(record->value) == Assignment{"us-east-1", "b"});
  // Cell a returns; its customers stay where their data now is.
  cells.a_served.start(*cells.a, static_cast<unsigned short>(cells.port + 1));
  std::this_thread::sleep_for(300ms);
  CHECK(nlohmann::json::parse(router.handle(request(verb::get, "/customer/c0/k")).body())["cell"] == "b");
}
