// The exec client: the protocol's two halves on their own, then a real
// program (tests/clients/misbehaving_client.py) that times out, writes
// garbage, answers the wrong id or exits: each such operation is info, the
// program starts again, and the session goes on.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "controllers/experiment/parse.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/exec_client.hpp"
#include "controllers/workload/register_workload.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

const std::string kMisbehaving = std::string(FAULTLINE_SOURCE_DIR) + "/tests/clients/misbehaving_client.py";

Operation read_op(const std::string& key) {
  return {.type = OpType::invoke, .process = 4, .f = kReadF,
          .value = nlohmann::json::array({key, nullptr}), .region = "r1", .session = 4};
}

Operation write_op(const std::string& key, std::int64_t v) {
  Operation op = read_op(key);
  op.f = kWriteF;
  op.value[1] = v;
  return op;
}

std::string temp_log(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "faultline-exec-test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / (name + ".log")).string();
  std::filesystem::remove(path);
  return path;
}

int lines_in(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("exec protocol: a request carries id, f, key, value and process; a final read goes as a read") {
  const auto w = nlohmann::json::parse(exec_request(write_op("k3", 4000001), 7));
  CHECK(w == nlohmann::json{{"id", 7}, {"f", "write"}, {"key", "k3"}, {"value", 4000001}, {"process", 4}});
  Operation final_read = read_op("k1");
  final_read.f = kFinalReadF;
  CHECK(nlohmann::json::parse(exec_request(final_read, 8))["f"] == "read");
  Operation cas = read_op("k2");
  cas.f = kCasF;
  cas.value = nlohmann::json::array({"k2", nlohmann::json::array({nullptr, 5})});
  CHECK(nlohmann::json::parse(exec_request(cas, 9))["value"] == nlohmann::json::array({nullptr, 5}));
}

TEST_CASE("exec protocol: answers complete the operation; invalid ones name the problem") {
  std::string problem;
  auto read = exec_completion(read_op("k1"), 5, R"({"id":5,"type":"ok","value":42,"served_by":"r2"})", problem);
  REQUIRE(read);
  CHECK(read->type == OpType::ok);
  CHECK(read->value == nlohmann::json::array({"k1", 42}));
  CHECK(read->served_by == "r2");
  auto failed = exec_completion(write_op("k1", 9), 6, R"({"id":6,"type":"fail","error":"refused"})", problem);
  REQUIRE(failed);
  CHECK(failed->type == OpType::fail);
  CHECK(failed->value == nlohmann::json::array({"k1", 9}));  // what was asked stays
  CHECK(failed->error == "refused");
  CHECK(exec_completion(read_op("k1"), 5, R"({"id":5,"type":"info"})", problem)->type == OpType::info);

  CHECK_FALSE(exec_completion(read_op("k1"), 5, "hello", problem));
  CHECK(problem == "not a JSON object");
  CHECK_FALSE(exec_completion(read_op("k1"), 5, R"({"id":6,"type":"ok"})", problem));
  CHECK(problem == "answers id 6, was asked id 5");
  CHECK_FALSE(exec_completion(read_op("k1"), 5, R"({"id":5,"type":"done"})", problem));
  CHECK_FALSE(exec_completion(read_op("k1"), 5, R"({"type":"ok"})", problem));
}

TEST_CASE("exec client: a program that misbehaves costs that operation (info) and a restart, and the session goes on") {
  for (const std::string mode : {"timeout", "garbage", "wrong-id", "exit"}) {
    DYNAMIC_SECTION(mode) {
      const std::string log = temp_log(mode);
      ExecClient client({kMisbehaving, {mode, "3"}, ProgramUser{}, log, 300ms});
      std::vector<OpType> types;
      std::vector<std::string> errors;
      const auto started = std::chrono::steady_clock::now();
      for (int i = 0; i < 7; ++i) {
        const Operation done = client.invoke(i % 2 ? read_op("k1") : write_op("k1", i));
        types.push_back(done.type);
        errors.push_back(done.error);
      }
      const auto took = std::chrono::steady_clock::now() - started;
      // Every third operation of each program: the 3rd, then the 3rd of the
      // next program (the 6th).
      const std::vector<OpType> want{OpType::ok, OpType::ok, OpType::info, OpType::ok,
                                     OpType::ok, OpType::info, OpType::ok};
      CHECK(types == want);
      CHECK(client.starts() == 3);
      CHECK(lines_in(log, "started in mode") == 3);
      CHECK(errors[2].rfind("client ", 0) == 0);
      if (mode == "timeout") {
        CHECK(errors[2] == "client did not answer within 300 ms");
        CHECK(took >= 600ms);
        CHECK(took < 3s);  // two timeouts, not more: no wait past a deadline
      }
      if (mode == "garbage") CHECK(errors[2] == "client wrote an invalid answer (not a JSON object)");
      if (mode == "wrong-id") CHECK(errors[2].find("was asked id 3") != std::string::npos);
      if (mode == "exit") CHECK(errors[2] == "client exited");
    }
  }
}

TEST_CASE("exec client: a program that cannot start makes each operation info, and faultline goes on") {
  const std::string log = temp_log("missing");
  ExecClient client({"/nonexistent/client", {}, ProgramUser{}, log, 300ms});
  CHECK(client.invoke(read_op("k1")).type == OpType::info);
  CHECK(client.invoke(write_op("k1", 1)).type == OpType::info);
  CHECK(lines_in(log, "cannot execute the client program") == 2);
}

TEST_CASE("exec client: [workload] client = \"exec\" reads program, args and user; a missing program is refused") {
  const std::string base = R"(
[experiment]
name = "x"
duration = "5s"
[[region]]
name = "us-east-1"
geo = "us"
[[service]]
name = "redis"
host = "db"
command = ["redis-server", "--bind", "{addr}"]
[workload]
kind = "register"
client = "exec"
program = "clients/redis_register.py"
args = ["{addr:db@us-east-1}", "6379", "{region}"]
user = "nobody"
)";
  auto found = [](const std::string& p, const std::string&) -> std::optional<std::string> {
    if (p == "clients/redis_register.py") return "/abs/clients/redis_register.py";
    return "/usr/bin/" + p;
  };
  const Experiment e = parse_experiment(base, "/tmp/x.toml", found);
  CHECK(e.workload.kind == "register");
  CHECK(e.workload.client == "exec");
  CHECK(e.workload.exec.program == "/abs/clients/redis_register.py");
  CHECK(e.workload.exec.args == std::vector<std::string>{"{addr:db@us-east-1}", "6379", "{region}"});
  CHECK(e.workload.exec.user == "nobody");

  auto none = [](const std::string& p, const std::string&) -> std::optional<std::string> {
    if (p == "redis-server") return "/usr/bin/redis-server";
    return std::nullopt;
  };
  try {
    parse_experiment(base, "/tmp/x.toml", none);
    FAIL("a missing client program was accepted");
  } catch (const ExperimentError& err) {
    std::ostringstream all;
    for (const auto& d : err.diagnostics()) all << d.message << "\n";
    CHECK(all.str().find("client program 'clients/redis_register.py' not found") != std::string::npos);
  }
  std::string bad_region = base;
  bad_region.replace(bad_region.find("@us-east-1"), 10, "@mars-1");
  CHECK_THROWS_AS(parse_experiment(bad_region, "/tmp/x.toml", found), ExperimentError);
  std::string kv_register = base;
  kv_register.replace(kv_register.find("client = \"exec\"\nprogram"), 16, "");
  CHECK_THROWS_AS(parse_experiment(kv_register, "/tmp/x.toml", found), ExperimentError);
}

TEST_CASE("register generator: deterministic per seed and session, unique values, cas expects its own last write") {
  auto run = [](std::uint64_t seed, std::int64_t session) {
    RegisterGenerator g(seed, session, {"k0", "k1", "k2"}, 0.3);
    SessionState s{.session = session, .process = session, .region = "r"};
    std::vector<Operation> ops;
    for (int i = 0; i < 200; ++i) ops.push_back(*g.next(s));
    return ops;
  };
  const auto a = run(5, 2), b = run(5, 2), c = run(6, 2);
  std::vector<std::string> fa, fc;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].value == b[i].value);
    fa.push_back(a[i].f);
    fc.push_back(c[i].f);
  }
  CHECK(fa != fc);
  std::set<std::int64_t> values;
  std::map<std::string, nlohmann::json> last;
  int reads = 0, writes = 0, cases = 0;
  for (const auto& op : a) {
    const std::string key = op.value[0];
    if (op.f == kReadF) {
      ++reads;
      CHECK(op.value[1].is_null());
      continue;
    }
    const nlohmann::json v = op.f == kCasF ? op.value[1][1] : op.value[1];
    if (op.f == kCasF) {
      ++cases;
      CHECK(op.value[1][0] == (last.count(key) ? last[key] : nlohmann::json()));
    } else {
      ++writes;
    }
    CHECK(values.insert(v.get<std::int64_t>()).second);
    CHECK(v.get<std::int64_t>() / kValuesPerProcess == 2);
    last[key] = v;
  }
  CHECK(reads > 30);
  CHECK(writes > 30);
  CHECK(cases > 30);
}
