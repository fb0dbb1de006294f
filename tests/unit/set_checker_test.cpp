// The set checker (Jepsen's set-full) on hand-written histories.
#include "controllers/checkers/set_full.hpp"

#include <catch2/catch.hpp>

#include "controllers/history/operation_kinds.hpp"

using namespace faultline;
using nlohmann::json;

namespace {

class Script {
 public:
  Script& event(OpType type, std::int64_t process, std::string f, json value) {
    Operation op;
    op.index = ops_.size();
    op.time = static_cast<std::int64_t>(ops_.size()) * 1000000;  // 1 ms apart
    op.type = type;
    op.process = process;
    op.session = process;
    op.f = std::move(f);
    op.value = std::move(value);
    ops_.push_back(std::move(op));
    return *this;
  }
  Script& add(std::int64_t p, std::int64_t e, OpType outcome = OpType::ok) {
    event(OpType::invoke, p, kAddF, json::array({"s", e}));
    return event(outcome, p, kAddF, json::array({"s", e}));
  }
  Script& read(std::int64_t p, json elements) {
    event(OpType::invoke, p, kReadF, json::array({"s", nullptr}));
    return event(OpType::ok, p, kReadF, json::array({"s", std::move(elements)}));
  }
  CheckResult check(SetCheckOptions o = {}) const { return check_set(CompactHistory::from(ops_), o); }

 private:
  std::vector<Operation> ops_;
};

}  // namespace

TEST_CASE("set: every acknowledged element in every later read holds", "[set]") {
  const CheckResult r = Script().add(0, 1).add(1, 2).read(2, {1, 2}).read(3, {2, 1}).check();
  CHECK(r.validity == Validity::holds);
  CHECK(r.judged == 2);
  CHECK(r.details["stable"] == 2);
}

TEST_CASE("set: an acknowledged element missing from the last reads is lost, with its witness", "[set]") {
  const CheckResult r = Script().add(0, 1).add(0, 2).read(1, {1, 2}).read(1, {2}).check();
  REQUIRE(r.validity == Validity::violated);
  CHECK(r.details["lost"] == 1);
  CHECK(r.details["lost_examples"][0]["element"] == 1);
  CHECK_THAT(r.summary, Catch::Contains("1 acknowledged elements lost"));
  CHECK_THAT(r.summary, Catch::Contains("e.g. 1 added to s, then missing from every later read"));
  // add invoke + ok, the last read holding it, the last read (invoke + ok)
  CHECK(r.witness.size() == 5);
  // Over time: one lost element, when it was known present (its add's ack, 1 ms in).
  REQUIRE(r.series.size() == 1);
  REQUIRE(r.series[0].lines.size() == 1);
  CHECK(r.series[0].lines[0].label == "lost");
  CHECK(r.series[0].lines[0].points == std::vector<std::pair<std::int64_t, double>>{{0, 1}});
  REQUIRE(r.series[0].marks.size() == 1);
  CHECK(r.series[0].marks[0].t_ms == 1);
}

TEST_CASE("set: an element never added is unexpected", "[set]") {
  const CheckResult r = Script().add(0, 1).read(1, {1, 77}).check();
  REQUIRE(r.validity == Validity::violated);
  CHECK(r.details["unexpected"] == 1);
  CHECK_THAT(r.summary, Catch::Contains("77 read from s, never added"));
}

TEST_CASE("set: a read that misses a known element and a later read that has it is stale", "[set]") {
  const Script s = Script().add(0, 1).read(1, json::array()).read(1, {1});
  const CheckResult allowed = s.check();
  CHECK(allowed.validity == Validity::holds);
  CHECK(allowed.details["stale"] == 1);
  // Known at the add's ok (t = 1 ms); the stale read began at 2 ms.
  CHECK(allowed.details["worst_stale_ms"] == 1.0);
  CHECK(s.check({.stale_is_violation = true}).validity == Validity::violated);
}

TEST_CASE("set: an info add that a read saw happened; one nobody saw is left alone", "[set]") {
  const CheckResult seen = Script().add(0, 1, OpType::info).read(1, {1}).read(1, json::array()).check();
  CHECK(seen.validity == Validity::violated);  // seen, then gone: lost
  CHECK(seen.details["lost"] == 1);
  const CheckResult unseen = Script().add(0, 1, OpType::info).add(0, 2).read(1, {2}).check();
  CHECK(unseen.validity == Validity::holds);
  CHECK(unseen.judged == 1);
}

TEST_CASE("set: a read concurrent with the add may or may not see it", "[set]") {
  // The read began before the add was acknowledged: missing it is no fault.
  Script s;
  s.event(OpType::invoke, 1, kReadF, json::array({"s", nullptr}))
      .add(0, 1)
      .event(OpType::ok, 1, kReadF, json::array({"s", json::array()}))
      .read(2, {1});
  CHECK(s.check().validity == Validity::holds);
  CHECK(s.check().details["stale"] == 0);
}

TEST_CASE("set: elements added and never read again judge nothing", "[set]") {
  const CheckResult r = Script().read(1, json::array()).add(0, 1).add(0, 2).check();
  CHECK(r.validity == Validity::unknown);
  CHECK(r.details["never_read"] == 2);
  CHECK_THAT(r.summary, Catch::Contains("2 elements added, none read afterwards"));
}

TEST_CASE("set: a failed add read later is unexpected only if never tried; tried-and-failed is a failed add",
          "[set]") {
  // A failed add that shows up anyway: it was tried, so not unexpected; the
  // history says it did not happen, so nothing is judged lost either.
  const CheckResult r = Script().add(0, 1, OpType::fail).read(1, {1}).check();
  CHECK(r.details["unexpected"] == 0);
}
