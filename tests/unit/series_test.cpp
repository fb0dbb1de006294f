#include "controllers/checkers/series.hpp"

#include <catch2/catch.hpp>

#include "controllers/checkers/availability.hpp"
#include "controllers/checkers/convergence.hpp"
#include "controllers/checkers/failover_time.hpp"
#include "controllers/checkers/no_lost_writes.hpp"
#include "controllers/checkers/residency.hpp"
#include "controllers/checkers/session_guarantees.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/report/html_report.hpp"
#include "controllers/report/series_charts.hpp"
#include "unit/history_builder.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using faultline::testing::HistoryBuilder;

namespace {

const SeriesLine* line_of(const Series& s, const std::string& label) {
  for (const auto& line : s.lines)
    if (line.label == label) return &line;
  return nullptr;
}

const Series* series_titled(const CheckResult& r, const std::string& prefix) {
  for (const auto& s : r.series)
    if (s.title.rfind(prefix, 0) == 0) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("a series buckets events per 250 ms, wider for long runs", "[series]") {
  CHECK(series_bucket_ms(10'000'000'000) == 250);    // 10 s: 40 buckets
  CHECK(series_bucket_ms(60'000'000'000) == 250);    // 60 s: 240 buckets
  CHECK(series_bucket_ms(61'000'000'000) == 500);    // past 240 buckets: twice as wide
  CHECK(series_bucket_ms(3600'000'000'000) == 15000);  // an hour: 240 buckets of 15 s
  SeriesBuilder b("stale reads", "stale reads", 10'000'000'000);
  b.add("us", 100'000'000);
  b.add("us", 200'000'000);
  b.add("us", 300'000'000);
  b.add("eu", 5'000'000'000, 2);
  const Series s = b.build();
  REQUIRE(s.lines.size() == 2);
  CHECK(s.lines[0].label == "eu");  // in label order
  const SeriesLine* us = line_of(s, "us");
  REQUIRE(us != nullptr);
  REQUIRE(us->points.size() == 2);
  CHECK(us->points[0] == std::pair<std::int64_t, double>{0, 2});
  CHECK(us->points[1] == std::pair<std::int64_t, double>{250, 1});
  CHECK(us->total == 3);
  CHECK(to_json(s)["lines"][1]["points"][0] == nlohmann::json::array({0, 2.0}));
}

TEST_CASE("a max series keeps each bucket's largest value; a held value fills its span",
          "[series]") {
  SeriesBuilder b("how stale", "ms stale", 10'000'000'000, SeriesFold::max);
  b.add("us", 100'000'000, 40);
  b.add("us", 120'000'000, 900);
  b.add("us", 130'000'000, 10);
  b.hold("eu", 1'000'000'000, 1'600'000'000, 3);
  const Series s = b.build();
  CHECK(line_of(s, "us")->points == std::vector<std::pair<std::int64_t, double>>{{0, 900}});
  CHECK(line_of(s, "eu")->points ==
        std::vector<std::pair<std::int64_t, double>>{{1000, 3}, {1250, 3}, {1500, 3}});
  CHECK(line_of(s, "us")->total == 900);
}

TEST_CASE("a series keeps its largest lines and folds the rest into one", "[series]") {
  SeriesBuilder b("failed ops per customer", "failed ops", 10'000'000'000);
  for (int c = 0; c < 20; ++c)
    for (int n = 0; n <= c; ++n) b.add("c" + std::to_string(100 + c), 1'000'000'000);
  for (int m = 0; m < 30; ++m) b.mark(m * 1'000'000, "x");
  const Series s = b.build();
  REQUIRE(s.lines.size() == kSeriesLines);
  CHECK(line_of(s, "c119") != nullptr);  // the largest kept
  CHECK(line_of(s, "c100") == nullptr);  // the smallest folded
  const SeriesLine* others = line_of(s, "13 others");
  REQUIRE(others != nullptr);
  CHECK(others->total == 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13);
  CHECK(s.marks.size() == kSeriesMarks);
  CHECK(s.marks_left_off == 10);
}

TEST_CASE("no-lost-writes plots stale reads per region and lost writes at their ack",
          "[series][no-lost-writes]") {
  HistoryBuilder h;
  // k=2 acknowledged at 30 ms; us reads the older 1 at 600 ms and 700 ms (stale by 570 and
  // 670 ms), eu reads 2 (fresh).
  h.write(0, 10, 0, "k", 1).write(20, 30, 1, "k", 2);
  h.op(600, OpType::invoke, 2, "read", nlohmann::json::array({"k", nullptr}), "us");
  h.op(610, OpType::ok, 2, "read", nlohmann::json::array({"k", 1}), "us");
  h.op(700, OpType::invoke, 2, "read", nlohmann::json::array({"k", nullptr}), "us");
  h.op(710, OpType::ok, 2, "read", nlohmann::json::array({"k", 1}), "us");
  h.op(650, OpType::invoke, 3, "read", nlohmann::json::array({"k", nullptr}), "eu");
  h.op(660, OpType::ok, 3, "read", nlohmann::json::array({"k", 2}), "eu");
  // The later write is lost everywhere.
  h.heal(900).final_read(1000, "us", "k", 1).final_read(1000, "eu", "k", 1);
  const CheckResult r = check_no_lost_writes(h.build());
  CHECK(r.validity == Validity::violated);

  const Series* stale = series_titled(r, "stale reads");
  REQUIRE(stale != nullptr);
  REQUIRE(stale->lines.size() == 1);
  CHECK(stale->lines[0].label == "us");
  CHECK(stale->lines[0].points == std::vector<std::pair<std::int64_t, double>>{{500, 2}});

  const Series* how = series_titled(r, "how stale");
  REQUIRE(how != nullptr);
  CHECK(how->lines[0].points == std::vector<std::pair<std::int64_t, double>>{{500, 670}});

  const Series* lost = series_titled(r, "lost writes");
  REQUIRE(lost != nullptr);
  REQUIRE(lost->lines.size() == 1);
  CHECK(lost->lines[0].label == "r");  // the client's region
  CHECK(lost->lines[0].points == std::vector<std::pair<std::int64_t, double>>{{0, 1}});
  REQUIRE(!lost->marks.empty());
  CHECK(lost->marks[0].t_ms == 30);
}

TEST_CASE("a run with nothing stale still plots its flat series", "[series][no-lost-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1).heal(40).final_read(50, "us", "k", 1);
  const CheckResult r = check_no_lost_writes(h.build());
  CHECK(r.validity == Validity::holds);
  REQUIRE(r.series.size() == 3);
  for (const auto& s : r.series) CHECK(s.lines.empty());
}

// The checkers' own series, on hand-written histories. HistoryBuilder's
// reads and writes are in region "r".
namespace {

using Points = std::vector<std::pair<std::int64_t, double>>;

}  // namespace

TEST_CASE("availability plots failed operations per region at their invocation",
          "[series][availability]") {
  HistoryBuilder h;
  h.write(0, 10, 1, "k", 1);
  h.write(600, 2000, 1, "k", 2, OpType::fail).write(2100, 2200, 1, "k", 3, OpType::info);
  h.write(2300, 2310, 1, "k", 4);
  const CheckResult r = check_availability(h.build(), 0.9);
  CHECK(r.validity == Validity::violated);
  const Series* failed = series_titled(r, "failed operations");
  REQUIRE(failed != nullptr);
  REQUIRE(failed->lines.size() == 1);
  CHECK(failed->lines[0].label == "r");
  CHECK(failed->lines[0].points == Points{{500, 1}, {2000, 1}});  // by invocation, not completion
  REQUIRE(failed->marks.size() == 1);
  CHECK(failed->marks[0].t_ms == 2000);  // the first failure's completion, the witness
}

TEST_CASE("failover-time plots each customer's failing window, stacked", "[series][failover-time]") {
  HistoryBuilder h;
  h.write(0, 100, 1, "c/k", 1);                                 // c last succeeds at 100 ms
  h.write(200, 300, 1, "c/k", 2, OpType::fail);
  h.write(1600, 1700, 1, "c/k", 3);                             // and is back at 1700 ms
  h.write(0, 600, 2, "d/k", 9).write(700, 800, 2, "d/k", 10, OpType::fail);  // d from 600 ms on
  h.write(900, 1000, 2, "d/k", 11);                                          // back at 1000 ms
  const CheckResult r = check_failover_time(h.build(), 2s);
  CHECK(r.validity == Validity::holds);
  REQUIRE(r.series.size() == 1);
  const Series& s = r.series[0];
  REQUIRE(s.lines.size() == 2);
  CHECK(s.lines[0].label == "c");
  CHECK(s.lines[0].points == Points{{0, 1}, {250, 1}, {500, 1}, {750, 1}, {1000, 1}, {1250, 1}, {1500, 1}});
  CHECK(s.lines[0].total == 1600);  // its longest window, in ms
  CHECK(s.lines[1].label == "d");
  CHECK(s.lines[1].points == Points{{500, 1}, {750, 1}, {1000, 1}});
  CHECK(s.lines[1].total == 400);
  CHECK(s.total_what == "ms failing at the longest");
  REQUIRE(s.marks.size() == 2);  // the worst customer's window
  CHECK(s.marks[0].t_ms == 100);
  CHECK(s.marks[1].t_ms == 1700);
}

TEST_CASE("the session guarantees plot their violations per region", "[series][read-your-writes]") {
  HistoryBuilder ryw;
  ryw.write(0, 10, 1, "c/k", 1).write(20, 30, 1, "c/k", 2);
  ryw.read(40, 50, 1, "c/k", 2).read(1040, 1050, 1, "c/k", 1).read(1100, 1110, 1, "c/k", nullptr);
  const CheckResult r = check_read_your_writes(ryw.build());
  CHECK(r.validity == Validity::violated);
  REQUIRE(r.series.size() == 1);
  REQUIRE(r.series[0].lines.size() == 1);
  CHECK(r.series[0].lines[0].points == Points{{1000, 2}});
  REQUIRE(r.series[0].marks.size() == 1);
  CHECK(r.series[0].marks[0].t_ms == 1050);

  HistoryBuilder mr;
  mr.write(0, 10, 9, "k", 1).write(20, 30, 9, "k", 2);
  mr.read(40, 45, 1, "k", 2).read(3050, 3055, 1, "k", 1);
  const CheckResult m = check_monotonic_reads(mr.build());
  CHECK(m.validity == Validity::violated);
  REQUIRE(m.series.size() == 1);
  CHECK(m.series[0].lines[0].points == Points{{3000, 1}});

  HistoryBuilder fine;
  fine.write(0, 10, 1, "c/k", 1).read(20, 30, 1, "c/k", 1);
  const CheckResult ok = check_read_your_writes(fine.build());
  CHECK(ok.validity == Validity::holds);
  REQUIRE(ok.series.size() == 1);
  CHECK(ok.series[0].lines.empty());
}

TEST_CASE("convergence plots how many keys the regions disagree on after the heal",
          "[series][convergence]") {
  HistoryBuilder h;
  h.heal(100);
  // Round 1 at 300 ms: both keys differ. Round 2 at 800 ms: k1 agrees. Round 3 at 1300 ms: all.
  h.final_read(300, "us", "k1", 1).final_read(300, "eu", "k1", 2);
  h.final_read(300, "us", "k2", 3).final_read(300, "eu", "k2", 4);
  h.final_read(800, "us", "k1", 2).final_read(1300, "us", "k2", 4);
  const CheckResult r = check_convergence(h.build(), 5s);
  CHECK(r.validity == Validity::holds);
  REQUIRE(r.series.size() == 1);
  const Series& s = r.series[0];
  CHECK(s.fold == SeriesFold::max);
  REQUIRE(s.lines.size() == 1);
  CHECK(s.lines[0].points == Points{{250, 2}, {750, 1}, {1250, 0}});
  REQUIRE(s.marks.size() == 2);
  CHECK(s.marks[0].t_ms == 100);   // the heal
  CHECK(s.marks[1].t_ms == 1300);  // the regions agree
}

TEST_CASE("residency plots out-of-geo serves by serving region and marks probes that found rows",
          "[series][residency]") {
  const std::map<std::string, std::string> geo{{"eu-west-1", "eu"}, {"us-east-1", "us"}};
  HistoryBuilder h;
  h.sign_up("eu-c0", "eu-west-1");
  h.write(0, 10, 1, "eu-c0/k", 1).served_by("eu-west-1");
  h.write(500, 510, 1, "eu-c0/k", 2).served_by("us-east-1");
  h.probe(2000, "us-east-1", {"eu-c0"});
  const CheckResult r = check_residency(h.build(), geo);
  CHECK(r.validity == Validity::violated);
  REQUIRE(r.series.size() == 1);
  const Series& s = r.series[0];
  REQUIRE(s.lines.size() == 1);
  CHECK(s.lines[0].label == "us-east-1");
  CHECK(s.lines[0].points == Points{{500, 1}});
  REQUIRE(s.marks.size() == 1);
  CHECK(s.marks[0].t_ms == 2000);
  CHECK(s.marks[0].label == "probe in us-east-1 found 1 customers out of geo");
}

TEST_CASE("report.html draws events as stacked bars, magnitudes as step lines, nothing as a sentence",
          "[series][html]") {
  const Experiment e = parse_experiment(R"(
[experiment]
name = "charts"
duration = "10s"
[[region]]
name = "us"
geo = "us"
[[region]]
name = "eu"
geo = "eu"
)", "charts.toml");
  const std::vector<FaultWindow> windows{{"partition [us] | [eu]", 2.0, 6.0}};
  SeriesBuilder events("stale reads per region", "stale reads", 10'000'000'000);
  events.add("eu", 3'000'000'000, 4);
  events.add("us", 3'100'000'000, 2);
  events.mark(3'000'000'000, "first stale read");
  const std::string bars = render_series_chart(e, events.build(), windows, 10);
  CHECK(bars.find("aria-label=\"stale reads per region (per 250 ms)\"") != std::string::npos);
  CHECK(bars.find("<rect class=\"fault\"") != std::string::npos);
  // Stacked in the regions' order: us at the bottom (2), eu on top of it (4).
  const auto us_bar = bars.find(std::string("fill=\"") + region_colour(0) + "\"><title>us: 2");
  const auto eu_bar = bars.find(std::string("fill=\"") + region_colour(1) + "\"><title>eu: 4");
  CHECK(us_bar != std::string::npos);
  CHECK(eu_bar != std::string::npos);
  CHECK(bars.find("<line class=\"violation\"") != std::string::npos);
  CHECK(bars.find("eu: 4 stale reads</span>") != std::string::npos);  // the legend

  SeriesBuilder magnitudes("how stale", "ms stale", 10'000'000'000, SeriesFold::max);
  magnitudes.add("eu", 3'000'000'000, 900);
  const std::string steps = render_series_chart(e, magnitudes.build(), windows, 10);
  CHECK(steps.find(std::string("<polyline fill=\"none\" stroke=\"") + region_colour(1)) !=
        std::string::npos);
  CHECK(steps.find("eu: up to 900 ms stale</span>") != std::string::npos);

  const std::string quiet = render_series_chart(
      e, SeriesBuilder("lost writes", "lost writes", 10'000'000'000).build(), windows, 10);
  CHECK(quiet.find("<svg") == std::string::npos);
  CHECK(quiet.find("lost writes: none over the whole run.") != std::string::npos);
}

TEST_CASE("a magnitude that stayed 0 is a sentence, naming its marks", "[series][html]") {
  Experiment e;
  SeriesBuilder differing("keys differing", "keys", 10'000'000'000, SeriesFold::max);
  differing.add("", 9'000'000'000, 0);
  differing.mark(8'500'000'000, "heal");
  const std::string html = render_series_chart(e, differing.build(), {}, 10);
  CHECK(html.find("<svg") == std::string::npos);
  CHECK(html.find("keys differing: none over the whole run (heal at 8.500s).") != std::string::npos);
}

TEST_CASE("an hour of events over a thousand customers stays a small series", "[series]") {
  const std::int64_t hour_ns = 3600'000'000'000;
  SeriesBuilder b("failed ops per customer", "failed ops", hour_ns);
  for (std::int64_t t = 0; t < hour_ns; t += 100'000'000)  // 36,000 events
    b.add("customer-" + std::to_string(t / 100'000'000 % 1000), t);
  for (std::int64_t t = 0; t < hour_ns; t += 1'000'000'000) b.mark(t, "a failure");
  const Series s = b.build();
  CHECK(s.bucket_ms == 15000);
  CHECK(s.lines.size() == kSeriesLines);
  for (const auto& line : s.lines) CHECK(line.points.size() <= kSeriesBuckets + 1);
  CHECK(s.marks.size() == kSeriesMarks);
  CHECK(s.marks_left_off == 3600 - kSeriesMarks);
  CHECK(to_json(s).dump().size() < 40000);
}

TEST_CASE("what happened within a tenth of a long run gets a close-up beside the shared axis",
          "[series][html]") {
  Experiment e;
  SeriesBuilder differing("keys differing", "keys", 60'000'000'000, SeriesFold::max);
  differing.add("", 58'100'000'000, 12);
  differing.add("", 58'600'000'000, 0);
  differing.mark(58'000'000'000, "heal");
  const std::string html = render_series_chart(e, differing.build(), {}, 60);
  CHECK(html.find("aria-label=\"keys differing (the largest per 250 ms)\"") != std::string::npos);
  CHECK(html.find("aria-label=\"keys differing, close up: 57.5s to 59.2s\"") != std::string::npos);
  CHECK(html.find(">58.0s</text>") != std::string::npos);  // the close-up's ticks
  // Spread over the run: no close-up.
  SeriesBuilder spread("stale reads", "stale reads", 60'000'000'000);
  spread.add("us", 5'000'000'000);
  spread.add("us", 50'000'000'000);
  CHECK(render_series_chart(e, spread.build(), {}, 60).find("close up") == std::string::npos);
}
