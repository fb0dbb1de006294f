// The latency and rpo checkers on hand-written histories.
#include <catch2/catch.hpp>
#include <functional>

#include "controllers/checkers/latency.hpp"
#include "controllers/checkers/rpo.hpp"
#include "unit/history_builder.hpp"

using namespace faultline;
using faultline::testing::HistoryBuilder;

namespace {

constexpr std::int64_t kMs = 1000000;

// A read by `process` in `region` from `start` taking `took` ms.
void read(HistoryBuilder& h, std::int64_t start, std::int64_t took, std::int64_t process,
          const std::string& region, const std::string& key = "k", OpType outcome = OpType::ok) {
  h.op(start, OpType::invoke, process, "read", nlohmann::json::array({key, nullptr}), region);
  h.op(start + took, outcome, process, "read", nlohmann::json::array({key, nullptr}), region);
}

void fault(HistoryBuilder& h, std::int64_t from, std::int64_t to) {
  const nlohmann::json v{{"fault", 0}, {"kind", "slow-db"}, {"what", "slow db"}};
  h.op(from, OpType::ok, kNemesisProcess, "start-slow-db", v);
  h.op(to, OpType::ok, kNemesisProcess, "stop-slow-db", v);
}

LatencyBounds p99(std::int64_t ms, LatencyDuring during = LatencyDuring::run) {
  return {.percentiles = {{0.99, ms * kMs}}, .during = during, .timeout_ns = 1000 * kMs};
}

}  // namespace

TEST_CASE("latency holds when every region's p99 is within its bound", "[latency]") {
  HistoryBuilder h;
  for (int i = 0; i < 100; ++i) read(h, i * 10, 5, 0, "us-east-1");
  for (int i = 0; i < 100; ++i) read(h, i * 10, 8, 1, "us-west-2");
  const auto r = check_latency(CompactHistory::from(h.build()), p99(10));
  CHECK(r.validity == Validity::holds);
  CHECK(r.judged == 200);
  CHECK(r.details["regions"]["us-west-2"]["p99_ms"] == 8.0);
}

TEST_CASE("one slow region violates latency, named with its slowest operation", "[latency]") {
  HistoryBuilder h;
  for (int i = 0; i < 100; ++i) read(h, i * 10, 5, 0, "us-east-1");
  for (int i = 0; i < 100; ++i) read(h, i * 10, i < 5 ? 700 : 8, 1, "us-west-2");
  const auto r = check_latency(CompactHistory::from(h.build()), p99(300));
  CHECK(r.validity == Validity::violated);
  CHECK(r.summary.find("us-west-2") != std::string::npos);
  REQUIRE(r.witness.size() == 2);
  CHECK(r.witness[1].time - r.witness[0].time == 700 * kMs);
}

TEST_CASE("a failure counts at the timeout, however fast it came back", "[latency]") {
  // 10 of 100 requests shed in 1 ms with a 503: fast, and failures. Counted
  // at their 1 s timeout, the p95 is 1 s, not 5 ms.
  HistoryBuilder h;
  for (int i = 0; i < 100; ++i)
    read(h, i * 10, i % 10 == 0 ? 1 : 5, 0, "us-east-1", "k",
         i % 10 == 0 ? OpType::fail : OpType::ok);
  LatencyBounds b{.percentiles = {{0.5, 10 * kMs}, {0.95, 100 * kMs}}, .timeout_ns = 1000 * kMs};
  const auto r = check_latency(CompactHistory::from(h.build()), b);
  CHECK(r.validity == Validity::violated);
  CHECK(r.details["regions"]["us-east-1"]["p95_ms"] == 1000.0);
  CHECK(r.details["regions"]["us-east-1"]["p50_ms"] == 5.0);
  CHECK(r.details["failures_counted_at_timeout"] == 10);
}

TEST_CASE("during faults judges only what was invoked in a fault's window", "[latency]") {
  HistoryBuilder h;
  fault(h, 1000, 2000);
  for (int i = 0; i < 30; ++i) read(h, i * 100, i >= 10 && i < 20 ? 500 : 5, 0, "us-east-1");
  const auto h1 = CompactHistory::from(h.build());
  CHECK(check_latency(h1, p99(100, LatencyDuring::faults)).validity == Validity::violated);
  const auto after = check_latency(h1, p99(100, LatencyDuring::after_recovery));
  CHECK(after.validity == Validity::holds);
  CHECK(after.judged == 10);  // invoked from 2000 ms on
}

TEST_CASE("a customer's operation counts in its home region; untouched excludes regions",
          "[latency]") {
  HistoryBuilder h;
  h.sign_up("us-east-1-c0", "us-east-1").sign_up("us-west-2-c0", "us-west-2");
  // The session in us-west-2 drives a us-east-1 customer: its slowness is
  // us-east-1's.
  for (int i = 0; i < 50; ++i) read(h, i * 10, 900, 0, "us-west-2", "us-east-1-c0/k");
  for (int i = 0; i < 50; ++i) read(h, i * 10, 5, 1, "us-west-2", "us-west-2-c0/k");
  const auto all = check_latency(CompactHistory::from(h.build()), p99(100));
  CHECK(all.validity == Validity::violated);
  CHECK(all.summary.find("in us-east-1") != std::string::npos);
  LatencyBounds b = p99(100);
  b.excluded = {"us-east-1"};
  const auto untouched = check_latency(CompactHistory::from(h.build()), b);
  CHECK(untouched.validity == Validity::holds);
  CHECK(untouched.judged == 50);
}

TEST_CASE("latency with nothing in its window is unknown", "[latency]") {
  HistoryBuilder h;
  for (int i = 0; i < 10; ++i) read(h, i * 10, 5, 0, "us-east-1");
  CHECK(check_latency(CompactHistory::from(h.build()), p99(100, LatencyDuring::faults)).validity ==
        Validity::unknown);
}

TEST_CASE("rpo is the span of the lost acknowledged writes, against its bound", "[rpo]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "a", 1);
  h.write(100, 110, 0, "b", 2);    // lost
  h.write(2000, 2100, 0, "c", 3);  // lost
  h.heal(3000);
  h.final_read(3100, "us", "a", 1)
      .final_read(3100, "us", "b", nullptr)
      .final_read(3100, "us", "c", nullptr);
  const auto history = CompactHistory::from(h.build());
  const auto tight = check_rpo(history, Duration(1000));
  CHECK(tight.validity == Validity::violated);
  CHECK(tight.details["rpo_ms"] == 2000);  // from b's invocation to c's acknowledgement
  CHECK(check_rpo(history, Duration(5000)).validity == Validity::holds);
}

TEST_CASE("rpo without a lost write is zero; without final reads unknown", "[rpo]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "a", 1).heal(100).final_read(200, "us", "a", 1);
  const auto r = check_rpo(CompactHistory::from(h.build()), Duration(0));
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["rpo_ms"] == 0);
  HistoryBuilder none;
  none.write(0, 10, 0, "a", 1);
  CHECK(check_rpo(CompactHistory::from(none.build()), Duration(1000)).validity ==
        Validity::unknown);
}

#include "controllers/checkers/recovery.hpp"

namespace {

// us-east-1's customer c0, one operation every 100 ms from 0 to `end` ms,
// served by `served(t)` ("" for a failure).
HistoryBuilder customer_ops(std::int64_t end,
                            const std::function<std::string(std::int64_t)>& served) {
  HistoryBuilder h;
  h.sign_up("us-east-1-c0", "us-east-1");
  for (std::int64_t t = 0; t < end; t += 100) {
    const std::string by = served(t);
    h.op(t, OpType::invoke, 0, "read", nlohmann::json::array({"us-east-1-c0/k", nullptr}),
         "us-east-1");
    h.op(t + 5, by.empty() ? OpType::fail : OpType::ok, 0, "read",
         nlohmann::json::array({"us-east-1-c0/k", nullptr}), "us-east-1");
    if (!by.empty()) h.served_by(by);
  }
  return h;
}

std::vector<RegionOutage> outage(std::int64_t from_ms, std::int64_t to_ms) {
  return {
      {FaultWindow{
           .fault = 0, .what = "kill us-east-1/app", .start = from_ms * kMs, .stop = to_ms * kMs},
       "us-east-1"}};
}

}  // namespace

TEST_CASE("a region ramped back 10%, 50%, 100% recovers", "[recovery]") {
  // Down from 2 s to 4 s; back at 4 s: every tenth operation for 1 s, then
  // half, then all.
  auto h = customer_ops(9000, [](std::int64_t t) -> std::string {
    if (t < 2000) return "us-east-1";
    if (t < 4000) return "us-west-2";
    if (t < 5000) return t % 1000 == 0 ? "us-east-1" : "us-west-2";
    if (t < 6000) return t % 200 == 0 ? "us-east-1" : "us-west-2";
    return "us-east-1";
  });
  const auto r = check_recovery(CompactHistory::from(h.build()), outage(2000, 4000), {});
  CHECK(r.validity == Validity::holds);
  CHECK(r.judged == 1);
  CHECK(r.details["recoveries"][0]["share_first_step"] == 0.1);
  CHECK(r.details["recoveries"][0]["share_before"] == 1.0);
}

TEST_CASE("a region that takes all its traffic back at once is a herd", "[recovery]") {
  auto h = customer_ops(9000, [](std::int64_t t) -> std::string {
    return t >= 2000 && t < 4000 ? "us-west-2" : "us-east-1";
  });
  const auto r = check_recovery(CompactHistory::from(h.build()), outage(2000, 4000), {});
  CHECK(r.validity == Validity::violated);
  CHECK(r.summary.find("herd") != std::string::npos);
  CHECK_FALSE(r.witness.empty());
}

TEST_CASE("errors while a region ramps back violate recovery", "[recovery]") {
  // Ramped, but one operation in five fails in the ramp.
  auto h = customer_ops(9000, [](std::int64_t t) -> std::string {
    if (t < 2000) return "us-east-1";
    if (t < 4000) return "us-west-2";
    if (t < 9000 && t % 500 == 200) return "";
    return t < 5000 && t % 1000 != 0 ? "us-west-2" : "us-east-1";
  });
  const auto r = check_recovery(CompactHistory::from(h.build()), outage(2000, 4000), {});
  CHECK(r.validity == Validity::violated);
  CHECK(r.summary.find("failed") != std::string::npos);
}

TEST_CASE("a region that never serves again cannot be judged", "[recovery]") {
  auto h = customer_ops(
      9000, [](std::int64_t t) -> std::string { return t < 2000 ? "us-east-1" : "us-west-2"; });
  CHECK(check_recovery(CompactHistory::from(h.build()), outage(2000, 4000), {}).validity ==
        Validity::unknown);
}
