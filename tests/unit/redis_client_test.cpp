// The built-in Redis client: its requests and reply mapping as values, RESP
// through hiredis, then the client against real redis-servers on 127.0.0.1
// (a primary and its replica, each on a free port, started and stopped
// here): reads, writes, cas by script, sets, list transactions, READONLY
// from the replica, a refused connection, and a stopped server that makes a
// write info, a read fail, and the next operation reconnect.
#include "controllers/workload/redis_client.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "controllers/experiment/parse.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/topology/plan.hpp"
#include "controllers/workload/client_program.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using Kind = RedisReply::Kind;
using nlohmann::json;

namespace {

Operation op(const std::string& f, json value) {
  return {.type = OpType::invoke,
          .process = 3,
          .f = f,
          .value = std::move(value),
          .region = "eu-west-1",
          .session = 3};
}
Operation read_op(const std::string& key) { return op(kReadF, json::array({key, nullptr})); }
Operation write_op(const std::string& key, std::int64_t v) {
  return op(kWriteF, json::array({key, v}));
}
Operation cas_op(const std::string& key, json expected, std::int64_t v) {
  return op(kCasF, json::array({key, json::array({expected, v})}));
}

using Argv = std::vector<std::string>;

Operation complete(const Operation& o, RedisValueType type, std::vector<RedisReply> replies) {
  return redis_completion(o, type, redis_request(o, type), replies);
}

}  // namespace

TEST_CASE("redis client: each operation's commands, and where it goes") {
  using T = RedisValueType;
  CHECK(redis_value_type("register") == T::string);
  CHECK(redis_value_type("kv") == T::string);
  CHECK(redis_value_type("set") == T::set);
  CHECK(redis_value_type("list-append") == T::list);
  CHECK_FALSE(redis_value_type("none"));

  auto read = redis_request(read_op("k1"), T::string);
  CHECK(read.commands == std::vector<Argv>{{"GET", "k1"}});
  CHECK_FALSE(read.writes);
  CHECK(read.read_only);
  CHECK(redis_request(op(kFinalReadF, json::array({"k1", nullptr})), T::string).commands ==
        std::vector<Argv>{{"GET", "k1"}});

  auto write = redis_request(write_op("k1", 3000001), T::string);
  CHECK(write.commands == std::vector<Argv>{{"SET", "k1", "3000001"}});
  CHECK(write.writes);
  CHECK_FALSE(write.read_only);

  CHECK(redis_request(cas_op("k1", nullptr, 7), T::string).commands ==
        std::vector<Argv>{{"EVAL", kRedisCasScript, "1", "k1", "absent", "", "7"}});
  CHECK(redis_request(cas_op("k1", 6, 7), T::string).commands ==
        std::vector<Argv>{{"EVAL", kRedisCasScript, "1", "k1", "equals", "6", "7"}});

  CHECK(redis_request(op("add", json::array({"k2", 9})), T::set).commands ==
        std::vector<Argv>{{"SADD", "k2", "9"}});
  CHECK(redis_request(read_op("k2"), T::set).commands == std::vector<Argv>{{"SMEMBERS", "k2"}});
  CHECK(redis_request(op(kFinalReadF, json::array({"k2", nullptr})), T::list).commands ==
        std::vector<Argv>{{"LRANGE", "k2", "0", "-1"}});

  const json micro = json::parse(R"([["append","k1",5],["r","k2",null],["append","k2",6]])");
  auto txn = redis_request(op("txn", micro), T::list);
  CHECK(txn.commands == std::vector<Argv>{{"MULTI"},
                                          {"RPUSH", "k1", "5"},
                                          {"LRANGE", "k2", "0", "-1"},
                                          {"RPUSH", "k2", "6"},
                                          {"EXEC"}});
  CHECK(txn.writes);
  auto reads_only = redis_request(op("txn", json::parse(R"([["r","k1",null]])")), T::list);
  CHECK_FALSE(reads_only.writes);
  CHECK(reads_only.read_only);

  // A workload's operation the keys do not carry is a bug, said loudly.
  CHECK_THROWS_WITH(redis_request(op("add", json::array({"k1", 1})), T::string),
                    Catch::Contains("register keys take no operation 'add'"));
  CHECK_THROWS(redis_request(cas_op("k1", 1, 2), T::set));
  CHECK_THROWS(redis_request(op("txn", json::parse(R"([["w","k1",1]])")), T::list));
}

TEST_CASE("redis client: RESP through hiredis, both ways") {
  RedisRequest request;
  request.commands = {{"GET", "k1"}, {"SET", "k 2", ""}};
  CHECK(redis_wire(request) ==
        "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n*3\r\n$3\r\nSET\r\n$3\r\nk 2\r\n$0\r\n\r\n");

  std::string problem;
  auto replies = parse_redis_replies(
      "+OK\r\n-READONLY You can't write against a read only replica.\r\n:1\r\n$-1\r\n"
      "*2\r\n$1\r\n5\r\n*1\r\n$2\r\n17\r\n$3\r\nab",  // the last one incomplete
      problem);
  CHECK(problem.empty());
  REQUIRE(replies.size() == 5);
  CHECK((replies[0].kind == Kind::status && replies[0].text == "OK"));
  CHECK((replies[1].kind == Kind::error && replies[1].text.starts_with("READONLY")));
  CHECK((replies[2].kind == Kind::integer && replies[2].integer == 1));
  CHECK(replies[3].kind == Kind::nil);
  REQUIRE(replies[4].kind == Kind::array);
  CHECK(replies[4].elements[0].text == "5");
  CHECK(replies[4].elements[1].elements[0].text == "17");

  parse_redis_replies("?garbage\r\n", problem);
  CHECK_THAT(problem, Catch::Contains("protocol error"));
}

TEST_CASE("redis client: replies complete operations as Jepsen's clients do") {
  using T = RedisValueType;
  const auto READONLY = RedisReply::error("READONLY You can't write against a read only replica.");

  SECTION("register reads, writes, cas") {
    auto r = complete(read_op("k1"), T::string, {RedisReply::string("3000001")});
    CHECK(r.type == OpType::ok);
    CHECK(r.value == json::array({"k1", 3000001}));
    r = complete(read_op("k1"), T::string, {RedisReply::nil()});
    CHECK((r.type == OpType::ok && r.value[1].is_null()));
    r = complete(read_op("k1"), T::string, {RedisReply::string("not a number")});
    CHECK(r.value[1] == "not a number");

    CHECK(complete(write_op("k1", 5), T::string, {RedisReply::status("OK")}).type == OpType::ok);
    r = complete(write_op("k1", 5), T::string, {READONLY});
    CHECK(r.type == OpType::fail);
    CHECK_THAT(r.error, Catch::StartsWith("READONLY"));

    r = complete(cas_op("k1", 4, 5), T::string, {RedisReply::number(1)});
    CHECK(r.type == OpType::ok);
    CHECK(r.value == json::array({"k1", json::array({4, 5})}));  // what was asked
    r = complete(cas_op("k1", 4, 5), T::string, {RedisReply::number(0)});
    CHECK((r.type == OpType::fail && r.error == "precondition"));
    CHECK(complete(cas_op("k1", 4, 5), T::string, {READONLY}).type == OpType::fail);
  }

  SECTION("a reply no such command gives: unknown for a write, a plain failure for a read") {
    auto w = complete(write_op("k1", 5), T::string, {RedisReply::number(3)});
    CHECK(w.type == OpType::info);
    CHECK_THAT(w.error, Catch::Contains("unexpected reply: integer 3"));
    CHECK(complete(read_op("k1"), T::string, {RedisReply::number(3)}).type == OpType::fail);
    CHECK(complete(cas_op("k1", 4, 5), T::string, {RedisReply::number(2)}).type == OpType::info);
    CHECK(complete(write_op("k1", 5), T::string, {}).type == OpType::info);  // no reply at all
  }

  SECTION("sets: members recorded sorted") {
    CHECK(complete(op("add", json::array({"k2", 9})), T::set, {RedisReply::number(0)}).type ==
          OpType::ok);  // already a member: still added
    auto r = complete(read_op("k2"), T::set,
                      {RedisReply::array({RedisReply::string("12"), RedisReply::string("3")})});
    CHECK(r.type == OpType::ok);
    CHECK(r.value == json::parse(R"(["k2", [3, 12]])"));
    r = complete(read_op("k2"), T::set, {RedisReply::array({})});
    CHECK(r.value == json::parse(R"(["k2", []])"));
  }

  SECTION("list-append transactions") {
    const auto micro = json::parse(R"([["append","k1",5],["r","k1",null]])");
    const auto QUEUED = RedisReply::status("QUEUED");
    auto r = complete(
        op("txn", micro), T::list,
        {RedisReply::status("OK"), QUEUED, QUEUED,
         RedisReply::array({RedisReply::number(2), RedisReply::array({RedisReply::string("4"),
                                                                      RedisReply::string("5")})})});
    CHECK(r.type == OpType::ok);
    CHECK(r.value == json::parse(R"([["append","k1",5],["r","k1",[4,5]]])"));

    // A replica refuses the append as it is queued; EXEC discards it all.
    r = complete(
        op("txn", micro), T::list,
        {RedisReply::status("OK"), READONLY, QUEUED,
         RedisReply::error("EXECABORT Transaction discarded because of previous errors.")});
    CHECK(r.type == OpType::fail);
    CHECK_THAT(r.error, Catch::StartsWith("READONLY"));
    r = complete(op("txn", micro), T::list,
                 {RedisReply::status("OK"), QUEUED, QUEUED, RedisReply::nil()});
    CHECK((r.type == OpType::fail && r.error == "transaction aborted"));
    // EXEC runs every command even if one fails: part of it happened.
    r = complete(op("txn", micro), T::list,
                 {RedisReply::status("OK"), QUEUED, QUEUED,
                  RedisReply::array({RedisReply::error("WRONGTYPE Operation against a key"),
                                     RedisReply::array({})})});
    CHECK(r.type == OpType::info);
    CHECK_THAT(r.error, Catch::Contains("part of the transaction ran: WRONGTYPE"));
  }
}

TEST_CASE(
    "redis client: [workload.redis] places writes, reads and final reads; each region's routes") {
  const std::string base = R"(
[experiment]
name = "x"
duration = "5s"
hosts = ["db", "client"]
[[region]]
name = "us-east-1"
geo = "us"
[[region]]
name = "eu-west-1"
geo = "eu"
[[service]]
name = "cache"
host = "db"
command = ["redis-server", "--bind", "{addr}"]
[workload]
kind = "set"
client = "redis"
)";
  auto found = [](const std::string& p, const std::string&) -> std::optional<std::string> {
    return "/usr/bin/" + p;
  };
  const Experiment e = parse_experiment(base + R"(
[workload.redis]
service = "cache"
port = 7000
writes = "us-east-1"
reads = "primary"
final_reads = "local"
)",
                                        "/tmp/x.toml", found);
  CHECK(e.workload.client == "redis");
  CHECK(e.workload.redis.service == "cache");
  CHECK(e.workload.redis.port == 7000);
  CHECK(e.workload.redis.writes == "us-east-1");
  CHECK(e.workload.redis.reads == "primary");
  CHECK(e.workload.redis.final_reads == "local");
  // Without the table: every region's own server, port 6379, service "redis"
  // (which this experiment lacks: refused, naming the key to set).
  try {
    parse_experiment(base, "/tmp/x.toml", found);
    FAIL("the default service 'redis', absent, was accepted");
  } catch (const ExperimentError& err) {
    CHECK_THAT(err.diagnostics().front().message,
               Catch::Contains("talks to service 'redis' by default"));
  }

  const TopologyPlan plan =
      plan_topology("t1", {{"us-east-1", "us"}, {"eu-west-1", "eu"}}, {"db", "client"});
  const std::string us = plan.region("us-east-1").host("db").ipv4;
  const std::string eu = plan.region("eu-west-1").host("db").ipv4;
  auto routes = plan_redis_routes(e.workload.redis, plan, "db");
  const RedisRoutes& from_eu = routes.at("eu-west-1");
  CHECK((from_eu.writes.region == "us-east-1" && from_eu.writes.address == us &&
         from_eu.writes.port == 7000));
  CHECK((from_eu.reads.region == "us-east-1" && from_eu.reads.address == us));  // "primary"
  CHECK((from_eu.final_reads.region == "eu-west-1" && from_eu.final_reads.address == eu));

  RedisClientSpec local;  // the defaults
  routes = plan_redis_routes(local, plan, "db");
  for (const auto& [region, r] : routes) {
    CHECK(r.writes.region == region);
    CHECK(r.reads.region == region);
    CHECK(r.final_reads.region == region);  // where reads go
    CHECK(r.reads.port == 6379);
  }
  local.writes = "us-east-1";
  local.reads = "local";
  routes = plan_redis_routes(local, plan, "db");
  CHECK(routes.at("eu-west-1").writes.address == us);
  CHECK(routes.at("eu-west-1").reads.address == eu);
  CHECK(routes.at("eu-west-1").final_reads.address == eu);  // as reads
}

// --- Against real servers ----------------------------------------------------

namespace {

const char* kRedisServer = "/usr/bin/redis-server";

// A free TCP port on 127.0.0.1 now (the kernel's pick for port 0).
std::uint16_t free_port() {
  injector::FileDescriptor s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  socklen_t length = sizeof(a);
  REQUIRE(::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &length) == 0);
  return ntohs(a.sin_port);
}

// A redis-server of this test's own, on 127.0.0.1, stopped by its destructor
// (ClientProgram kills its process group).
struct LocalRedis {
  std::uint16_t port = free_port();
  std::filesystem::path dir;
  std::unique_ptr<ClientProgram> server;

  explicit LocalRedis(const std::string& name, std::vector<std::string> extra = {}) {
    dir = std::filesystem::temp_directory_path() /
          ("faultline-redis-test-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::create_directories(dir);
    std::vector<std::string> args{
        "--bind", "127.0.0.1",  "--port",       std::to_string(port),
        "--save", "",           "--appendonly", "no",
        "--dir",  dir.string(), "--logfile",    (dir / "redis.log").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    server = std::make_unique<ClientProgram>(kRedisServer, args, ProgramUser{},
                                             (dir / "stderr.log").string());
    // Ready when it answers PING.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string error;
      if (auto c =
              RedisConnection::open(endpoint(), std::chrono::steady_clock::now() + 200ms, error)) {
        RedisRequest ping;
        ping.commands = {{"PING"}};
        if (c->exchange(redis_wire(ping), 1, std::chrono::steady_clock::now() + 200ms).outcome ==
            RedisExchange::Outcome::answered)
          return;
      }
      std::this_thread::sleep_for(20ms);
    }
    FAIL("redis-server on port " << port << " did not answer PING; see " << dir);
  }
  ~LocalRedis() {
    server.reset();
    std::filesystem::remove_all(dir);
  }
  RedisEndpoint endpoint(const std::string& region = "us-east-1") const {
    return {region, "127.0.0.1", port};
  }
};

RedisRoutes all_to(const RedisEndpoint& e) { return {e, e, e}; }

}  // namespace

TEST_CASE(
    "redis client against a real redis-server: registers, sets, lists; a replica refuses writes") {
  if (!std::filesystem::exists(kRedisServer)) {
    WARN("skipped: no " << kRedisServer << " (apt-get install redis-server)");
    return;
  }
  LocalRedis primary("primary", {"--repl-diskless-sync-delay", "0"});
  RedisClient client(all_to(primary.endpoint()), RedisValueType::string, 2000ms);

  auto r = client.invoke(read_op("k1"));
  CHECK(r.type == OpType::ok);
  CHECK(r.value[1].is_null());
  CHECK(r.served_by == "us-east-1");
  CHECK(client.invoke(cas_op("k1", 1, 2)).type == OpType::fail);  // holds nothing
  CHECK(client.invoke(cas_op("k1", nullptr, 3000001)).type == OpType::ok);
  CHECK(client.invoke(cas_op("k1", nullptr, 3000002)).error == "precondition");
  CHECK(client.invoke(read_op("k1")).value[1] == 3000001);
  CHECK(client.invoke(write_op("k1", 3000003)).type == OpType::ok);
  CHECK(client.invoke(cas_op("k1", 3000001, 3000004)).type == OpType::fail);
  CHECK(client.invoke(cas_op("k1", 3000003, 3000004)).type == OpType::ok);
  CHECK(client.invoke(read_op("k1")).value[1] == 3000004);
  CHECK(client.connects() == 1);

  RedisClient sets(all_to(primary.endpoint()), RedisValueType::set, 2000ms);
  CHECK(sets.invoke(op("add", json::array({"s1", 12}))).type == OpType::ok);
  CHECK(sets.invoke(op("add", json::array({"s1", 3}))).type == OpType::ok);
  CHECK(sets.invoke(read_op("s1")).value == json::parse(R"(["s1", [3, 12]])"));
  CHECK(sets.invoke(read_op("s-none")).value == json::parse(R"(["s-none", []])"));

  RedisClient lists(all_to(primary.endpoint()), RedisValueType::list, 2000ms);
  r = lists.invoke(
      op("txn",
         json::parse(R"([["r","l1",null],["append","l1",1],["append","l1",2],["r","l1",null]])")));
  CHECK(r.type == OpType::ok);
  CHECK(r.value ==
        json::parse(R"([["r","l1",[]],["append","l1",1],["append","l1",2],["r","l1",[1,2]]])"));

  // A replica of it: reads what the primary wrote, refuses writes.
  LocalRedis replica("replica", {"--replicaof", "127.0.0.1", std::to_string(primary.port)});
  RedisRoutes split{primary.endpoint("us-east-1"), replica.endpoint("eu-west-1"),
                    replica.endpoint("eu-west-1")};
  RedisClient follower(split, RedisValueType::string, 2000ms);
  CHECK(follower.invoke(write_op("k2", 3000005)).served_by == "us-east-1");
  json seen;
  for (int i = 0; i < 100 && seen != 3000005; ++i, std::this_thread::sleep_for(50ms)) {
    r = follower.invoke(read_op("k2"));
    if (r.type == OpType::ok) seen = r.value[1];
  }
  CHECK(seen == 3000005);
  CHECK(r.served_by == "eu-west-1");
  RedisClient writes_to_replica(all_to(replica.endpoint("eu-west-1")), RedisValueType::string,
                                2000ms);
  r = writes_to_replica.invoke(write_op("k2", 3000006));
  CHECK(r.type == OpType::fail);
  CHECK_THAT(r.error, Catch::StartsWith("READONLY"));
  r = writes_to_replica.invoke(cas_op("k2", 3000005, 3000007));
  CHECK(r.type == OpType::fail);
  CHECK_THAT(r.error, Catch::Contains("READONLY"));
  RedisClient lists_on_replica(all_to(replica.endpoint("eu-west-1")), RedisValueType::list, 2000ms);
  r = lists_on_replica.invoke(op("txn", json::parse(R"([["append","l1",3],["r","l1",null]])")));
  CHECK(r.type == OpType::fail);
  CHECK_THAT(r.error, Catch::StartsWith("READONLY"));
  CHECK(client.invoke(read_op("k2")).value[1] == 3000005);  // the refused write did nothing
}

TEST_CASE(
    "redis client against a real redis-server: refused is fail; a stopped server makes a write "
    "info, a read fail, then a reconnect") {
  if (!std::filesystem::exists(kRedisServer)) {
    WARN("skipped: no " << kRedisServer << " (apt-get install redis-server)");
    return;
  }
  {
    const RedisEndpoint nobody{"us-east-1", "127.0.0.1", free_port()};
    RedisClient client(all_to(nobody), RedisValueType::string, 500ms);
    auto r = client.invoke(write_op("k1", 1));
    CHECK(r.type == OpType::fail);
    CHECK_THAT(r.error, Catch::Contains("Connection refused"));
    CHECK(r.served_by.empty());
  }
  LocalRedis redis("stopped");
  RedisClient client(all_to(redis.endpoint()), RedisValueType::string, 300ms);
  CHECK(client.invoke(write_op("k1", 1)).type == OpType::ok);
  REQUIRE(::kill(redis.server->pid(), SIGSTOP) == 0);
  const auto start = std::chrono::steady_clock::now();
  auto w = client.invoke(write_op("k1", 2));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(w.type == OpType::info);
  CHECK_THAT(w.error, Catch::Contains("no reply in time"));
  CHECK(took >= 300ms);
  CHECK(took < 600ms);  // the operation's deadline, not a socket timeout per read
  CHECK(client.invoke(read_op("k1")).type == OpType::fail);
  REQUIRE(::kill(redis.server->pid(), SIGCONT) == 0);
  std::this_thread::sleep_for(100ms);  // it takes the stale connections' requests first
  auto r = client.invoke(read_op("k1"));
  CHECK(r.type == OpType::ok);
  CHECK(r.value[1] == 2);         // the info write did happen, once the server woke
  CHECK(client.connects() == 3);  // a new connection after each lost reply
}
