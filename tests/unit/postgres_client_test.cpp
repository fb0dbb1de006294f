// The PostgreSQL client: its pure parts (the connection string, the
// statements of each operation, how a failure completes it), then the client
// against real servers from Debian's PostgreSQL, started for the test on
// 127.0.0.1 by the recipe's own script (targets/postgres-replication/
// faultline-pg-primary), as nobody when the test runs as root. Without PostgreSQL
// installed, those cases say so and pass nothing off as tested.
#include "controllers/workload/postgres_client.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "controllers/experiment/client_kinds.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/topology/plan.hpp"
#include "controllers/workload/client_program.hpp"
#include "injector/file_descriptor.hpp"

using namespace faultline;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

Operation op(const char* f, nlohmann::json value) {
  return {.type = OpType::invoke,
          .process = 4,
          .f = f,
          .value = std::move(value),
          .region = "r1",
          .session = 4};
}
Operation read_op(const std::string& key) { return op(kReadF, {key, nullptr}); }
Operation write_op(const std::string& key, std::int64_t v) { return op(kWriteF, {key, v}); }
Operation cas_op(const std::string& key, nlohmann::json expected, std::int64_t v) {
  return op(kCasF, {key, {expected, v}});
}

PostgresTarget target_for(const std::string& workload) {
  PostgresTarget t;
  t.workload = workload;
  t.statements = default_postgres_statements(workload);
  return t;
}

}  // namespace

TEST_CASE(
    "postgres conninfo: every host in failover order, read-write sessions, the timeout and "
    "isolation as server settings") {
  PostgresTarget t;
  t.hosts = {{"198.18.1.3", 5433, "us-east-1"}, {"198.18.2.3", 5433, "us-west-2"}};
  t.database = "app's";
  t.isolation = "repeatable read";
  t.timeout = 1500ms;
  CHECK(postgres_conninfo(t) ==
        "hostaddr='198.18.1.3,198.18.2.3' port='5433,5433' dbname='app\\'s' user='faultline' "
        "target_session_attrs=read-write application_name=faultline "
        "options='-c statement_timeout=1500 -c default_transaction_isolation=repeatable\\\\ read'");
  // libpq reads it back as written: the escaped space keeps one setting.
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(postgres_conninfo(t).c_str(), &error);
  REQUIRE(options != nullptr);
  std::map<std::string, std::string> parsed;
  for (auto* o = options; o->keyword != nullptr; ++o)
    if (o->val != nullptr) parsed[o->keyword] = o->val;
  PQconninfoFree(options);
  CHECK(parsed["hostaddr"] == "198.18.1.3,198.18.2.3");
  CHECK(parsed["dbname"] == "app's");
  CHECK(parsed["options"] ==
        "-c statement_timeout=1500 -c default_transaction_isolation=repeatable\\ read");
}

TEST_CASE(
    "postgres steps: register read, write and cas each one statement with the key and values as "
    "parameters") {
  const PostgresTarget t = target_for("register");
  auto read = postgres_steps(read_op("k3"), t);
  REQUIRE(read.size() == 1);
  CHECK(read[0].sql == t.statements.read);
  CHECK(read[0].params == std::vector<std::optional<std::string>>{"k3"});
  CHECK(read[0].result == PostgresStep::Result::value);
  CHECK_FALSE(read[0].writes);

  auto write = postgres_steps(write_op("k3", 4000001), t);
  CHECK(write[0].sql == t.statements.write);
  CHECK(write[0].params == std::vector<std::optional<std::string>>{"k3", "4000001"});
  CHECK(write[0].writes);

  auto cas = postgres_steps(cas_op("k3", 4000001, 4000002), t);
  CHECK(cas[0].sql == t.statements.cas);
  CHECK(cas[0].params == std::vector<std::optional<std::string>>{"k3", "4000001", "4000002"});
  CHECK(cas[0].result == PostgresStep::Result::one_row);
  // Expecting nothing: the key must be absent, and the new value goes in.
  auto create = postgres_steps(cas_op("k4", nullptr, 4000003), t);
  CHECK(create[0].sql == t.statements.cas_absent);
  CHECK(create[0].params == std::vector<std::optional<std::string>>{"k4", "4000003"});

  Operation final_read = read_op("k3");
  final_read.f = kFinalReadF;
  CHECK(postgres_steps(final_read, t)[0].sql == t.statements.read);
  CHECK_THROWS_AS(postgres_steps(op("frobnicate", {"k1", 1}), t), std::invalid_argument);
}

TEST_CASE(
    "postgres steps: set adds and reads elements; a list-append txn is BEGIN at the isolation "
    "level, its micro-operations, COMMIT") {
  const PostgresTarget sets = target_for("set");
  CHECK(postgres_steps(op(kAddF, {"k1", 7}), sets)[0].sql == sets.statements.add);
  CHECK(postgres_steps(read_op("k1"), sets)[0].result == PostgresStep::Result::elements);
  CHECK(postgres_steps(read_op("k1"), sets)[0].sql == sets.statements.read_set);

  PostgresTarget lists = target_for("list-append");
  lists.isolation = "serializable";
  const auto steps = postgres_steps(
      op(kTxnF, nlohmann::json::parse(R"([["append","k3",7000001],["r","k1",null]])")), lists);
  REQUIRE(steps.size() == 4);
  CHECK(steps[0].sql == "BEGIN ISOLATION LEVEL SERIALIZABLE");
  CHECK(steps[1].sql == lists.statements.append);
  CHECK(steps[1].params == std::vector<std::optional<std::string>>{"k3", "7000001"});
  CHECK(steps[1].mop == 0);
  CHECK(steps[2].sql == lists.statements.read_list);
  CHECK(steps[2].mop == 1);
  CHECK(steps[3].sql == "COMMIT");
  CHECK(steps[3].commit);
  CHECK(steps[3].writes);  // the transaction appends
  // A final read of a list reads it whole.
  Operation final_read = read_op("k1");
  final_read.f = kFinalReadF;
  CHECK(postgres_steps(final_read, lists)[0].sql == lists.statements.read_list);
  CHECK_THROWS_AS(postgres_steps(op(kTxnF, nlohmann::json::parse(R"([["w","k1",1]])")), lists),
                  std::invalid_argument);
}

TEST_CASE(
    "postgres outcome: fail when it certainly did not happen, info when a write or COMMIT was sent "
    "and the answer lost") {
  struct Case {
    const char* what;
    PostgresFailure failure;
    bool writes;
    OpType want;
  };
  const std::vector<Case> cases{
      {"a read that did not succeed", {.sent = true, .connection_lost = true}, false, OpType::fail},
      {"nothing sent", {.connection_lost = true}, true, OpType::fail},
      {"sent, then the connection lost",
       {.sent = true, .connection_lost = true},
       true,
       OpType::info},
      {"sent, refused: read-only server", {.sent = true, .sqlstate = "25006"}, true, OpType::fail},
      {"sent, statement timeout", {.sent = true, .sqlstate = "57014"}, true, OpType::fail},
      {"sent, then shut down with an error",
       {.sent = true, .connection_lost = true, .sqlstate = "57P01"},
       true,
       OpType::info},
      {"txn lost before COMMIT",
       {.sent = true, .in_transaction = true, .connection_lost = true},
       true,
       OpType::fail},
      {"txn lost after COMMIT",
       {.sent = true, .commit_sent = true, .in_transaction = true, .connection_lost = true},
       true,
       OpType::info},
      {"txn serialization failure at COMMIT",
       {.sent = true, .commit_sent = true, .in_transaction = true, .sqlstate = "40001"},
       true,
       OpType::fail},
      {"txn deadlock",
       {.sent = true, .in_transaction = true, .sqlstate = "40P01"},
       true,
       OpType::fail},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(postgres_outcome(c.failure, c.writes) == c.want);
  }
}

TEST_CASE("postgres integers and the synchronous-replication warning are recognised") {
  CHECK(postgres_integer("4000001") == 4000001);
  CHECK(postgres_integer("-3") == -3);
  CHECK_FALSE(postgres_integer("4x"));
  CHECK_FALSE(postgres_integer(""));
  CHECK_FALSE(postgres_integer(nullptr));
  // syncrep.c's two messages when the wait ends before the standby answers.
  CHECK(
      is_sync_replication_cancel("canceling wait for synchronous replication due to user request"));
  CHECK(
      is_sync_replication_cancel("canceling the wait for synchronous replication and terminating "
                                 "connection due to administrator command"));
  CHECK_FALSE(is_sync_replication_cancel("relation \"registers\" already exists, skipping"));
}

// --- [workload.postgres] -----------------------------------------------------

namespace {

const std::string kHead = R"([experiment]
name = "pg"
duration = "5s"
hosts = ["db", "client"]
[[region]]
name = "us-east-1"
geo = "us"
[[region]]
name = "us-west-2"
geo = "us"
[[region]]
name = "eu-west-1"
geo = "eu"
[[service]]
name = "postgres"
host = "db"
command = ["faultline-pg-server"]
)";

Experiment parsed(const std::string& rest) {
  return parse_experiment(kHead + rest, "x.toml", [](const std::string& p, const std::string&) {
    return std::optional<std::string>("/usr/bin/" + p);
  });
}

std::string errors(const std::string& rest) {
  try {
    parsed(rest);
    return "";
  } catch (const ExperimentError& e) {
    std::string all;
    for (const auto& d : e.diagnostics()) all += d.to_string() + "\n";
    return all;
  }
}

}  // namespace

TEST_CASE(
    "[workload.postgres] is read into the client's options, and the target follows the plan in "
    "failover order") {
  const Experiment e = parsed(R"toml([workload]
kind = "list-append"
client = "postgres"
timeout = "2s"
[workload.postgres]
regions = ["us-west-2", "us-east-1"]
port = 5433
database = "app"
user = "tester"
isolation = "serializable"
statements = { append = "INSERT INTO l VALUES ($1, $2)" }
)toml");
  const PostgresClientSpec& p = e.workload.postgres;
  CHECK(p.service == "postgres");
  CHECK(p.regions == std::vector<std::string>{"us-west-2", "us-east-1"});
  CHECK(p.port == 5433);
  CHECK(p.isolation == "serializable");
  CHECK(p.statements ==
        std::map<std::string, std::string>{{"append", "INSERT INTO l VALUES ($1, $2)"}});

  const TopologyPlan plan =
      plan_topology("t", {{"us-east-1", "us"}, {"us-west-2", "us"}, {"eu-west-1", "eu"}}, e.hosts);
  const PostgresTarget t = postgres_target(e, plan);
  REQUIRE(t.hosts.size() == 2);
  CHECK(t.hosts[0].address == plan.region("us-west-2").host("db").ipv4);
  CHECK(t.hosts[0].region == "us-west-2");
  CHECK(t.hosts[0].port == 5433);
  CHECK(t.hosts[1].region == "us-east-1");
  CHECK(t.database == "app");
  CHECK(t.user == "tester");
  CHECK(t.timeout == 2s);
  CHECK(t.workload == "list-append");
  CHECK(t.statements.append == "INSERT INTO l VALUES ($1, $2)");
  CHECK(t.statements.read_list == default_postgres_statements("list-append").read_list);
  CHECK(t.statements.setup.find("CREATE TABLE IF NOT EXISTS lists") != std::string::npos);

  // Without a table: the service "postgres" in every region, in file order.
  const Experiment plain = parsed("[workload]\nkind = \"register\"\nclient = \"postgres\"\n");
  const PostgresTarget all = postgres_target(plain, plan);
  REQUIRE(all.hosts.size() == 3);
  CHECK(all.hosts[2].region == "eu-west-1");
  CHECK(all.hosts[2].port == 5432);
  CHECK(all.isolation == "read committed");
}

TEST_CASE("[workload.postgres] mistakes are refused with the file, the place and the fix") {
  const std::string w =
      "[workload]\nkind = \"register\"\nclient = \"postgres\"\n[workload.postgres]\n";
  CHECK_THAT(
      errors(w + "regions = [\"us-east-1\", \"ap-south-1\"]\n"),
      Catch::Contains("x.toml:22:11: [workload.postgres] regions: unknown region 'ap-south-1'; "
                      "the regions are 'us-east-1', 'us-west-2' and 'eu-west-1'"));
  CHECK_THAT(errors(w + "regions = [\"us-east-1\", \"us-east-1\"]\n"),
             Catch::Contains("'us-east-1' is listed twice"));
  CHECK_THAT(
      errors(w + "isolation = \"serialisable\"\n"),
      Catch::Contains("unknown isolation level 'serialisable'; did you mean 'serializable'?"));
  CHECK_THAT(
      errors(w + "statements = { append = \"INSERT\" }\n"),
      Catch::Contains("statement 'append' is for kind = \"list-append\", and this workload is "
                      "\"register\""));
  CHECK_THAT(errors(w + "statements = { reed = \"SELECT 1\" }\n"), Catch::Contains("reed"));
  CHECK_THAT(errors(w + "statements = { read = \" \" }\n"),
             Catch::Contains("statement 'read' is empty"));
  CHECK_THAT(
      errors(w + "service = \"pg\"\n"),
      Catch::Contains("client = \"postgres\" connects to the service 'pg', and there is none "
                      "(the services are 'postgres')"));
  CHECK_THAT(errors(w + "hosts = [\"a\"]\n"), Catch::Contains("hosts"));
  // Its table with another client kind.
  CHECK_THAT(errors("[workload]\nkind = \"register\"\nclient = \"exec\"\nprogram = \"c\"\n"
                    "[workload.postgres]\nport = 5433\n"),
             Catch::Contains("[workload.postgres] is for client = \"postgres\""));
}

TEST_CASE("docs/clients.md describes every key of [workload.postgres] and every statement") {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/docs/clients.md");
  const std::string doc(std::istreambuf_iterator<char>(in), {});
  const ClientKind* postgres = find_client_kind("postgres");
  REQUIRE(postgres != nullptr);
  CHECK(postgres->carries("register"));
  CHECK(postgres->carries("list-append"));
  for (const auto& key : postgres->keys) {
    INFO(key.name);
    CHECK(doc.find("| `" + key.name + "` |") != std::string::npos);
    for (const auto& field : key.fields) {
      INFO(field.name);
      CHECK(doc.find("| `" + field.name + "` |") != std::string::npos);
    }
  }
  // The defaults the docs show are the client's.
  for (const std::string workload : {"register", "set", "list-append"})
    CHECK(doc.find(default_postgres_statements(workload).setup) != std::string::npos);
  CHECK(doc.find(default_postgres_statements("register").cas) != std::string::npos);
  // (in a Markdown table, || is written \|\|)
  std::string append = default_postgres_statements("list-append").append;
  append.replace(append.find("||"), 2, "\\|\\|");
  CHECK(doc.find(append) != std::string::npos);
}

// --- Against real servers ----------------------------------------------------

namespace {

const std::string kPrimaryScript =
    // The build directory's copy: user nobody may not reach the source tree
    // (a clone in a home folder).
    (fs::path(FAULTLINE_BINARY).parent_path() / "faultline-pg-primary").string();

bool have_postgres() {
  for (const auto& dir :
       fs::directory_iterator("/usr/lib/postgresql", fs::directory_options::skip_permission_denied))
    if (fs::exists(dir.path() / "bin/postgres")) return true;
  return false;
}

// A port nothing listens on now (the kernel's choice), for a server to take.
std::uint16_t free_port() {
  injector::FileDescriptor s(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &n);
  return ntohs(a.sin_port);
}

// A PostgreSQL server of the test's own, on 127.0.0.1, owned: the
// destructor kills its process group and removes its data.
class TestServer {
 public:
  explicit TestServer(std::vector<std::string> settings) : port_(free_port()) {
    dir_ = fs::temp_directory_path() /
           ("faultline-pg-test-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const ProgramUser user = ::geteuid() == 0 ? lookup_user("nobody") : ProgramUser{};
    if (::geteuid() == 0) ::chown(dir_.c_str(), user.uid, user.gid);
    std::vector<std::string> args{(dir_ / "data").string(), "127.0.0.1", std::to_string(port_),
                                  "-"};
    args.insert(args.end(), settings.begin(), settings.end());
    server_ = std::make_unique<ClientProgram>(kPrimaryScript, args, user, (dir_ / "log").string());
    const std::string ping = "hostaddr=127.0.0.1 port=" + std::to_string(port_) +
                             " user=faultline dbname=postgres connect_timeout=2";
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (PQping(ping.c_str()) != PQPING_OK) {
      if (std::chrono::steady_clock::now() > until || server_->exit_status() != "running") {
        std::ifstream log(dir_ / "log");
        FAIL("the test's PostgreSQL did not start: " << std::string(
                 std::istreambuf_iterator<char>(log), {}));
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  ~TestServer() {
    server_.reset();
    fs::remove_all(dir_);
  }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  fs::path dir_;
  std::unique_ptr<ClientProgram> server_;
};

// Two servers for every case: a writable one and one that only reads (as
// libpq sees a standby: default_transaction_read_only). The writable one
// waits for a synchronous standby only when a session asks
// (synchronous_commit = local unless set), and none ever connects.
struct Servers {
  TestServer writable{{"synchronous_standby_names=absent_standby", "synchronous_commit=local"}};
  TestServer read_only{{"default_transaction_read_only=on"}};
};

Servers* servers() {
  static std::unique_ptr<Servers> started = have_postgres() ? std::make_unique<Servers>() : nullptr;
  return started.get();
}

// Every case starts from empty tables.
PostgresTarget live_target(const std::string& workload) {
  PostgresTarget t = target_for(workload);
  t.hosts = {{"127.0.0.1", servers()->writable.port(), "us-east-1"}};
  t.timeout = 2s;
  const std::string conninfo = "hostaddr=127.0.0.1 port=" + std::to_string(t.hosts[0].port) +
                               " user=faultline dbname=postgres";
  PGconn* c = PQconnectdb(conninfo.c_str());
  PQclear(PQexec(c, "SET client_min_messages = warning"));
  // Sessions of earlier cases may linger on the server: a backend waiting
  // for a synchronous standby keeps its locks after its client is gone.
  PQclear(PQexec(c,
                 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name = 'faultline'"));
  PQclear(PQexec(c, "SET lock_timeout = '5s'"));
  PQclear(PQexec(c, "DROP TABLE IF EXISTS registers, sets, lists"));
  PQfinish(c);
  return t;
}

#define REQUIRE_POSTGRES()                                                           \
  if (servers() == nullptr) {                                                        \
    WARN("SKIPPED: no PostgreSQL server installed (apt-get install postgresql-15)"); \
    return;                                                                          \
  }

}  // namespace

TEST_CASE(
    "postgres client on a real server: register read, write and cas, the table created on first "
    "use") {
  REQUIRE_POSTGRES();
  PostgresClient client(live_target("register"));
  Operation empty = client.invoke(read_op("k1"));
  CHECK(empty.type == OpType::ok);
  CHECK(empty.value == nlohmann::json::array({"k1", nullptr}));
  CHECK(empty.served_by == "us-east-1");
  CHECK(client.invoke(write_op("k1", 4000001)).type == OpType::ok);
  CHECK(client.invoke(read_op("k1")).value == nlohmann::json::array({"k1", 4000001}));
  CHECK(client.invoke(cas_op("k1", 4000001, 4000002)).type == OpType::ok);
  Operation stale = client.invoke(cas_op("k1", 4000001, 4000003));
  CHECK(stale.type == OpType::fail);
  CHECK(stale.error == "precondition");
  CHECK(client.invoke(cas_op("k2", nullptr, 4000004)).type == OpType::ok);    // absent: created
  CHECK(client.invoke(cas_op("k2", nullptr, 4000005)).type == OpType::fail);  // now present
  Operation final_read = read_op("k1");
  final_read.f = kFinalReadF;
  CHECK(client.invoke(final_read).value == nlohmann::json::array({"k1", 4000002}));
  CHECK(client.connections() == 1);  // one connection for the session
}

TEST_CASE(
    "postgres client on a real server: set adds and reads; list-append transactions at "
    "serializable") {
  REQUIRE_POSTGRES();
  PostgresClient sets(live_target("set"));
  CHECK(sets.invoke(op(kAddF, {"k1", 3})).type == OpType::ok);
  CHECK(sets.invoke(op(kAddF, {"k1", 1})).type == OpType::ok);
  CHECK(sets.invoke(read_op("k1")).value == nlohmann::json::parse(R"(["k1",[1,3]])"));
  CHECK(sets.invoke(read_op("k9")).value == nlohmann::json::parse(R"(["k9",[]])"));

  PostgresTarget t = live_target("list-append");
  t.isolation = "serializable";
  PostgresClient lists(t);
  Operation first = lists.invoke(
      op(kTxnF, nlohmann::json::parse(
                    R"([["append","k1",1],["append","k1",2],["r","k1",null],["r","k2",null]])")));
  CHECK(first.type == OpType::ok);
  CHECK(first.value ==
        nlohmann::json::parse(
            R"([["append","k1",1],["append","k1",2],["r","k1",[1,2]],["r","k2",[]]])"));
  // Two sessions read and append the same list at once; one must fail
  // (40001) or both see each other in order: never both ok on the same state.
  PostgresClient other(t);
  CHECK(other.invoke(op(kTxnF, nlohmann::json::parse(R"([["r","k1",null],["append","k1",3]])")))
            .type == OpType::ok);
  CHECK(lists.invoke(op(kTxnF, nlohmann::json::parse(R"([["r","k1",null]])"))).value ==
        nlohmann::json::parse(R"([["r","k1",[1,2,3]]])"));
}

TEST_CASE(
    "postgres client on a real server: serialization failures are fail, and the session goes on") {
  REQUIRE_POSTGRES();
  PostgresTarget t = live_target("list-append");
  t.isolation = "serializable";
  PostgresClient seed(t);
  REQUIRE(seed.invoke(op(kTxnF, nlohmann::json::parse(R"([["append","k1",1],["append","k2",1]])")))
              .type == OpType::ok);
  // Write skew, held open by hand: a transaction reads k1 and k2 and writes
  // k2; meanwhile the client reads both and writes k1. Serializable refuses one.
  const std::string conninfo = "hostaddr=127.0.0.1 port=" + std::to_string(t.hosts[0].port) +
                               " user=faultline dbname=postgres";
  PGconn* c = PQconnectdb(conninfo.c_str());
  PQclear(PQexec(c, "BEGIN ISOLATION LEVEL SERIALIZABLE"));
  PQclear(PQexec(c, "SELECT * FROM lists WHERE k IN ('k1', 'k2')"));
  PQclear(PQexec(c, "UPDATE lists SET elements = elements || 9::bigint WHERE k = 'k2'"));
  PostgresClient client(t);
  Operation mine = client.invoke(
      op(kTxnF, nlohmann::json::parse(R"([["r","k1",null],["r","k2",null],["append","k1",5]])")));
  PGresult* commit = PQexec(c, "COMMIT");
  const bool theirs_ok = PQresultStatus(commit) == PGRES_COMMAND_OK;
  PQclear(commit);
  PQfinish(c);
  CHECK((mine.type == OpType::ok) != theirs_ok);  // exactly one of the two commits
  if (mine.type != OpType::ok) {
    CHECK(mine.type == OpType::fail);
    CHECK(mine.error.rfind("40001", 0) == 0);
  }
  CHECK(client.invoke(op(kTxnF, nlohmann::json::parse(R"([["r","k1",null]])"))).type == OpType::ok);
}

TEST_CASE(
    "postgres client on a real server: hosts in failover order; a silent one and a read-only one "
    "are passed by") {
  REQUIRE_POSTGRES();
  PostgresTarget t = live_target("register");
  // A host that never answers: a listener whose accept queue is full drops
  // every further SYN, as a blackholed region's server would.
  injector::FileDescriptor silent(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(silent.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(silent.get(), 0) == 0);
  socklen_t n = sizeof a;
  ::getsockname(silent.get(), reinterpret_cast<sockaddr*>(&a), &n);
  injector::FileDescriptor filler(::socket(AF_INET, SOCK_STREAM, 0));
  REQUIRE(::connect(filler.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const PostgresHost blackholed{"127.0.0.1", ntohs(a.sin_port), "us-east-1"};
  const PostgresHost standby{"127.0.0.1", servers()->read_only.port(), "eu-west-1"};
  const PostgresHost primary{"127.0.0.1", servers()->writable.port(), "us-west-2"};

  SECTION("the silent host costs its share of the timeout, then the next serves") {
    t.hosts = {blackholed, standby, primary};
    t.timeout = 1500ms;
    PostgresClient client(t);
    const auto started = std::chrono::steady_clock::now();
    Operation w = client.invoke(write_op("k1", 11));
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(w.type == OpType::ok);
    CHECK(w.served_by == "us-west-2");
    CHECK(took >= 400ms);  // a third of 1.5 s on the silent host
    CHECK(took < 1500ms);
    // The connection stays: the next operation costs no connecting.
    const auto again = std::chrono::steady_clock::now();
    CHECK(client.invoke(read_op("k1")).value == nlohmann::json::array({"k1", 11}));
    CHECK(std::chrono::steady_clock::now() - again < 300ms);
    CHECK(client.connections() == 1);
  }
  SECTION("no host accepting writes: fail, within the timeout") {
    t.hosts = {blackholed, standby};
    t.timeout = 800ms;
    PostgresClient client(t);
    const auto started = std::chrono::steady_clock::now();
    Operation w = client.invoke(write_op("k1", 12));
    CHECK(std::chrono::steady_clock::now() - started < 1200ms);
    CHECK(w.type == OpType::fail);  // nothing was sent
    CHECK(w.error.find("no server accepting writes") != std::string::npos);
  }
}

TEST_CASE(
    "postgres client on a real server: a commit still waiting for a synchronous standby is info, "
    "even when the server calls it a success") {
  REQUIRE_POSTGRES();
  PostgresTarget t = live_target("register");
  PostgresClient plain(t);
  REQUIRE(plain.invoke(write_op("k0", 20)).type == OpType::ok);  // the table, committed locally
  // This session's commits wait for the standby that never comes.
  t.statements.setup = "SET synchronous_commit = remote_apply";
  t.timeout = 1500ms;
  PostgresClient client(t);

  // No answer by the deadline: the commit is made locally and may yet be
  // replicated, or lost in a failover.
  Operation waited = client.invoke(write_op("k1", 21));
  CHECK(waited.type == OpType::info);
  CHECK(waited.error.rfind("no answer in time", 0) == 0);

  // A cancel (an operator's, a pooler's) ends the wait, and PostgreSQL
  // answers the commit with success and a warning: still only local.
  const std::string conninfo = "hostaddr=127.0.0.1 port=" + std::to_string(t.hosts[0].port) +
                               " user=faultline dbname=postgres";
  // The first write's backend waits on after its client left; ended first
  // (and waited for), so the cancel below finds only the second.
  PGconn* admin = PQconnectdb(conninfo.c_str());
  PQclear(PQexec(admin,
                 "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                 "WHERE wait_event = 'SyncRep'"));
  PQfinish(admin);
  std::thread canceller([conninfo] {
    PGconn* c = PQconnectdb(conninfo.c_str());
    for (int i = 0; i < 100; ++i) {
      PGresult* r = PQexec(c,
                           "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                           "WHERE wait_event = 'SyncRep' AND application_name = 'faultline'");
      const bool done = PQntuples(r) > 0;
      PQclear(r);
      if (done) break;
      std::this_thread::sleep_for(20ms);
    }
    PQfinish(c);
  });
  Operation cancelled = client.invoke(write_op("k2", 22));
  canceller.join();
  CHECK(cancelled.type == OpType::info);
  CHECK(cancelled.error == "committed locally, synchronous replication not confirmed");

  // Reads wait for nothing, and see the local commits.
  CHECK(client.invoke(read_op("k1")).value == nlohmann::json::array({"k1", 21}));
  CHECK(client.invoke(read_op("k2")).value == nlohmann::json::array({"k2", 22}));
}

TEST_CASE(
    "postgres client on a real server: statements from the experiment replace the defaults; a bad "
    "one fails with its SQLSTATE") {
  REQUIRE_POSTGRES();
  PostgresTarget t = live_target("register");
  t.statements.setup = "CREATE TABLE IF NOT EXISTS kv (name text PRIMARY KEY, body text NOT NULL)";
  t.statements.write =
      "INSERT INTO kv VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body";
  t.statements.read = "SELECT body FROM kv WHERE name = $1";
  PostgresClient client(t);
  CHECK(client.invoke(write_op("k1", 31)).type == OpType::ok);
  CHECK(client.invoke(read_op("k1")).value == nlohmann::json::array({"k1", 31}));
  t.statements.write = "INSERT INTO nowhere VALUES ($1, $2)";
  PostgresClient broken(t);
  Operation w = broken.invoke(write_op("k1", 32));
  CHECK(w.type == OpType::fail);  // the server answered: it did not happen
  CHECK(w.error.rfind("42P01 ", 0) == 0);
  CHECK(broken.invoke(read_op("k1")).type == OpType::ok);  // the connection survives it
  CHECK(broken.connections() == 1);
}
