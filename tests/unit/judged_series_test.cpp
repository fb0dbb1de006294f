// What latency, rpo and recovery plot over time, on hand-written histories
// (series_test.cpp has the older invariants').
#include <catch2/catch.hpp>
#include <functional>

#include "controllers/checkers/latency.hpp"
#include "controllers/checkers/recovery.hpp"
#include "controllers/checkers/rpo.hpp"
#include "unit/history_builder.hpp"

using namespace faultline;
using faultline::testing::HistoryBuilder;

namespace {

constexpr std::int64_t kMs = 1000000;
using Points = std::vector<std::pair<std::int64_t, double>>;

void read(HistoryBuilder& h, std::int64_t start, std::int64_t took, const std::string& region,
          OpType outcome = OpType::ok) {
  h.op(start, OpType::invoke, 0, "read", nlohmann::json::array({"k", nullptr}), region);
  h.op(start + took, outcome, 0, "read", nlohmann::json::array({"k", nullptr}), region);
}

void fault(HistoryBuilder& h, std::int64_t from, std::int64_t to) {
  const nlohmann::json v{{"fault", 0}, {"kind", "slow-db"}, {"what", "slow db"}};
  h.op(from, OpType::ok, kNemesisProcess, "start-slow-db", v);
  h.op(to, OpType::ok, kNemesisProcess, "stop-slow-db", v);
}

const SeriesMark* mark_labelled(const Series& s, const std::string& prefix) {
  for (const auto& m : s.marks)
    if (m.label.rfind(prefix, 0) == 0) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("latency plots the judged percentile per region and bucket, the bound in its title",
          "[series][latency]") {
  // us answers in 5 ms, except from 1000 ms to 1250 ms, where one read in
  // ten takes 600 ms (the one at 1100 ms 700 ms); eu always in 20 ms.
  HistoryBuilder h;
  for (std::int64_t t = 0; t < 2000; t += 10) {
    read(h, t, t == 1100 ? 700 : t >= 1000 && t < 1250 && t % 100 == 0 ? 600 : 5, "us");
    read(h, t, 20, "eu");
  }
  const LatencyBounds bounds{.percentiles = {{0.99, 100 * kMs}}, .timeout_ns = 1000 * kMs};
  const CheckResult r = check_latency(CompactHistory::from(h.build()), bounds);
  CHECK(r.validity == Validity::violated);
  REQUIRE(r.series.size() == 1);
  const Series& s = r.series[0];
  CHECK(s.fold == SeriesFold::max);
  CHECK(s.unit == "ms");
  CHECK(s.title == "p99 latency per region, over the run");
  REQUIRE(s.lines.size() == 3);
  CHECK(s.lines[0].label == "eu");
  CHECK(s.lines[0].total == 20);
  // The bound, over the judged window: the whole run.
  CHECK(s.lines[1].label == "p99 bound, on all judged operations");
  CHECK(s.lines[1].points.size() == 9);  // 0 ms to 2005 ms
  CHECK(s.lines[1].total == 100);
  const auto& us = s.lines[2].points;
  REQUIRE(us.size() == 8);
  CHECK(us[3] == std::pair<std::int64_t, double>{750, 5});
  CHECK(us[4] == std::pair<std::int64_t, double>{1000, 700});  // the slow bucket
  CHECK(us[5] == std::pair<std::int64_t, double>{1250, 5});
  const SeriesMark* slowest = mark_labelled(s, "slowest in us");
  REQUIRE(slowest != nullptr);
  CHECK(slowest->t_ms == 1100);
}

TEST_CASE("latency during faults plots only the window and marks where it is judged",
          "[series][latency]") {
  HistoryBuilder h;
  for (std::int64_t t = 0; t < 3000; t += 50) read(h, t, t >= 1000 && t < 2000 ? 200 : 5, "us");
  fault(h, 1000, 2000);
  read(h, 3000, 5, "us");
  const LatencyBounds bounds{.percentiles = {{0.5, 500 * kMs}, {0.99, 300 * kMs}},
                             .during = LatencyDuring::faults,
                             .timeout_ns = 1000 * kMs};
  const CheckResult r = check_latency(CompactHistory::from(h.build()), bounds);
  CHECK(r.validity == Validity::holds);
  REQUIRE(r.series.size() == 1);
  const Series& s = r.series[0];
  CHECK(s.title == "p50, p99 latency per region, during the faults");
  // A line per region and percentile, only over the fault's window, and
  // each bound over it.
  REQUIRE(s.lines.size() == 4);
  CHECK(s.lines[0].label == "p50 bound, on all judged operations");
  CHECK(s.lines[0].points == Points{{1000, 500}, {1250, 500}, {1500, 500}, {1750, 500}, {2000, 500}});
  CHECK(s.lines[1].label == "p99 bound, on all judged operations");
  CHECK(s.lines[1].total == 300);
  CHECK(s.lines[2].label == "us p50");
  CHECK(s.lines[3].label == "us p99");
  CHECK(s.lines[3].points.front() == std::pair<std::int64_t, double>{1000, 200});
  CHECK(s.lines[3].points.back().first == 2000);  // the read invoked as it ended
  REQUIRE(s.marks.size() == 2);
  CHECK(s.marks[0].t_ms == 1000);
  CHECK(s.marks[0].label == "judged from");
  CHECK(s.marks[1].t_ms == 2000);
  CHECK(s.marks[1].label == "judged until");
}

TEST_CASE("rpo plots the lost writes at their ack and marks the span it measured",
          "[series][rpo]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "a", 1);
  h.write(100, 110, 0, "b", 2);    // lost
  h.write(2000, 2100, 0, "c", 3);  // lost
  h.heal(3000);
  h.final_read(3100, "us", "a", 1)
      .final_read(3100, "us", "b", nullptr)
      .final_read(3100, "us", "c", nullptr);
  const CheckResult r = check_rpo(CompactHistory::from(h.build()), Duration(1000));
  CHECK(r.validity == Validity::violated);
  REQUIRE(r.series.size() == 1);
  const Series& s = r.series[0];
  CHECK(s.title == "lost acknowledged writes at their ack, by client region (RPO bound 1000 ms)");
  REQUIRE(s.lines.size() == 1);
  CHECK(s.lines[0].label == "r");
  CHECK(s.lines[0].points == Points{{0, 1}, {2000, 1}});
  REQUIRE(s.marks.size() == 2);
  CHECK(s.marks[0].t_ms == 100);
  CHECK(s.marks[0].label == "oldest lost write invoked");
  CHECK(s.marks[1].t_ms == 2100);
  CHECK(s.marks[1].label == "newest lost write acknowledged: recovery point 2000 ms");

  HistoryBuilder kept;
  kept.write(0, 10, 0, "a", 1).heal(100).final_read(200, "us", "a", 1);
  const CheckResult none = check_rpo(CompactHistory::from(kept.build()), Duration(0));
  CHECK(none.validity == Validity::holds);
  REQUIRE(none.series.size() == 1);
  CHECK(none.series[0].lines.empty());
  CHECK(none.series[0].marks.empty());
}

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

TEST_CASE("recovery plots the returning region's share, the fault's end marked",
          "[series][recovery]") {
  // Down from 2 s to 4 s; back at 4 s with every tenth operation for 1 s,
  // then every second, then all.
  auto h = customer_ops(9000, [](std::int64_t t) -> std::string {
    if (t < 2000) return "us-east-1";
    if (t < 4000) return "us-west-2";
    if (t < 5000) return t % 1000 == 0 ? "us-east-1" : "us-west-2";
    if (t < 6000) return t % 200 == 0 ? "us-east-1" : "us-west-2";
    return "us-east-1";
  });
  const CheckResult r = check_recovery(CompactHistory::from(h.build()), outage(2000, 4000), {});
  CHECK(r.validity == Validity::holds);
  REQUIRE(r.series.size() == 2);
  const Series& share = r.series[0];
  CHECK(share.unit == "% served");
  REQUIRE(share.lines.size() == 3);
  // The baseline before the fault, and the limit on the first step: 60% of it.
  CHECK(share.lines[1].label == "us-east-1 before the fault");
  CHECK(share.lines[1].points.size() == 9);  // 0 ms to the fault's start at 2000 ms
  CHECK(share.lines[1].total == 100);
  CHECK(share.lines[2].label == "us-east-1's limit, first 1000 ms back");
  CHECK(share.lines[2].points ==
        Points{{4000, 60}, {4250, 60}, {4500, 60}, {4750, 60}, {5000, 60}});
  CHECK(share.lines[0].label == "us-east-1");
  const Points& p = share.lines[0].points;
  REQUIRE(p.size() == 36);  // every 250 ms bucket of 9 s
  CHECK(p[7] == std::pair<std::int64_t, double>{1750, 100});
  CHECK(p[8] == std::pair<std::int64_t, double>{2000, 0});  // down: served elsewhere
  CHECK(p[16].first == 4000);
  CHECK(p[16].second == Approx(100.0 / 3));  // 4000 of 4000, 4100, 4200
  CHECK(p[17].second == 0);
  CHECK(p[20].first == 5000);
  CHECK(p[20].second == Approx(100.0 * 2 / 3));  // 5000 and 5200 of three
  CHECK(p[35] == std::pair<std::int64_t, double>{8750, 100});
  const SeriesMark* ended = mark_labelled(share, "kill us-east-1/app ended");
  REQUIRE(ended != nullptr);
  CHECK(ended->t_ms == 4000);
  REQUIRE(mark_labelled(share, "us-east-1 served again") != nullptr);

  // No error in the ramp: a flat line under the bound, over the ramp.
  const Series& errors = r.series[1];
  CHECK(errors.unit == "% failed");
  REQUIRE(errors.lines.size() == 2);
  CHECK(errors.lines[0].label == "bound over the ramp");
  CHECK(errors.lines[0].total == 5);
  CHECK(errors.lines[0].points.front().first == 4000);
  CHECK(errors.lines[0].points.back().first == 8750);  // the run's end, before the ramp's
  CHECK(errors.lines[1].label == "us-east-1");
  CHECK(errors.lines[1].total == 0);
  CHECK(errors.lines[1].points.front().first == 4000);
  CHECK(errors.lines[1].points.back().first == 8750);
  // The ramp (4 s + 6 s) outlasts the run: no mark past its end.
  REQUIRE(errors.marks.size() == 1);
  CHECK(errors.marks[0].t_ms == 4000);
}

TEST_CASE("recovery plots its customers' errors during the ramp", "[series][recovery]") {
  auto h = customer_ops(9000, [](std::int64_t t) -> std::string {
    if (t < 2000) return "us-east-1";
    if (t < 4000) return t == 3000 ? "" : "us-west-2";  // a failure outside the ramp
    if (t % 500 == 200) return "";
    return t < 5000 && t % 1000 != 0 ? "us-west-2" : "us-east-1";
  });
  const CheckResult r = check_recovery(CompactHistory::from(h.build()), outage(2000, 4000), {});
  CHECK(r.validity == Validity::violated);
  REQUIRE(r.series.size() == 2);
  const Series& errors = r.series[1];
  REQUIRE(errors.lines.size() == 2);
  const Points& p = errors.lines[1].points;
  CHECK(p.front().first == 4000);  // nothing before the region returned
  CHECK(p.front().second == Approx(100.0 / 3));  // 4200 failed of 4000, 4100, 4200
  CHECK(errors.lines[1].total == Approx(100.0 / 3));  // no bucket worse
}
