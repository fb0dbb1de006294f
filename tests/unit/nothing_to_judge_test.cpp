// Each invariant's "nothing to judge" case (issue 17): a history that gives an
// invariant nothing to decide is unknown with the reason, never a PASS, and
// every result says how much it judged.
#include <catch2/catch.hpp>

#include "controllers/checkers/availability.hpp"
#include "controllers/checkers/convergence.hpp"
#include "controllers/checkers/failover_time.hpp"
#include "controllers/checkers/judge.hpp"
#include "controllers/checkers/no_lost_writes.hpp"
#include "controllers/checkers/residency.hpp"
#include "controllers/checkers/session_guarantees.hpp"
#include "controllers/report/junit.hpp"
#include "controllers/report/verdict.hpp"
#include "unit/history_builder.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using faultline::testing::HistoryBuilder;

namespace {

// What a server that is not the reference store makes of the workload: every
// write answered 404 (fail), every read's 404 taken for "no such key", and
// the final reads of both regions find every key empty.
HistoryBuilder answered_404() {
  HistoryBuilder h;
  h.write(0, 5, 1, "k0", 1, OpType::fail).read(10, 15, 1, "k0", nullptr);
  h.write(20, 25, 1, "k1", 2, OpType::fail).read(30, 35, 1, "k1", nullptr);
  h.read(40, 45, 1, "k0", nullptr).read(50, 55, 1, "k1", nullptr);
  h.heal(100);
  for (const char* region : {"us", "eu"})
    h.final_read(200, region, "k0", nullptr).final_read(200, region, "k1", nullptr);
  return h;
}

bool mentions(const CheckResult& r, const std::string& text) {
  return r.summary.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("no-lost-writes with no acknowledged write is unknown, not 'all 0 survive'",
          "[no-lost-writes][nothing-to-judge]") {
  const auto r = check_no_lost_writes(answered_404().build());
  CHECK(r.validity == Validity::unknown);
  CHECK(mentions(r, "no acknowledged write"));
  CHECK(mentions(r, "2 writes failed"));
  CHECK(r.judged == 0);
  CHECK(r.judged_what == "acknowledged writes");

  // A refused write whose value is found anyway is still a phantom.
  HistoryBuilder applied_anyway;
  applied_anyway.write(0, 5, 1, "k", 1, OpType::fail).heal(10).final_read(20, "us", "k", 1);
  CHECK(check_no_lost_writes(applied_anyway.build()).validity == Validity::violated);

  HistoryBuilder judged;
  judged.write(0, 5, 1, "k", 1).write(10, 15, 1, "k", 2).heal(20).final_read(30, "us", "k", 2);
  const auto ok = check_no_lost_writes(judged.build());
  CHECK(ok.validity == Validity::holds);
  CHECK(ok.judged == 2);
}

TEST_CASE("convergence on keys empty everywhere is unknown", "[convergence][nothing-to-judge]") {
  const auto r = check_convergence(answered_404().build(), 5s);
  CHECK(r.validity == Validity::unknown);
  CHECK(mentions(r, "agree only that all 2 keys are empty"));
  CHECK(r.judged == 0);

  // One key with a value is something to compare; the empty one rides along.
  HistoryBuilder h;
  h.write(0, 5, 1, "k0", 1).heal(10);
  for (const char* region : {"us", "eu"})
    h.final_read(20, region, "k0", 1).final_read(20, region, "k1", nullptr);
  const auto ok = check_convergence(h.build(), 5s);
  CHECK(ok.validity == Validity::holds);
  CHECK(ok.judged == 1);
  CHECK(ok.judged_what == "keys holding a value");
}

TEST_CASE("session guarantees with no read to judge are unknown", "[read-your-writes][monotonic-reads][nothing-to-judge]") {
  const auto ryw = check_read_your_writes(answered_404().build());
  CHECK(ryw.validity == Validity::unknown);
  CHECK(ryw.judged == 0);

  // Reads of keys that stayed empty cannot go back in time: nothing judged
  // (this history used to hold monotonic-reads).
  const auto mr = check_monotonic_reads(answered_404().build());
  CHECK(mr.validity == Validity::unknown);
  CHECK(mentions(mr, "nothing to judge"));
  CHECK(mr.judged == 0);

  HistoryBuilder h;
  h.write(0, 5, 9, "k", 1).read(10, 15, 1, "k", 1).read(20, 25, 1, "k", 1).read(30, 35, 1, "k", 1);
  const auto forward = check_monotonic_reads(h.build());
  CHECK(forward.validity == Validity::holds);
  CHECK(forward.judged == 2);
}

TEST_CASE("residency with no state probe answered is unknown", "[residency][nothing-to-judge]") {
  const std::map<std::string, std::string> geo{{"eu-west-1", "eu"}, {"us-east-1", "us"}};
  HistoryBuilder served_only;
  served_only.sign_up("eu-c0", "eu-west-1").write(0, 10, 1, "eu-c0/k", 1).served_by("eu-west-1");
  const auto r = check_residency(served_only.build(), geo);
  CHECK(r.validity == Validity::unknown);
  CHECK(mentions(r, "no state probe answered"));
  CHECK(r.judged == 1);  // the operation was judged; the databases were not

  HistoryBuilder nobody;
  CHECK(check_residency(nobody.build(), geo).validity == Validity::unknown);
  CHECK(check_residency(nobody.build(), geo).judged == 0);
}

TEST_CASE("failover-time with no customer operation is unknown", "[failover-time][nothing-to-judge]") {
  HistoryBuilder global_keys;  // the workload's data was global: no customer
  global_keys.write(0, 5, 1, "k", 1).write(10, 15, 1, "k", 2, OpType::fail);
  const auto r = check_failover_time(global_keys.build(), 5s);
  CHECK(r.validity == Validity::unknown);
  CHECK(r.judged == 0);
  HistoryBuilder customer;
  customer.write(0, 5, 1, "c/k", 1);
  CHECK(check_failover_time(customer.build(), 5s).judged == 1);
  CHECK(check_failover_time(customer.build(), 5s).judged_what == "customers");
}

TEST_CASE("availability of a region without one operation is unknown", "[availability][nothing-to-judge]") {
  HistoryBuilder h;  // the builder's operations are all in region "r"
  h.write(0, 5, 1, "k", 1).read(10, 15, 1, "k", 1);
  const CompactHistory history = CompactHistory::from(h.build());
  const auto r = check_availability(history, 0.9, {"r", "silent"});
  CHECK(r.validity == Validity::unknown);
  CHECK(mentions(r, "no operation in silent"));
  CHECK(r.details["regions_without_operations"] == nlohmann::json::array({"silent"}));
  CHECK(r.judged == 2);
  CHECK(check_availability(history, 0.9, {"r"}).validity == Validity::holds);
  // A violation elsewhere is still a violation.
  HistoryBuilder failing;
  failing.write(0, 5, 1, "k", 1, OpType::fail);
  CHECK(check_availability(CompactHistory::from(failing.build()), 0.9, {"r", "silent"}).validity ==
        Validity::violated);
  CHECK(check_availability(CompactHistory::from({}), 0.9, {"r"}).judged == 0);
}

TEST_CASE("judged through the registry, a run that judged nothing passes no invariant",
          "[invariants][nothing-to-judge]") {
  Experiment e;
  e.regions = {{.name = "us", .geo = "us"}, {.name = "eu", .geo = "eu"}};
  for (const char* kind : {"convergence", "no-lost-writes", "read-your-writes", "monotonic-reads",
                           "residency", "failover-time", "availability"}) {
    InvariantSpec spec;
    spec.kind = kind;
    e.invariants.push_back(spec);
  }
  // No workload at all: nothing but a heal.
  HistoryBuilder quiet;
  quiet.heal(10);
  for (const auto& r : judge_invariants(e, CompactHistory::from(quiet.build()))) {
    INFO(r.invariant << ": " << r.summary);
    CHECK(r.validity == Validity::unknown);
    CHECK(r.judged == 0);
    CHECK_FALSE(r.summary.empty());
  }
  // The 404 history: nothing holds (availability, 50% of operations, fails).
  for (const auto& r : judge_invariants(e, CompactHistory::from(answered_404().build()))) {
    INFO(r.invariant << ": " << r.summary);
    CHECK(r.validity != Validity::holds);
  }
}

TEST_CASE("the verdict says how much each invariant judged: terminal, verdict.json, junit.xml",
          "[verdict][junit][nothing-to-judge]") {
  Verdict v;
  v.experiment = "answers-404";
  v.run = nlohmann::json::object();
  v.results = {check_no_lost_writes(answered_404().build())};
  const std::string text = render_text(v, false);
  CHECK_THAT(text, Catch::Contains("UNKNOWN  no-lost-writes: no acknowledged write: nothing to judge"));
  CHECK_THAT(text, Catch::Contains("[judged 0 acknowledged writes]"));
  CHECK_THAT(text, Catch::Contains("=> UNKNOWN (exit 2)"));
  const auto j = to_json(v);
  CHECK(j["invariants"][0]["judged"] == 0);
  CHECK(j["invariants"][0]["judged_what"] == "acknowledged writes");
  const std::string xml = render_junit(v);
  CHECK_THAT(xml, Catch::Contains("<property name=\"judged\" value=\"0\"/>"));
  CHECK_THAT(xml, Catch::Contains("<property name=\"judged_what\" value=\"acknowledged writes\"/>"));
  CHECK_THAT(xml, Catch::Contains("<failure type=\"unknown\" message=\"no acknowledged write"));

  v.unknown_fails = false;  // unknown = "passes"
  CHECK(v.exit_code() == kExitHolds);
  CHECK_THAT(render_junit(v), Catch::Contains("<skipped message=\"no acknowledged write"));

  Verdict none;  // no invariants: said so, not a silent PASS
  CHECK_THAT(render_text(none, false), Catch::Contains("no invariants"));
}
