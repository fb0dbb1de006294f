#include "controllers/report/verdict.hpp"

#include <catch2/catch.hpp>

#include "controllers/report/write_latency.hpp"

using namespace faultline;

TEST_CASE("the exit code follows the worst invariant: violated over unknown over holds",
          "[verdict]") {
  auto with = [](std::vector<Validity> vs) {
    Verdict v;
    for (auto x : vs) v.results.push_back({"inv", x, "", {}, {}});
    return v.exit_code();
  };
  CHECK(with({}) == kExitHolds);
  CHECK(with({Validity::holds, Validity::holds}) == kExitHolds);
  CHECK(with({Validity::holds, Validity::unknown}) == kExitUnknown);
  CHECK(with({Validity::unknown, Validity::violated}) == kExitViolated);
}

TEST_CASE("verdict.json carries each invariant's result and witness", "[verdict]") {
  Verdict v;
  v.experiment = "e";
  v.results.push_back({"convergence",
                       Validity::violated,
                       "differ",
                       {{"diverged_keys", 1}},
                       {Operation{.type = OpType::ok, .f = "final-read"}}});
  auto j = to_json(v);
  CHECK(j["result"] == "violated");
  CHECK(j["exit_code"] == 1);
  CHECK(j["invariants"][0]["witness"][0]["f"] == "final-read");
  CHECK_THAT(render_text(v, false), Catch::Contains("FAIL  convergence: differ"));
  CHECK(j["invariants"][0]["series"] == nlohmann::json::array());
}

TEST_CASE("verdict.json carries each invariant's series over time", "[verdict][series]") {
  Verdict v;
  CheckResult r;
  r.invariant = "no-lost-writes";
  SeriesBuilder stale("stale reads per region", "stale reads", 10'000'000'000);
  stale.add("eu-west-1", 3'100'000'000, 2);
  stale.mark(3'100'000'000, "first stale read");
  r.series.push_back(stale.build());
  v.results.push_back(r);
  const auto s = to_json(v)["invariants"][0]["series"][0];
  CHECK(s["title"] == "stale reads per region");
  CHECK(s["unit"] == "stale reads");
  CHECK(s["bucket_ms"] == 250);
  CHECK(s["fold"] == "sum");
  CHECK(s["lines"][0]["label"] == "eu-west-1");
  CHECK(s["lines"][0]["total"] == 2.0);
  CHECK(s["lines"][0]["points"] == nlohmann::json::parse("[[3000, 2.0]]"));
  CHECK(s["marks"][0]["t_ms"] == 3100);
  CHECK(!s.contains("marks_left_off"));
}

TEST_CASE(
    "acknowledged writes' latency per region and kind: p50 and p99, ok writes only, in the text "
    "too",
    "[verdict]") {
  WriteLatency latency;
  auto op = [](std::int64_t ms, OpType type, std::int64_t process, const char* f,
               const char* region) {
    return Operation{.time = ms * 1000000,
                     .type = type,
                     .process = process,
                     .f = f,
                     .value = nlohmann::json::array({"k", 1}),
                     .region = region};
  };
  // us-east-1: ten writes of 10..100 ms, one timed out (not counted), a read
  // (not a write); eu-west-1: one cas of 80 ms.
  for (int i = 1; i <= 10; ++i) {
    latency.add(op(1000 * i, OpType::invoke, 1, "write", "us-east-1"));
    latency.add(op(1000 * i + 10 * i, OpType::ok, 1, "write", "us-east-1"));
  }
  latency.add(op(20000, OpType::invoke, 1, "write", "us-east-1"));
  latency.add(op(25000, OpType::info, 1, "write", "us-east-1"));
  latency.add(op(30000, OpType::invoke, 1, "read", "us-east-1"));
  latency.add(op(30500, OpType::ok, 1, "read", "us-east-1"));
  latency.add(op(100, OpType::invoke, 2, "cas", "eu-west-1"));
  latency.add(op(180, OpType::ok, 2, "cas", "eu-west-1"));
  const auto j = latency.to_json();
  CHECK(j["us-east-1"]["write"] ==
        nlohmann::json{{"count", 10}, {"p50_ms", 50.0}, {"p99_ms", 100.0}});
  CHECK(j["eu-west-1"]["cas"]["p50_ms"] == 80.0);
  CHECK_FALSE(j["us-east-1"].contains("read"));

  Verdict v;
  v.experiment = "e";
  v.run["write_latency"] = j;
  const std::string text = render_text(v, false);
  CHECK_THAT(text, Catch::Contains("acknowledged writes took, by the client's region:\n"
                                   "    eu-west-1: cas p50 80.0 ms, p99 80.0 ms (1)\n"
                                   "    us-east-1: write p50 50.0 ms, p99 100.0 ms (10)\n"));
  CHECK(WriteLatency().to_json().empty());
}
