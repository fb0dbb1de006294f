#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

#include "injector/nfqueue/delay_model.hpp"
#include "injector/nfqueue/queue_rules.hpp"

using namespace faultline::injector;

namespace {
struct Sample {
  double mean_ms = 0, sd_ms = 0, drop_rate = 0;
};
Sample sample(const NetemSpec& spec, int n = 200000) {
  DelayModel model(spec, 42);
  std::vector<double> holds;
  int drops = 0;
  for (int i = 0; i < n; ++i) {
    auto fate = model.next();
    if (fate.drop)
      ++drops;
    else
      holds.push_back(fate.hold.count() / 1e6);
  }
  Sample s;
  s.drop_rate = static_cast<double>(drops) / n;
  s.mean_ms = std::accumulate(holds.begin(), holds.end(), 0.0) / holds.size();
  double var = 0;
  for (double h : holds) var += (h - s.mean_ms) * (h - s.mean_ms);
  s.sd_ms = std::sqrt(var / holds.size());
  return s;
}
}  // namespace

TEST_CASE("the user-space delay model holds every packet for the configured delay", "[nfqueue]") {
  NetemSpec spec;
  spec.delay_us = 50000;
  auto s = sample(spec, 1000);
  CHECK(s.mean_ms == Approx(50.0));
  CHECK(s.sd_ms == Approx(0.0).margin(1e-9));
  CHECK(s.drop_rate == 0);
}

TEST_CASE("normal jitter from iproute2's table has the configured standard deviation",
          "[nfqueue]") {
  NetemSpec spec;
  spec.delay_us = 100000;
  spec.jitter_us = 10000;
  spec.distribution = "normal";
  auto s = sample(spec);
  CHECK(s.mean_ms == Approx(100.0).margin(0.2));
  CHECK(s.sd_ms == Approx(10.0).epsilon(0.05));
}

TEST_CASE("uniform jitter spreads over plus or minus the jitter", "[nfqueue]") {
  NetemSpec spec;
  spec.delay_us = 100000;
  spec.jitter_us = 10000;
  auto s = sample(spec);
  CHECK(s.mean_ms == Approx(100.0).margin(0.2));
  CHECK(s.sd_ms == Approx(10.0 / std::sqrt(3.0)).epsilon(0.05));  // sd of U(-j, j)
}

TEST_CASE("loss drops the configured fraction", "[nfqueue]") {
  NetemSpec spec;
  spec.loss = 30;
  CHECK(sample(spec).drop_rate == Approx(0.30).margin(0.005));
}

TEST_CASE("correlated loss comes in bursts, as with sch_netem", "[nfqueue]") {
  // netem's correlated generator (get_crandom) makes a loss more likely after
  // a loss; it also lowers the overall rate, and the engines agree on that.
  NetemSpec spec;
  spec.loss = 30;
  spec.loss_correlation = 75;
  DelayModel model(spec, 7);
  int drops = 0, after_drop = 0, drops_after_drop = 0;
  bool last = false;
  for (int i = 0; i < 200000; ++i) {
    bool drop = model.next().drop;
    drops += drop;
    if (last) {
      ++after_drop;
      drops_after_drop += drop;
    }
    last = drop;
  }
  const double rate = drops / 200000.0;
  const double conditional = static_cast<double>(drops_after_drop) / after_drop;
  INFO("rate " << rate << ", after a loss " << conditional);
  CHECK(conditional > rate * 1.5);
}

TEST_CASE("queue rules render as nft would list them and end in a bypassing queue", "[nfqueue]") {
  QueueRule rule;
  rule.dev = "wan0";
  rule.match.dst = "198.18.2.0/24";
  rule.queue = 16;
  CHECK(render_rule(rule) == "ip oifname \"wan0\" ip daddr 198.18.2.0/24 queue num 16 bypass");
  QueueRule db;
  db.dev = "eth0";
  db.match.family = 10;
  db.match.protocol = 6;
  db.match.sport = PortMatch{5432, 0xffff};
  db.queue = 17;
  CHECK(render_rule(db) == "ip6 oifname \"eth0\" tcp sport 5432 queue num 17 bypass");
  QueueRule range = db;
  range.match.sport = PortMatch{8000, 0xfffc};
  CHECK(render_rule(range) ==
        "ip6 oifname \"eth0\" tcp sport & 0xfffc == 0x1f40 queue num 17 bypass");
}

TEST_CASE("fault rules come before baseline rules in the chain", "[nfqueue]") {
  QueueRule baseline;
  baseline.dev = "wan0";
  baseline.queue = 16;
  baseline.band = 1;
  QueueRule fault = baseline;
  fault.queue = 17;
  fault.band = 0;
  auto ordered = ordered_rules({baseline, fault});
  CHECK(ordered[0].queue == 17);
  CHECK(ordered[1].queue == 16);
}
