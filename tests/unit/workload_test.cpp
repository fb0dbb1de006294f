// The workload's parts with a fake client and a manual clock: nothing here
// opens a socket or sleeps.
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/clock.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/history/compact_history.hpp"
#include "controllers/history/history.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/customers.hpp"
#include "controllers/workload/final_state_reader.hpp"
#include "controllers/workload/kv_client.hpp"
#include "controllers/workload/kv_workload.hpp"
#include "controllers/workload/list_append_workload.hpp"
#include "controllers/workload/set_workload.hpp"
#include "controllers/workload/workload.hpp"
#include "controllers/workload/state_probe.hpp"
#include "controllers/workload/workload_runner.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

std::optional<std::string> any_program(const std::string& program, const std::string&) {
  return program;
}

Experiment experiment(const std::string& name) {
  return load_experiment(std::string(FAULTLINE_SOURCE_DIR) + "/experiments/" + name + ".toml",
                         any_program);
}

// A history file of its own per test, removed at the end.
struct TempHistory {
  explicit TempHistory(const std::string& name)
      : path((std::filesystem::temp_directory_path() / ("faultline-workload-" + name + ".jsonl"))
                 .string()),
        recorder(path, std::chrono::steady_clock::now()) {}
  ~TempHistory() { std::filesystem::remove(path); }
  std::vector<Operation> read() {
    recorder.flush();
    return read_history(path);
  }
  std::string path;
  HistoryRecorder recorder;
};

// What the fake system saw: every invocation, with the clock's time.
struct Invocation {
  Operation op;
  Clock::time_point at;
};

// Answers from a script: given an invocation and how many the fake system
// has seen before it, the completion. Thread-safe; records every call.
class FakeSystem final : public ClientFactory {
 public:
  using Script = std::function<Operation(const Operation&, std::size_t nth)>;
  FakeSystem(Clock& clock, Script script) : clock_(clock), script_(std::move(script)) {}

  std::unique_ptr<Client> open(const std::string& region) override {
    std::lock_guard lock(mutex_);
    opened_.push_back(region);
    return std::make_unique<FakeClient>(*this);
  }
  std::vector<Invocation> invocations() const {
    std::lock_guard lock(mutex_);
    return invocations_;
  }
  std::vector<std::string> opened() const {
    std::lock_guard lock(mutex_);
    return opened_;
  }

 private:
  class FakeClient final : public Client {
   public:
    explicit FakeClient(FakeSystem& system) : system_(system) {}
    Operation invoke(const Operation& op) override { return system_.answer(op); }

   private:
    FakeSystem& system_;
  };

  Operation answer(const Operation& op) {
    std::size_t nth = 0;
    {
      std::lock_guard lock(mutex_);
      nth = invocations_.size();
      invocations_.push_back({op, clock_.now()});
    }
    return script_(op, nth);
  }

  Clock& clock_;
  Script script_;
  mutable std::mutex mutex_;
  std::vector<Invocation> invocations_;
  std::vector<std::string> opened_;
};

Operation completed(const Operation& op, OpType type, const std::string& error = "") {
  Operation done = op;
  done.type = type;
  done.error = error;
  done.served_by = op.region;
  return done;
}

// Every operation answered ok.
FakeSystem::Script all_ok() {
  return [](const Operation& op, std::size_t) { return completed(op, OpType::ok); };
}

// Writes k0 then reads it, `count` operations in all.
class ScriptedGenerator final : public Generator {
 public:
  explicit ScriptedGenerator(int count) : left_(count) {}
  std::optional<Operation> next(const SessionState& session) override {
    if (left_-- <= 0) return std::nullopt;
    const bool write = (n_++ % 2) == 0;
    return Operation{.f = write ? kWriteF : kReadF,
                     .value = nlohmann::json::array(
                         {"k0", write ? nlohmann::json(unique_write_value(session.process, n_))
                                      : nlohmann::json()})};
  }
  void update(const SessionState&, const Operation& done) override { updates.push_back(done.type); }
  std::vector<OpType> updates;

 private:
  int left_;
  int n_ = 0;
};

WorkloadPlan one_session(int operations, std::int64_t slots = 1,
                         ScriptedGenerator** generator = nullptr) {
  auto g = std::make_unique<ScriptedGenerator>(operations);
  if (generator != nullptr) *generator = g.get();
  WorkloadPlan plan;
  plan.session_slots = slots;
  plan.sessions.push_back({0, "eu-west-1", std::move(g)});
  return plan;
}

std::vector<Operation> drain(KvGenerator& g, SessionState s, int n) {
  std::vector<Operation> out;
  for (int i = 0; i < n; ++i) out.push_back(*g.next(s));
  return out;
}

}  // namespace

TEST_CASE("the kv generator is the same sequence for the same seed and session", "[workload]") {
  const auto keys = workload_keys(4);
  const SessionState s{.session = 3, .process = 3, .region = "us-east-1"};
  KvGenerator a(7, 3, keys, {}, 0.5), b(7, 3, keys, {}, 0.5), other_session(7, 4, keys, {}, 0.5),
      other_seed(8, 3, keys, {}, 0.5);
  const auto ops = drain(a, s, 50);
  const auto again = drain(b, s, 50);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    CHECK(ops[i].f == again[i].f);
    CHECK(ops[i].value == again[i].value);
  }
  auto values = [](const std::vector<Operation>& v) {
    std::vector<nlohmann::json> out;
    for (const auto& op : v) out.push_back(op.value);
    return out;
  };
  CHECK(values(drain(other_session, s, 50)) != values(ops));
  CHECK(values(drain(other_seed, s, 50)) != values(ops));

  // Writes are numbered per session, valued from the process: unique in the run.
  std::int64_t writes = 0;
  for (const auto& op : ops) {
    REQUIRE((op.f == std::string(kReadF) || op.f == std::string(kWriteF)));
    CHECK(op.value[0].get<std::string>().rfind("k", 0) == 0);
    if (op.f == std::string(kReadF)) {
      CHECK(op.value[1].is_null());
    } else {
      CHECK(op.value[1] == unique_write_value(3, writes++));
    }
  }
  CHECK(writes > 10);
  CHECK(writes < 40);
}

TEST_CASE("the kv generator keeps to its session's customers", "[workload]") {
  KvGenerator g(11, 0, workload_keys(4), {"us-east-1-c0", "us-west-2-c1"}, 0.5);
  std::set<std::string> customers;
  for (const auto& op : drain(g, {.session = 0, .process = 0}, 100)) {
    const std::string key = op.value[0];
    customers.insert(key.substr(0, key.find('/')));
  }
  CHECK(customers == std::set<std::string>{"us-east-1-c0", "us-west-2-c1"});
}

TEST_CASE("the kv plan numbers sessions by slot, idle slots included", "[workload]") {
  Experiment e = experiment("region-failure");
  const std::vector<std::string> regions{"us-east-1", "us-west-2", "eu-west-1"};
  WorkloadPlan plan = plan_kv_workload(e, regions);
  CHECK(plan.session_slots == 6);
  REQUIRE(plan.sessions.size() == 6);

  e.workload.customers_per_region = 1;  // one customer per region: one slot idle in each
  plan = plan_kv_workload(e, regions);
  CHECK(plan.session_slots == 6);
  REQUIRE(plan.sessions.size() == 3);
  CHECK(plan.sessions[0].session == 0);
  CHECK(plan.sessions[0].region == "us-east-1");
  CHECK(plan.sessions[1].session == 2);
  CHECK(plan.sessions[1].region == "us-west-2");
  CHECK(plan.sessions[2].session == 4);
  CHECK(plan.sessions[2].region == "eu-west-1");

  const Experiment global = experiment("split-brain");
  plan = plan_kv_workload(global, {"a", "b"});
  CHECK(plan.session_slots == 2 * global.workload.clients_per_region);
  CHECK(static_cast<std::int64_t>(plan.sessions.size()) == plan.session_slots);
}

TEST_CASE("the runner records each invocation, then its completion", "[workload]") {
  ManualClock clock;
  TempHistory history("pairs");
  FakeSystem system(clock, all_ok());
  ScriptedGenerator* generator = nullptr;
  WorkloadRunner runner(one_session(4, 1, &generator), {}, system, history.recorder, clock, 10);
  runner.start();
  runner.wait();

  const auto ops = history.read();
  REQUIRE(ops.size() == 8);
  for (std::size_t i = 0; i < ops.size(); i += 2) {
    CHECK(ops[i].type == OpType::invoke);
    CHECK(ops[i + 1].type == OpType::ok);
    for (const auto* op : {&ops[i], &ops[i + 1]}) {
      CHECK(op->process == 0);
      CHECK(op->session == 0);
      CHECK(op->region == "eu-west-1");
      CHECK(op->f == std::string(i % 4 == 0 ? kWriteF : kReadF));
    }
    CHECK(ops[i].value == ops[i + 1].value);
    CHECK(ops[i + 1].served_by == "eu-west-1");
  }
  CHECK(system.opened() == std::vector<std::string>{"eu-west-1"});
  CHECK(runner.completed() == 4);
  CHECK(runner.failed() == 0);
  CHECK(generator->updates.size() == 4);
}

TEST_CASE("the runner paces a session at its share of the rate, on the clock", "[workload]") {
  ManualClock clock;  // jumping: the runner's waits move it, nothing sleeps
  TempHistory history("pacing");
  FakeSystem system(clock, all_ok());
  // 4 session slots at 8 operations per second: this session every 500 ms,
  // starting a quarter of that late (its slot, 1 of 4, spreads the starts).
  WorkloadPlan plan;
  plan.session_slots = 4;
  plan.sessions.push_back({1, "eu-west-1", std::make_unique<ScriptedGenerator>(20)});
  const auto wall = std::chrono::steady_clock::now();
  WorkloadRunner runner(std::move(plan), {}, system, history.recorder, clock, 8);
  runner.start();
  runner.wait();
  CHECK(std::chrono::steady_clock::now() - wall < 5s);  // 10 s of workload time

  const auto seen = system.invocations();
  REQUIRE(seen.size() == 20);
  for (std::size_t i = 0; i < seen.size(); ++i)
    CHECK(seen[i].at - clock.start() == 125ms + 500ms * static_cast<int>(i));
  // Waits are never longer than the stop check, so stop() is noticed.
  auto previous = clock.start();
  for (auto t : clock.sleeps()) {
    CHECK(t - previous <= WorkloadRunner::kStopCheck);
    previous = std::max(previous, t);
  }
}

TEST_CASE("after an info the session continues under a fresh process", "[workload]") {
  ManualClock clock;
  TempHistory history("info");
  // The second operation times out; the fourth is refused.
  FakeSystem system(clock, [](const Operation& op, std::size_t nth) {
    if (nth == 1) return completed(op, OpType::info, "timed out");
    if (nth == 3) return completed(op, OpType::fail, "http 503");
    return completed(op, OpType::ok);
  });
  WorkloadRunner runner(one_session(5, 6), {}, system, history.recorder, clock, 100);
  runner.start();
  runner.wait();

  const auto ops = history.read();
  REQUIRE(ops.size() == 10);
  CHECK(ops[3].type == OpType::info);
  CHECK(ops[3].error == "timed out");
  CHECK(ops[7].type == OpType::fail);
  const std::vector<std::int64_t> processes{0, 0, 0, 0, 6, 6, 6, 6, 6, 6};
  for (std::size_t i = 0; i < ops.size(); ++i) {
    CHECK(ops[i].process == processes[i]);
    CHECK(ops[i].session == 0);
  }
  // The write after the info is valued from the new process.
  CHECK(ops[4].f == std::string(kWriteF));
  CHECK(ops[4].value[1] == unique_write_value(6, 3));
  CHECK(runner.completed() == 5);
  CHECK(runner.failed() == 2);
}

TEST_CASE("a failed operation is retried at the failover region, linked to its first attempt",
          "[workload][retry]") {
  ManualClock clock;
  TempHistory history("retry");
  // The first attempt of the first operation times out; its retry succeeds.
  // The second operation fails twice: three attempts would be allowed, but
  // the budget (one retry per first attempt) is spent.
  FakeSystem system(clock, [](const Operation& op, std::size_t nth) {
    if (nth == 0) return completed(op, OpType::info, "timeout");
    if (nth == 2 || nth == 3) return completed(op, OpType::fail, "http 503");
    return completed(op, OpType::ok);
  });
  WorkloadRunner runner(one_session(2, 4), {}, system, history.recorder, clock, 100);
  runner.set_retry({.attempts = 3, .backoff = Duration(100), .budget = 1.0, .failover = true},
                   {{"eu-west-1", "eu-central-1"}});
  runner.start();
  runner.wait();

  const auto ops = history.read();
  REQUIRE(ops.size() == 8);
  CHECK(ops[1].type == OpType::info);
  // The retry: a new invocation of the same write, under the process after
  // the info, at eu-central-1, naming the first attempt.
  CHECK(ops[2].type == OpType::invoke);
  CHECK(ops[2].value == ops[0].value);
  CHECK(ops[2].retry_of == static_cast<std::int64_t>(ops[0].index));
  CHECK(ops[2].process == 4);
  CHECK(ops[3].type == OpType::ok);
  CHECK(ops[3].retry_of == ops[2].retry_of);
  const auto seen = system.invocations();
  REQUIRE(seen.size() == 4);
  CHECK(seen[1].at - seen[0].at >= std::chrono::milliseconds(100));  // after the backoff
  CHECK(system.opened() == std::vector<std::string>{"eu-west-1", "eu-central-1"});
  // The second operation: one retry (2 retries for 2 first attempts), failed.
  CHECK(ops[4].retry_of == -1);
  CHECK(ops[6].retry_of == static_cast<std::int64_t>(ops[4].index));
  CHECK(ops[7].type == OpType::fail);
  CHECK(runner.retries() == 2);
  CHECK(runner.completed() == 4);
}

TEST_CASE("retry_of survives the history's JSON lines", "[workload][history]") {
  Operation op{.index = 7, .type = OpType::invoke, .process = 3, .f = kWriteF,
               .value = nlohmann::json::array({"k", 1}), .region = "eu-west-1", .retry_of = 2};
  std::string line;
  append_json_line(line, op);
  CHECK(line.find("\"retry_of\":2") != std::string::npos);
  CHECK(operation_from_json(nlohmann::json::parse(line)).retry_of == 2);
  CHECK(to_json(op)["retry_of"] == 2);
  op.retry_of = -1;
  line.clear();
  append_json_line(line, op);
  CHECK(line.find("retry_of") == std::string::npos);
  CHECK(CompactHistory::from({op}).ops()[0].retry == false);
}

TEST_CASE("sessions run in threads of their own and stop when asked", "[workload]") {
  ManualClock clock(ManualClock::Mode::blocking);
  TempHistory history("threads");
  FakeSystem system(clock, all_ok());
  WorkloadPlan plan;
  plan.session_slots = 3;
  for (std::int64_t s = 0; s < 3; ++s)
    plan.sessions.push_back({s, s == 2 ? "us-east-1" : "eu-west-1",
                             std::make_unique<ScriptedGenerator>(1000000)});
  WorkloadRunner runner(std::move(plan), {}, system, history.recorder, clock, 30);
  runner.start();
  // Time moves only when the test says: 2 s of it, 10 ms at a time.
  for (int i = 0; i < 200; ++i) {
    clock.advance(10ms);
    std::this_thread::sleep_for(1ms);
  }
  // A session may be about to wait when asked to stop: time keeps moving
  // until every session has ended.
  auto stopped = std::async(std::launch::async, [&] { runner.stop(); });
  while (stopped.wait_for(1ms) != std::future_status::ready) clock.advance(10ms);
  stopped.get();

  const auto ops = history.read();
  std::map<std::int64_t, std::vector<Operation>> by_session;
  for (const auto& op : ops) by_session[op.session].push_back(op);
  REQUIRE(by_session.size() == 3);
  for (const auto& [session, mine] : by_session) {
    REQUIRE(mine.size() % 2 == 0);
    CHECK(mine.size() >= 2);
    CHECK(mine.size() <= 2 * 22);  // 10 per second each, for 2 s and a bit
    for (std::size_t i = 0; i < mine.size(); i += 2) {
      CHECK(mine[i].type == OpType::invoke);
      CHECK(mine[i + 1].type == OpType::ok);
      CHECK(mine[i].process == session);
      CHECK(mine[i].region == (session == 2 ? "us-east-1" : "eu-west-1"));
    }
  }
  CHECK(runner.completed() * 2 == ops.size());
}

TEST_CASE("final reads agree once every region reads the same", "[workload][final-state]") {
  ManualClock clock;
  TempHistory history("final-agree");
  // eu-west-1 lags one round behind on k1, then catches up.
  std::mutex mutex;
  std::map<std::string, int> reads_of;  // region -> reads of k1
  FakeSystem system(clock, [&](const Operation& op, std::size_t) {
    Operation done = completed(op, OpType::ok);
    const std::string key = op.value[0];
    int round = 0;
    if (key == "k1") {
      std::lock_guard lock(mutex);
      round = ++reads_of[op.region];
    }
    done.value[1] = key == "k1" && op.region == "eu-west-1" && round == 1 ? 1 : 2;
    return done;
  });
  FinalStateReader reader(system, history.recorder, clock);
  const FinalReadResult result = reader.read(
      {{"us-east-1", nullptr, {"k0", "k1"}}, {"eu-west-1", nullptr, {"k0", "k1"}}},
      clock.now() + 10s);
  CHECK(result.agreed);
  CHECK(result.rounds == 2);
  CHECK(result.took == 250ms);

  const auto ops = history.read();
  REQUIRE(ops.size() == 2 * 2 * 2 * 2);  // rounds x regions x keys x (invoke, completion)
  for (const auto& op : ops) {
    CHECK(op.f == std::string(kFinalReadF));
    CHECK(op.session == -1);
    CHECK(op.process == final_reader_process(op.region == "us-east-1" ? 0 : 1));
  }
}

TEST_CASE("final reads give up at the deadline on the clock", "[workload][final-state]") {
  ManualClock clock;
  TempHistory history("final-deadline");
  // us-east-1 never answers: a region that does not answer never agrees.
  FakeSystem system(clock, [](const Operation& op, std::size_t) {
    return op.region == "us-east-1" ? completed(op, OpType::fail, "connection refused")
                                    : completed(op, OpType::ok);
  });
  FinalStateReader reader(system, history.recorder, clock, 250ms);
  int rounds_begun = 0;
  const auto wall = std::chrono::steady_clock::now();
  const FinalReadResult result =
      reader.read({{"us-east-1", nullptr, {"k0"}}, {"eu-west-1", nullptr, {"k0"}}},
                  clock.now() + 1s, [&] { ++rounds_begun; });
  CHECK(std::chrono::steady_clock::now() - wall < 1s);
  CHECK_FALSE(result.agreed);
  // Rounds at 0, 250, 500, 750 and 1000 ms are within the deadline; the one
  // at 1250 ms is the last.
  CHECK(result.rounds == 6);
  CHECK(rounds_begun == 6);
  CHECK(result.took == 1250ms);
  CHECK(history.read().size() == 6 * 2 * 2);
}

TEST_CASE("an interrupted final read stops before its next round", "[workload][final-state]") {
  ManualClock clock;
  TempHistory history("final-interrupt");
  FakeSystem system(clock, [](const Operation& op, std::size_t) { return completed(op, OpType::fail); });
  FinalStateReader reader(system, history.recorder, clock);
  int rounds = 0;
  CHECK_THROWS_AS(reader.read({{"us-east-1", nullptr, {"k0"}}}, clock.now() + 10s,
                              [&] {
                                if (++rounds == 3) throw std::runtime_error("interrupted");
                              }),
                  std::runtime_error);
  CHECK(system.invocations().size() == 2);
}

TEST_CASE("state probes are recorded per region, failures with their error", "[workload]") {
  TempHistory history("probe");
  probe_regions({{"us-east-1", nullptr, "10.0.0.1"}, {"eu-west-1", nullptr, "10.0.1.1"}},
                [](const std::string& address) {
                  if (address == "10.0.1.1") return ProbeAnswer{.error = "no route"};
                  return ProbeAnswer{.ok = true, .rows = {"us-east-1-c0"}};
                },
                history.recorder);
  std::map<std::string, std::vector<Operation>> by_region;
  for (const auto& op : history.read()) by_region[op.region].push_back(op);
  for (const auto& [region, ops] : by_region) {
    REQUIRE(ops.size() == 2);
    CHECK(ops[0].type == OpType::invoke);
    CHECK(ops[0].f == std::string(kProbeF));
    CHECK(ops[0].process == kProbeProcess);
  }
  CHECK(by_region["us-east-1"][1].type == OpType::ok);
  CHECK(by_region["us-east-1"][1].value == nlohmann::json{{"customers", {"us-east-1-c0"}}});
  CHECK(by_region["eu-west-1"][1].type == OpType::fail);
  CHECK(by_region["eu-west-1"][1].error == "no route");
}

TEST_CASE("customers sign up at home, recorded, then wait for every region", "[workload]") {
  ManualClock clock;
  TempHistory history("sign-up");
  // us-west-2 learns of the registrations on its third look.
  std::mutex mutex;
  int looks = 0;
  FakeSystem system(clock, [&](const Operation& op, std::size_t) {
    if (op.f == std::string(kRegistrationReadF) && op.region == "us-west-2") {
      std::lock_guard lock(mutex);
      if (++looks < 3) return completed(op, OpType::fail, "http 404");
    }
    return completed(op, OpType::ok);
  });
  const std::vector<Customer> customers{{"us-east-1-c0", "us-east-1", "us-east-1"},
                                        {"us-west-2-c0", "us-west-2", "us-west-2"}};
  sign_up_customers(customers, {"us-east-1", "us-west-2"}, {}, system, history.recorder, clock, 1s);
  const auto ops = history.read();
  REQUIRE(ops.size() == 4);  // the looks are not recorded
  for (const auto& op : ops) {
    CHECK(op.f == std::string(kRegisterF));
    CHECK(op.process == kRegisterProcess);
  }
  CHECK(ops[1].value == nlohmann::json{{"customer", "us-east-1-c0"}, {"home", "us-east-1"}});
  CHECK(ops[3].region == "us-west-2");
  CHECK(clock.elapsed() == 100ms);  // two pauses of 50 ms

  // Never learned: a clear error once patience runs out.
  FakeSystem forgetful(clock, [](const Operation& op, std::size_t) {
    return completed(op, op.f == std::string(kRegisterF) ? OpType::ok : OpType::fail);
  });
  CHECK_THROWS_WITH(sign_up_customers(customers, {"us-east-1"}, {}, forgetful, history.recorder,
                                      clock, 1s),
                    Catch::Contains("does not know customer us-east-1-c0"));
}

TEST_CASE("the reference store's paths for recorded keys", "[workload]") {
  CHECK(kv_path("k3") == "/kv/k3");
  CHECK(kv_path(customer_key("eu-west-1-c0", "k3")) == "/customer/eu-west-1-c0/k3");
}

TEST_CASE("operation names and process ranges", "[workload][history]") {
  CHECK(nemesis_start_f("partition") == "start-partition");
  CHECK(is_nemesis_stop(nemesis_stop_f("kill")));
  CHECK_FALSE(is_nemesis_start("stop-kill"));
  CHECK(final_reader_process(2) == 1000002);
  CHECK(final_reader_process(999) < kRegisterProcess);
  CHECK(kRegisterProcess < kProbeProcess);
  CHECK(process_after_info(1, 6) == 7);
}

TEST_CASE("set generator: adds unique elements and reads whole sets, the same for the same seed",
          "[workload]") {
  auto run = [](std::uint64_t seed) {
    SetGenerator g(seed, 3, {"k0", "k1"}, 0.25);
    SessionState s{.session = 3, .process = 3, .region = "r"};
    std::vector<Operation> ops;
    for (int i = 0; i < 400; ++i) ops.push_back(*g.next(s));
    return ops;
  };
  const auto a = run(9), b = run(9), c = run(10);
  std::set<std::int64_t> elements;
  int reads = 0, adds = 0, differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].f == b[i].f);
    CHECK(a[i].value == b[i].value);
    differ += a[i].value != c[i].value;
    const auto& op = a[i];
    REQUIRE(op.value.size() == 2);
    CHECK((op.value[0] == "k0" || op.value[0] == "k1"));
    if (op.f == kReadF) {
      ++reads;
      CHECK(op.value[1].is_null());
    } else {
      REQUIRE(op.f == kAddF);
      ++adds;
      CHECK(elements.insert(op.value[1].get<std::int64_t>()).second);
    }
  }
  CHECK(differ > 0);
  CHECK(reads > 60);
  CHECK(reads < 140);
  CHECK(adds == static_cast<int>(elements.size()));
}

TEST_CASE("list-append generator: transactions of 1..max micro-operations, appends unique in the run",
          "[workload]") {
  std::set<std::int64_t> appended;
  std::map<int, int> lengths;
  int reads = 0;
  for (std::int64_t session : {0, 1}) {
    ListAppendGenerator g(4, session, {"k0", "k1", "k2"}, 0.5, 3);
    SessionState s{.session = session, .process = session, .region = "r"};
    for (int i = 0; i < 300; ++i) {
      const Operation op = *g.next(s);
      REQUIRE(op.f == kTxnF);
      REQUIRE(op.value.is_array());
      lengths[static_cast<int>(op.value.size())]++;
      for (const auto& mop : op.value) {
        REQUIRE(mop.size() == 3);
        if (mop[0] == kReadMop) {
          ++reads;
          CHECK(mop[2].is_null());
        } else {
          REQUIRE(mop[0] == kAppendMop);
          CHECK(appended.insert(mop[2].get<std::int64_t>()).second);
          CHECK(mop[2].get<std::int64_t>() / kValuesPerProcess == session);
        }
      }
    }
  }
  CHECK(lengths.size() == 3);  // 1, 2 and 3 all drawn, nothing longer
  CHECK(lengths.rbegin()->first == 3);
  CHECK(reads > 300);
  CHECK(appended.size() > 300);
}

TEST_CASE("list-append keys retire after max_writes_per_key appends, counted over every session",
          "[workload]") {
  const std::vector<std::string> rotation_keys{"k0", "k1"};
  auto rotation = std::make_shared<ListAppendKeys>(rotation_keys, 3);
  std::map<std::string, int> appends;  // per key name
  std::set<std::string> names;
  std::vector<ListAppendGenerator> sessions;
  for (std::int64_t session : {0, 1})
    sessions.emplace_back(4, session, rotation_keys, 0.3, 4, rotation);
  for (int round = 0; round < 50; ++round)
    for (std::int64_t session : {0, 1}) {
      SessionState s{.session = session, .process = session, .region = "r"};
      const Operation op = *sessions[session].next(s);
      for (const auto& mop : op.value) {
        names.insert(mop[1].get<std::string>());
        if (mop[0] == kAppendMop) ++appends[mop[1].get<std::string>()];
      }
    }
  for (const auto& [key, n] : appends) {
    INFO(key);
    CHECK(n <= 3);
  }
  CHECK(names.count("k0") == 1);
  CHECK(names.count("k0.1") == 1);
  CHECK(names.count("k1.2") == 1);
  CHECK(names.size() > 20);  // about 50 * 2 * 2.5 * 0.7 / 3 appended keys
  // 0: never retired.
  ListAppendKeys never({"k0"}, 0);
  for (int i = 0; i < 100; ++i) CHECK(never.use(0, true) == "k0");
}

TEST_CASE("plan_workload gives each workload kind its generator, clients_per_region per region",
          "[workload]") {
  Experiment e;
  e.seed = 2;
  e.workload.clients_per_region = 2;
  for (const char* kind : {"kv", "register", "set", "list-append"}) {
    e.workload.kind = kind;
    WorkloadPlan plan = plan_workload(e, {"a", "b", "c"});
    CHECK(plan.sessions.size() == 6);
    CHECK(plan.session_slots == 6);
    SessionState s{.session = 0, .process = 0, .region = "a"};
    const Operation op = *plan.sessions[0].generator->next(s);
    if (e.workload.kind == "list-append") CHECK(op.f == kTxnF);
    if (e.workload.kind == "set") CHECK((op.f == kAddF || op.f == kReadF));
  }
  e.workload.kind = "none";
  CHECK_THROWS_AS(plan_workload(e, {"a"}), std::invalid_argument);
}
