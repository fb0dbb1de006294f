#include <catch2/catch.hpp>

#include "controllers/checkers/availability.hpp"
#include "controllers/checkers/linearizable.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/report/edn.hpp"
#include "controllers/report/html_report.hpp"
#include "controllers/report/junit.hpp"
#include "unit/history_builder.hpp"

using namespace faultline;
using faultline::testing::HistoryBuilder;

namespace {

HistoryBuilder& fault(HistoryBuilder& h, std::int64_t start, std::int64_t stop) {
  nlohmann::json v{{"fault", 0}, {"kind", "partition"}, {"what", "partition [a] | [b]"}};
  h.op(start, OpType::ok, kNemesisProcess, "start-partition", v);
  return h.op(stop, OpType::ok, kNemesisProcess, "stop-partition", v);
}

Verdict sample_verdict() {
  Verdict v;
  v.experiment = "demo";
  v.run_id = "abc123";
  v.seed = 7;
  CheckResult ok;
  ok.invariant = "convergence";
  ok.validity = Validity::holds;
  ok.summary = "3 regions agree";
  CheckResult bad;
  bad.invariant = "no-lost-writes";
  bad.validity = Validity::violated;
  bad.summary = "1 of 2 acknowledged writes lost <&>";
  Operation w{.index = 3, .time = 2000000000, .type = OpType::ok, .process = 1, .f = "write",
              .value = nlohmann::json::array({"k", 5}), .region = "us-east-1"};
  bad.witness.push_back(w);
  v.results = {ok, bad};
  v.run = {{"faults", nlohmann::json::array({{{"what", "partition [a] | [b]"},
                                               {"start_ms", 3000},
                                               {"stop_ms", 9000}}})},
           {"engine", "none"},
           {"duration_ms", 12000}};
  return v;
}

}  // namespace

TEST_CASE("availability per region and per fault window against a bound", "[availability]") {
  HistoryBuilder h;
  h.write(0, 10, 1, "k", 1).write(20, 30, 1, "k", 2);
  fault(h, 100, 500);
  h.write(200, 210, 1, "k", 3, OpType::fail).write(300, 310, 1, "k", 4);
  // Overall 3 of 4; during the fault 1 of 2.
  auto r = check_availability(h.build(), 0.5);
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["lowest"] == Approx(0.5));
  auto strict = check_availability(h.build(), 0.6);
  CHECK(strict.validity == Validity::violated);
  CHECK(strict.summary.find("during partition") != std::string::npos);
  REQUIRE(strict.witness.size() == 1);
  CHECK(strict.witness[0].type == OpType::fail);
  HistoryBuilder none;
  CHECK(check_availability(none.build(), 0.9).validity == Validity::unknown);
}

TEST_CASE("an experiment can let unknown pass CI", "[verdict]") {
  Verdict v;
  CheckResult u;
  u.invariant = "convergence";
  u.validity = Validity::unknown;
  v.results = {u};
  CHECK(v.exit_code() == kExitUnknown);
  v.unknown_fails = false;
  CHECK(v.exit_code() == kExitHolds);
  u.validity = Validity::violated;
  v.results = {u};
  CHECK(v.exit_code() == kExitViolated);  // violations always fail
}

TEST_CASE("junit.xml has one testcase per invariant, properties, escaped text", "[junit]") {
  const std::string xml = render_junit(sample_verdict());
  CHECK(xml.find("<testsuite name=\"faultline.demo\" tests=\"2\" failures=\"1\"") != std::string::npos);
  CHECK(xml.find("<property name=\"seed\" value=\"7\"/>") != std::string::npos);
  CHECK(xml.find("<property name=\"commit\"") != std::string::npos);
  CHECK(xml.find("<property name=\"fault_schedule\" value=\"partition [a] | [b] 3000-9000 ms\"/>") !=
        std::string::npos);
  CHECK(xml.find("<testcase classname=\"faultline.demo\" name=\"convergence\"") != std::string::npos);
  CHECK(xml.find("<failure type=\"violated\" message=\"1 of 2 acknowledged writes lost &lt;&amp;&gt;\">") !=
        std::string::npos);
  CHECK(xml.find("<&>") == std::string::npos);
  CHECK(xml_escape("a\x01\"b'") == "a &quot;b&apos;");
}

TEST_CASE("EDN for Jepsen's checkers and for Elle", "[edn]") {
  Operation w{.index = 4, .time = 12, .type = OpType::ok, .process = 2, .f = "write",
              .value = nlohmann::json::array({"k1", 5}), .region = "eu-west-1",
              .served_by = "eu-central-1", .session = 2};
  CHECK(to_edn(w) ==
        "{:index 4, :time 12, :type :ok, :process 2, :f :write, :value [\"k1\" 5], "
        ":region \"eu-west-1\", :session 2, :served-by \"eu-central-1\"}");
  CHECK(to_elle_edn(w).find(":f :txn, :value [[:w \"k1\" 5]]") != std::string::npos);
  Operation r = w;
  r.type = OpType::invoke;
  r.f = "read";
  r.value = nlohmann::json::array({"k1", nullptr});
  CHECK(to_elle_edn(r).find(":value [[:r \"k1\" nil]]") != std::string::npos);
  Operation n{.type = OpType::info, .process = kNemesisProcess, .f = "start-partition",
              .value = {{"fault", 0}, {"what", "a \"b\""}}};
  CHECK(to_edn(n).find(":process :nemesis, :f :start-partition, :value {:fault 0, :what \"a \\\"b\\\"\"}") !=
        std::string::npos);
  CHECK(to_elle_edn(n).empty());
}

TEST_CASE("report.html is self-contained and draws every region, fault and witness", "[html]") {
  auto e = parse_experiment(R"(
[experiment]
name = "demo"
duration = "12s"
[[region]]
name = "us-east-1"
geo = "us"
[[region]]
name = "eu-west-1"
geo = "eu"
)", "demo.toml");
  HistoryBuilder h;
  h.write(0, 10, 1, "k", 1);
  h.op(0, OpType::invoke, 2, "read", nlohmann::json::array({"k", nullptr}), "us-east-1");
  h.op(5, OpType::ok, 2, "read", nlohmann::json::array({"k", 1}), "us-east-1");
  h.op(0, OpType::invoke, 3, "read", nlohmann::json::array({"k", nullptr}), "eu-west-1");
  h.op(9, OpType::ok, 3, "read", nlohmann::json::array({"k", 1}), "eu-west-1");
  fault(h, 3000, 9000);
  const std::string html = render_html(e, sample_verdict(), h.build());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* remote : {"http://", "https://", "<script", "<link"})
    CHECK(html.find(remote) == std::string::npos);  // nothing to fetch at view time
  CHECK(html.find(std::string("stroke=\"") + region_colour(0) + "\"") != std::string::npos);
  CHECK(html.find(std::string("stroke=\"") + region_colour(1) + "\"") != std::string::npos);
  CHECK(html.find("<rect class=\"fault\"") != std::string::npos);
  CHECK(html.find("<line class=\"violation\"") != std::string::npos);
  CHECK(html.find("1 of 2 acknowledged writes lost &lt;&amp;&gt;") != std::string::npos);
}

TEST_CASE("report.html draws a linearizability witness as a timeline of intervals per process", "[html]") {
  auto e = parse_experiment(R"(
[experiment]
name = "demo"
duration = "12s"
[[region]]
name = "us-east-1"
geo = "us"
)", "demo.toml");
  HistoryBuilder h;
  h.write(0, 10, 1, "k", 1);
  Verdict v = sample_verdict();
  CheckResult lin;
  lin.invariant = "linearizable";
  lin.validity = Validity::violated;
  lin.summary = "key k is not linearizable";
  lin.witness.push_back(Operation{.f = "read", .value = nlohmann::json::array({"k", 1})});
  lin.details["witness"] = {
      {"key", "k"},
      {"window", nlohmann::json::array(
                     {{{"process", 0}, {"f", "write"}, {"value", 2}, {"invoked_ns", 0}, {"completed_ns", 100}},
                      {{"process", 4}, {"f", "cas"}, {"value", 2}, {"new", 3}, {"invoked_ns", 50},
                       {"completed_ns", nullptr}},
                      {{"process", 1}, {"f", "read"}, {"value", 1}, {"invoked_ns", 150},
                       {"completed_ns", 200}, {"culprit", true}}})}};
  v.results.push_back(lin);
  const std::string html = render_html(e, v, h.build());
  CHECK(html.find("aria-label=\"witness timeline\"") != std::string::npos);
  CHECK(html.find(">process 4</text>") != std::string::npos);
  CHECK(html.find("fill=\"#dc2626\"><title>read 1</title>") != std::string::npos);  // the culprit
  CHECK(html.find("cas 2\u21923 (info: may take effect any time after)") != std::string::npos);
}

TEST_CASE(
    "report.html draws the linearizable checker's shrunk witness: only the operations that matter",
    "[html][linearizable]") {
  auto e = parse_experiment(R"(
[experiment]
name = "demo"
duration = "12s"
[[region]]
name = "us-east-1"
geo = "us"
)",
                            "demo.toml");
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1).write(20, 30, 0, "k", 2);
  for (std::int64_t p = 1; p <= 4; ++p)
    h.op(40 + p, OpType::invoke, p, "read", nlohmann::json::array({"k", nullptr}), "r");
  for (std::int64_t p = 1; p <= 4; ++p)
    h.op(60 + p, OpType::ok, p, "read", nlohmann::json::array({"k", p == 1 ? 1 : 2}), "r");
  Verdict v = sample_verdict();
  v.results.push_back(check_linearizable(CompactHistory::from(h.build()), {}));
  REQUIRE(v.results.back().validity == Validity::violated);
  REQUIRE(v.results.back().details["witness"]["window"].size() == 3);
  const std::string html = render_html(e, v, h.build());
  CHECK(html.find("aria-label=\"witness timeline\"") != std::string::npos);
  CHECK(html.find("fill=\"#dc2626\"><title>read 1</title>") !=
        std::string::npos);                                    // the stale read
  CHECK(html.find(">process 0</text>") != std::string::npos);  // the writes
  CHECK(html.find(">process 1</text>") != std::string::npos);
  CHECK(html.find(">process 3</text>") == std::string::npos);  // a reader that did nothing wrong
}
