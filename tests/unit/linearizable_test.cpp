// The linearizability checker on hand-written register histories: each case
// is small enough to reason about by hand, and names what it pins.
#include "controllers/checkers/linearizable.hpp"

#include <catch2/catch.hpp>
#include <chrono>

#include "controllers/history/operation_kinds.hpp"

using namespace faultline;
using nlohmann::json;

namespace {

// A history written as the recorder would write it, one event per line.
class Script {
 public:
  Script& invoke(std::int64_t process, const std::string& f, const std::string& key, json value) {
    add(OpType::invoke, process, f, key, std::move(value));
    return *this;
  }
  Script& ok(std::int64_t process, const std::string& f, const std::string& key, json value) {
    add(OpType::ok, process, f, key, std::move(value));
    return *this;
  }
  Script& fail(std::int64_t process, const std::string& f, const std::string& key, json value) {
    add(OpType::fail, process, f, key, std::move(value));
    return *this;
  }
  Script& info(std::int64_t process, const std::string& f, const std::string& key, json value) {
    add(OpType::info, process, f, key, std::move(value));
    return *this;
  }
  // A whole operation at once: invoked and completed with nothing between.
  Script& write(std::int64_t p, const std::string& k, std::int64_t v) {
    return invoke(p, kWriteF, k, v).ok(p, kWriteF, k, v);
  }
  Script& read(std::int64_t p, const std::string& k, json v) {
    return invoke(p, kReadF, k, nullptr).ok(p, kReadF, k, std::move(v));
  }
  CheckResult check(LinearizabilityBudget budget = {}) const {
    return check_linearizable(CompactHistory::from(ops_), budget);
  }

 private:
  void add(OpType type, std::int64_t process, std::string f, const std::string& key, json value) {
    Operation op;
    op.index = ops_.size();
    op.time = static_cast<std::int64_t>(ops_.size()) * 1000;
    op.type = type;
    op.process = process;
    op.f = std::move(f);
    op.value = json::array({key, std::move(value)});
    op.session = process;
    ops_.push_back(std::move(op));
  }
  std::vector<Operation> ops_;
};

json cas(json expected, json next) { return json::array({std::move(expected), std::move(next)}); }

}  // namespace

TEST_CASE("sequential writes and reads of the last write are linearizable", "[linearizable]") {
  const CheckResult r = Script().write(0, "k", 1).read(1, "k", 1).write(0, "k", 2).read(1, "k", 2).check();
  CHECK(r.validity == Validity::holds);
  CHECK(r.judged == 4);
}

TEST_CASE("a stale read after a later write completed is not linearizable, and names what it could have seen",
          "[linearizable]") {
  const CheckResult r = Script().write(0, "k", 1).write(0, "k", 2).read(1, "k", 1).check();
  REQUIRE(r.validity == Validity::violated);
  CHECK_THAT(r.summary, Catch::Contains("key k is not linearizable: the read of 1 by process 1"));
  CHECK_THAT(r.summary, Catch::Contains("could hold 2 then"));
  const json& w = r.details["witness"];
  CHECK(w["key"] == "k");
  CHECK(w["could_have_seen"] == json::array({2}));
  // The culprit and the write of the state it could have seen.
  bool culprit = false, writer = false;
  for (const auto& op : w["window"]) {
    culprit |= op["culprit"] == true && op["f"] == "read" && op["value"] == 1;
    writer |= op["f"] == "write" && op["value"] == 2;
  }
  CHECK(culprit);
  CHECK(writer);
  CHECK(!r.witness.empty());
  // Over time: the key, at its culprit's invocation, and a mark there.
  REQUIRE(r.series.size() == 1);
  REQUIRE(r.series[0].lines.size() == 1);
  CHECK(r.series[0].lines[0].total == 1);
  REQUIRE(r.series[0].marks.size() == 1);
  CHECK_THAT(r.series[0].marks[0].label, Catch::Contains("key k: no legal place for process 1"));
}

TEST_CASE("a read may see a write still pending (it took effect before the read)", "[linearizable]") {
  const CheckResult r = Script()
                            .invoke(0, kWriteF, "k", 7)
                            .read(1, "k", 7)
                            .read(2, "k", 7)
                            .ok(0, kWriteF, "k", 7)
                            .check();
  CHECK(r.validity == Validity::holds);
}

TEST_CASE("reads inside one write's window cannot go back to the old value once they saw the new",
          "[linearizable]") {
  const CheckResult r = Script()
                            .write(0, "k", 1)
                            .invoke(0, kWriteF, "k", 2)
                            .read(1, "k", 2)
                            .read(1, "k", 1)
                            .ok(0, kWriteF, "k", 2)
                            .check();
  CHECK(r.validity == Validity::violated);
}

TEST_CASE("an info write that happened: a later read of its value is legal", "[linearizable]") {
  const CheckResult r = Script()
                            .invoke(0, kWriteF, "k", 5)
                            .info(0, kWriteF, "k", 5)
                            .read(1, "k", nullptr)
                            .read(1, "k", 5)
                            .read(2, "k", 5)
                            .check();
  CHECK(r.validity == Validity::holds);
}

TEST_CASE("an info write that never happened: reads of nothing stay legal", "[linearizable]") {
  const CheckResult r = Script()
                            .invoke(0, kWriteF, "k", 5)
                            .info(0, kWriteF, "k", 5)
                            .read(1, "k", nullptr)
                            .read(2, "k", nullptr)
                            .check();
  CHECK(r.validity == Validity::holds);
}

TEST_CASE("once an info write is seen, its value cannot be unseen", "[linearizable]") {
  const CheckResult r = Script()
                            .invoke(0, kWriteF, "k", 5)
                            .info(0, kWriteF, "k", 5)
                            .read(1, "k", 5)
                            .read(1, "k", nullptr)
                            .check();
  REQUIRE(r.validity == Validity::violated);
  CHECK_THAT(r.summary, Catch::Contains("read of nothing"));
}

TEST_CASE("a failed compare-and-set did nothing; an ok one wrote its new value", "[linearizable]") {
  CHECK(Script()
            .write(0, "k", 1)
            .invoke(1, kCasF, "k", cas(9, 2))
            .fail(1, kCasF, "k", cas(9, 2))
            .read(2, "k", 1)
            .check()
            .validity == Validity::holds);
  CHECK(Script()
            .write(0, "k", 1)
            .invoke(1, kCasF, "k", cas(1, 2))
            .ok(1, kCasF, "k", cas(1, 2))
            .read(2, "k", 1)
            .check()
            .validity == Validity::violated);
  // An ok cas whose expected value the register never held.
  CHECK(Script()
            .write(0, "k", 1)
            .invoke(1, kCasF, "k", cas(3, 4))
            .ok(1, kCasF, "k", cas(3, 4))
            .check()
            .validity == Validity::violated);
  // Expecting nothing of a register never written.
  CHECK(Script()
            .invoke(1, kCasF, "k", cas(nullptr, 4))
            .ok(1, kCasF, "k", cas(nullptr, 4))
            .read(0, "k", 4)
            .check()
            .validity == Validity::holds);
}

TEST_CASE("keys are judged apart: one bad key is named, the good one judged too", "[linearizable]") {
  const CheckResult r = Script()
                            .write(0, "a", 1)
                            .write(0, "b", 2)
                            .read(1, "a", 1)
                            .write(0, "b", 3)
                            .read(1, "b", 2)
                            .check();
  REQUIRE(r.validity == Validity::violated);
  CHECK(r.details["keys"] == 2);
  CHECK(r.details["keys_not_linearizable"] == json::array({"b"}));
  CHECK(r.details["witness"]["key"] == "b");
}

TEST_CASE("nothing to judge is unknown, not a pass", "[linearizable]") {
  const CheckResult r = Script()
                            .invoke(0, kReadF, "k", nullptr)
                            .info(0, kReadF, "k", nullptr)
                            .check();
  CHECK(r.validity == Validity::unknown);
}

namespace {

// Forty writes all concurrent, then a read of a value nobody wrote: the
// search must try every subset and order of the writes before it can say
// no, far more than any budget allows.
Script explosive() {
  Script s;
  for (int p = 0; p < 40; ++p) s.invoke(p, kWriteF, "k", p + 1);
  for (int p = 0; p < 40; ++p) s.ok(p, kWriteF, "k", p + 1);
  s.read(99, "k", 999);
  return s;
}

}  // namespace

TEST_CASE("the time budget is honoured inside one key's search: unknown, naming the key", "[linearizable]") {
  const auto start = std::chrono::steady_clock::now();
  const CheckResult r = explosive().check({.time = std::chrono::milliseconds(200)});
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.validity == Validity::unknown);
  CHECK_THAT(r.summary, Catch::Contains("the time budget ran out before 1 of 1 keys were decided (k)"));
  // Generous for a loaded machine; the budget itself is checked every 1024 steps.
  CHECK(took < std::chrono::seconds(2));
}

TEST_CASE("the memory budget is honoured inside one key's search", "[linearizable]") {
  const CheckResult r = explosive().check({.time = std::chrono::seconds(60), .memory_bytes = 1 << 20});
  CHECK(r.validity == Validity::unknown);
  CHECK_THAT(r.summary, Catch::Contains("the memory budget ran out"));
  CHECK(r.details["peak_cache_bytes"].get<std::uint64_t>() < 2u << 20);
}

namespace {

// The witness window's operations as "f value" strings, in call order,
// and the culprit's.
std::vector<std::string> window_of(const CheckResult& r, std::string* culprit = nullptr) {
  std::vector<std::string> ops;
  for (const auto& op : r.details["witness"]["window"]) {
    std::string text = op["f"].get<std::string>() + " " + op["value"].dump();
    if (op.contains("new")) text += "->" + op["new"].dump();
    if (op["type"] == "info") text += " (info)";
    if (op["culprit"] == true && culprit != nullptr) *culprit = text;
    ops.push_back(text);
  }
  return ops;
}

}  // namespace

TEST_CASE(
    "the witness is shrunk: a stale read amid unrelated concurrent operations comes down to the "
    "two writes and the read",
    "[linearizable][witness]") {
  const CheckResult r = Script()
                            .write(0, "k", 1)
                            .write(0, "k", 2)
                            .invoke(1, kReadF, "k", nullptr)
                            .invoke(2, kWriteF, "k", 3)
                            .invoke(3, kReadF, "k", nullptr)
                            .ok(3, kReadF, "k", 2)
                            .ok(1, kReadF, "k", 1)  // stale: 2 was written before it began
                            .ok(2, kWriteF, "k", 3)
                            .read(4, "k", 3)
                            .read(5, "k", 3)
                            .write(0, "k", 4)
                            .read(1, "k", 4)
                            .check();
  REQUIRE(r.validity == Validity::violated);
  std::string culprit;
  CHECK(window_of(r, &culprit) == std::vector<std::string>{"write 1", "write 2", "read 1"});
  CHECK(culprit == "read 1");
  const json& w = r.details["witness"];
  CHECK(w["could_have_seen"] == json::array({2}));
  CHECK(w["shrink"]["one_minimal"] == true);
  CHECK(w["shrink"]["to"] == 3);
  CHECK(w["shrink"]["from"].get<int>() > 3);
  CHECK_THAT(r.summary, Catch::Contains("the witness is 1-minimal: 3 operations"));
  CHECK(r.witness.size() == 6);  // each operation's invocation and completion
}

TEST_CASE("a shrunk witness keeps the info write a read saw, and the read that bounds it",
          "[linearizable][witness]") {
  const CheckResult r = Script()
                            .invoke(0, kWriteF, "k", 5)
                            .info(0, kWriteF, "k", 5)
                            .read(1, "k", 5)
                            .invoke(2, kReadF, "k", nullptr)
                            .read(1, "k", nullptr)  // 5 was seen before it began
                            .ok(2, kReadF, "k", 5)
                            .write(3, "k", 8)
                            .read(3, "k", 8)
                            .check();
  REQUIRE(r.validity == Validity::violated);
  std::string culprit;
  // Process 2's read of 5 would not do instead of process 1's: it ends
  // after the read of nothing began, so the info write may come after that.
  CHECK(window_of(r, &culprit) ==
        std::vector<std::string>{"write 5 (info)", "read 5", "read null"});
  CHECK(culprit == "read null");
  CHECK(r.details["witness"]["window"][1]["process"] == 1);
  CHECK(r.details["witness"]["shrink"]["one_minimal"] == true);
  // The first candidate (the read of nothing and the info write it could
  // have seen) is linearizable on its own, the info write unbounded there:
  // the shrink starts from the four operations called before the read of
  // nothing returned instead.
  CHECK(r.details["witness"]["shrink"]["from"] == 4);
}

TEST_CASE("a shrunk witness leaves out a failed compare-and-set and keeps the ok one it needs",
          "[linearizable][witness]") {
  const CheckResult r = Script()
                            .write(0, "k", 1)
                            .invoke(1, kCasF, "k", cas(1, 2))
                            .fail(1, kCasF, "k", cas(1, 2))
                            .read(2, "k", 1)
                            .write(0, "k", 3)
                            .invoke(1, kCasF, "k", cas(3, 4))
                            .ok(1, kCasF, "k", cas(3, 4))
                            .read(2, "k", 3)  // stale: the cas wrote 4 before it began
                            .read(2, "k", 3)
                            .check();
  REQUIRE(r.validity == Validity::violated);
  std::string culprit;
  const auto window = window_of(r, &culprit);
  CHECK(window == std::vector<std::string>{"write 3", "cas 3->4", "read 3"});
  CHECK(culprit == "read 3");
  CHECK(r.details["witness"]["could_have_seen"] == json::array({4}));
  CHECK(r.details["witness"]["shrink"]["one_minimal"] == true);
}

TEST_CASE("a shrink cut by its budget says the witness may not be minimal",
          "[linearizable][witness]") {
  Script s;
  s.write(0, "k", 1).write(0, "k", 2);
  for (int p = 1; p <= 6; ++p) s.invoke(p, kReadF, "k", nullptr);
  for (int p = 1; p <= 6; ++p) s.ok(p, kReadF, "k", p == 3 ? 1 : 2);
  const CheckResult r = s.check({.shrink_checks = 1});
  REQUIRE(r.validity == Validity::violated);
  const json& shrink = r.details["witness"]["shrink"];
  CHECK(shrink["one_minimal"] == false);
  CHECK(shrink["cut"] == "the shrink's step budget ran out");
  CHECK_THAT(r.summary, Catch::Contains("may not be minimal: the shrink's step budget ran out"));
  // Unbounded, the same history shrinks to the writes and the stale read.
  CHECK(window_of(s.check()) == std::vector<std::string>{"write 1", "write 2", "read 1"});
}

TEST_CASE("a final reader's earlier round is superseded: only its last read of a key is judged",
          "[linearizable]") {
  // Round 1 read a region still catching up (1); round 2, once the regions
  // agreed, read 2.
  const std::int64_t reader = 1000001;
  auto final_read = [&](Script& s, json v) -> Script& {
    return s.invoke(reader, kFinalReadF, "k", nullptr).ok(reader, kFinalReadF, "k", std::move(v));
  };
  Script caught_up;
  caught_up.write(0, "k", 1).write(0, "k", 2);
  final_read(final_read(caught_up, 1), 2);
  const CheckResult r = caught_up.check();
  CHECK(r.validity == Validity::holds);
  CHECK(r.judged == 3);
  // Its last read stale: still a violation.
  Script stale;
  stale.write(0, "k", 1).write(0, "k", 2);
  final_read(final_read(stale, 2), 1);
  CHECK(stale.check().validity == Validity::violated);
}
