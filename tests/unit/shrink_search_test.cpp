#include "controllers/shrink/shrink_search.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "controllers/experiment/units.hpp"

using namespace faultline;

namespace {

toml::table fault(const std::string& kind, int at_s, int for_s) {
  return toml::table{{"kind", kind},
                     {"at", std::to_string(at_s) + "s"},
                     {"for", std::to_string(for_s) + "s"}};
}

Schedule schedule_of(int n) {
  Schedule s;
  s.duration = Duration(60000);
  for (int i = 0; i < n; ++i) s.faults.push_back(fault("kill", i + 1, 4));
  return s;
}

std::set<int> starts(const Schedule& s) {
  std::set<int> out;
  for (const auto& f : s.faults) out.insert(static_cast<int>(fault_at(f).count() / 1000));
  return out;
}

// A fake run: it "fails" when every fault starting at one of `needed` seconds
// is in the schedule, and counts how often it was asked.
struct FakeRunner {
  std::set<int> needed;
  int calls = 0;
  Outcome operator()(const Schedule& s) {
    ++calls;
    const auto have = starts(s);
    for (int n : needed)
      if (!have.count(n)) return Outcome::passes;
    return Outcome::fails;
  }
};

}  // namespace

TEST_CASE("ddmin finds the one fault that matters among 16, 1-minimal", "[shrink]") {
  FakeRunner runner{{7}};
  ShrinkOptions options;
  options.max_runs = 30;
  const ShrinkResult r =
      Shrinker(schedule_of(16), [&](const Schedule& s) { return runner(s); }, options).run();
  CHECK(starts(r.best) == std::set<int>{7});
  CHECK(r.one_minimal);
  CHECK_FALSE(r.stopped);
  CHECK(r.runs == runner.calls);
  CHECK(r.runs <= 30);
  // Shortened too: the fault's `for` halved to the floor, the duration cut.
  CHECK(fault_for(r.best.faults[0]) < Duration(4000));
  CHECK(r.best.duration < Duration(60000));
}

TEST_CASE("ddmin keeps two faults that matter together, and no other", "[shrink]") {
  FakeRunner runner{{2, 7}};
  const ShrinkResult r =
      Shrinker(schedule_of(8), [&](const Schedule& s) { return runner(s); }, {}).run();
  CHECK(starts(r.best) == std::set<int>{2, 7});
  CHECK(r.one_minimal);
  // 1-minimal: without either one, it passes.
  for (std::size_t i = 0; i < r.best.faults.size(); ++i) {
    Schedule less = r.best;
    less.faults.erase(less.faults.begin() + static_cast<std::ptrdiff_t>(i));
    CHECK(runner(less) == Outcome::passes);
  }
}

TEST_CASE("a failure that needs no fault is found in one run", "[shrink]") {
  FakeRunner runner{{}};
  ShrinkOptions options;
  const ShrinkResult r =
      Shrinker(schedule_of(8), [&](const Schedule& s) { return runner(s); }, options).run();
  CHECK(r.best.faults.empty());
  CHECK(r.one_minimal);
  CHECK(r.runs == 2);  // no fault, then the shortest duration
}

TEST_CASE("the budget stops the search, keeping the best so far", "[shrink]") {
  FakeRunner runner{{3, 11}};
  ShrinkOptions options;
  // No fault, without either half, each quarter alone, without the first
  // quarter (3 gone), without the second (3 and 11 still there): the ninth
  // run improves.
  options.max_runs = 9;
  int improvements = 0;
  options.on_better = [&](const Schedule&, int) { ++improvements; };
  const ShrinkResult r =
      Shrinker(schedule_of(16), [&](const Schedule& s) { return runner(s); }, options).run();
  CHECK(r.runs == 9);
  CHECK(r.stopped);
  CHECK_FALSE(r.one_minimal);
  CHECK(runner(r.best) == Outcome::fails);  // the best is always a failing schedule
  CHECK(r.best.faults.size() < 16);
  CHECK(improvements >= 1);
}

TEST_CASE("a stop from the runner (an interrupt) ends the search at once", "[shrink]") {
  int calls = 0;
  const ShrinkResult r = Shrinker(schedule_of(8),
                                  [&](const Schedule&) {
                                    ++calls;
                                    return calls == 2 ? Outcome::stop : Outcome::passes;
                                  },
                                  {})
                             .run();
  CHECK(calls == 2);
  CHECK(r.stopped);
  CHECK(r.best.faults.size() == 8);
}

TEST_CASE("invalid candidates are not counted as runs, and no candidate runs twice",
          "[shrink]") {
  std::set<std::string> seen;
  int invalid = 0;
  const ShrinkResult r = Shrinker(schedule_of(8),
                                  [&](const Schedule& s) {
                                    CHECK(seen.insert(schedule_key(s)).second);
                                    if (s.faults.size() == 4) {
                                      ++invalid;
                                      return Outcome::invalid;
                                    }
                                    return starts(s).count(5) ? Outcome::fails : Outcome::passes;
                                  },
                                  {})
                             .run();
  CHECK(invalid > 0);
  CHECK(r.runs == static_cast<int>(seen.size()) - invalid);
  CHECK(starts(r.best) == std::set<int>{5});
}

TEST_CASE("a partition's scope is narrowed: a region out, then one way", "[shrink]") {
  Schedule s;
  s.duration = Duration(20000);
  toml::table cut = fault("partition", 2, 4);
  cut.insert("groups", toml::array{toml::array{"a"}, toml::array{"b", "c"}});
  s.faults.push_back(cut);
  // Fails while a and b are cut apart, in a's direction.
  auto test = [](const Schedule& c) {
    if (c.faults.empty()) return Outcome::passes;
    const toml::array& groups = *c.faults[0]["groups"].as_array();
    const bool a_first = groups[0].as_array()->get(0)->value_or(std::string()) == "a";
    bool has_b = false;
    for (const auto& r : *groups[1].as_array()) has_b |= r.value_or(std::string()) == "b";
    return a_first && has_b ? Outcome::fails : Outcome::passes;
  };
  const ShrinkResult r = Shrinker(s, test, {}).run();
  const toml::table& f = r.best.faults[0];
  CHECK(f["groups"].as_array()->get(1)->as_array()->size() == 1);
  CHECK(f["direction"].value_or(std::string()) == "one-way");
}

namespace {

Schedule one_fault(toml::table f) {
  Schedule s;
  s.duration = Duration(20000);
  s.faults.push_back(std::move(f));
  return s;
}

// The fault's value of a duration key, sign kept, or none.
Duration signed_ms(const toml::table& f, const char* key) {
  std::string text = f[key].value_or(std::string());
  const bool negative = !text.empty() && text[0] == '-';
  const auto d = parse_duration(negative ? text.substr(1) : text);
  if (!d) return Duration(0);
  return negative ? -*d : *d;
}

ShrinkOptions in_regions(std::vector<std::string> regions) {
  ShrinkOptions options;
  options.regions = std::move(regions);
  return options;
}

}  // namespace

TEST_CASE("a delay is halved while it still fails, its jitter dropped", "[shrink]") {
  toml::table slow = fault("delay", 2, 4);
  slow.insert("between", toml::array{"a", "b"});
  slow.insert("delay", "400ms");
  slow.insert("jitter", "100ms");
  slow.insert("distribution", "normal");
  // Fails while packets wait 40 ms or more.
  int calls = 0;
  auto test = [&](const Schedule& c) {
    ++calls;
    return !c.faults.empty() && signed_ms(c.faults[0], "delay") >= Duration(40) ? Outcome::fails
                                                                               : Outcome::passes;
  };
  const ShrinkResult r = Shrinker(one_fault(slow), test, {}).run();
  const toml::table& f = r.best.faults[0];
  CHECK(f["delay"].value_or(std::string()) == "50ms");  // 400, 200, 100, 50: three halvings
  CHECK_FALSE(f.contains("jitter"));
  CHECK_FALSE(f.contains("distribution"));
  CHECK(f["direction"].value_or(std::string()) == "one-way");  // the predicate needs no way
  CHECK(r.one_minimal);
  CHECK(r.runs == calls);
}

TEST_CASE("a loss is halved while it still fails, three halvings at most", "[shrink]") {
  toml::table lossy = fault("loss", 2, 4);
  lossy.insert("between", toml::array{"a", "b"});
  lossy.insert("direction", "one-way");
  lossy.insert("percent", 40);
  SECTION("to the last that still fails") {
    // Fails while 8 percent or more are dropped: 40, 20, 10, and 5 passes.
    auto test = [](const Schedule& c) {
      return !c.faults.empty() && c.faults[0]["percent"].value_or(0.0) >= 8 ? Outcome::fails
                                                                           : Outcome::passes;
    };
    const ShrinkResult r = Shrinker(one_fault(lossy), test, {}).run();
    CHECK(r.best.faults[0]["percent"].value_or(0.0) == 10);
  }
  SECTION("no lower than three halvings go, though it still fails") {
    lossy.insert_or_assign("percent", 17.25);
    auto test = [](const Schedule& c) { return c.faults.empty() ? Outcome::passes : Outcome::fails; };
    const ShrinkResult r = Shrinker(one_fault(lossy), test, {}).run();
    // 17.25 / 8, to hundredths each time: 8.63, 4.32, 2.16.
    CHECK(r.best.faults[0]["percent"].value_or(0.0) == Approx(2.16));
  }
}

TEST_CASE("a clock's offset is halved toward zero, its sign kept", "[shrink]") {
  toml::table skew{{"kind", "clock-skew"}, {"at", "1s"}, {"for", "4s"}, {"region", "a"},
                   {"offset", "-2s"}};
  // Fails while the clock is 300 ms off or more: -1s, -500ms, and -250ms passes.
  auto test = [](const Schedule& c) {
    return !c.faults.empty() && signed_ms(c.faults[0], "offset") <= Duration(-300)
               ? Outcome::fails
               : Outcome::passes;
  };
  const ShrinkResult r = Shrinker(one_fault(skew), test, {}).run();
  CHECK(r.best.faults[0]["offset"].value_or(std::string()) == "-500ms");
}

TEST_CASE("an isolate is narrowed as the partition it is: one region out, then one way",
          "[shrink]") {
  toml::table isolate{{"kind", "isolate"}, {"at", "1s"}, {"for", "4s"}, {"region", "a"},
                      {"mode", "prohibit"}};
  // Fails while a's packets to b are dropped.
  auto a_cannot_send_to_b = [](const Schedule& c) {
    if (c.faults.empty()) return Outcome::passes;
    const toml::table& f = c.faults[0];
    if (f["kind"].value_or(std::string()) == "isolate") return Outcome::fails;
    const toml::array& groups = *f["groups"].as_array();
    int ga = -1, gb = -1;
    for (std::size_t g = 0; g < groups.size(); ++g)
      for (const auto& r : *groups[g].as_array()) {
        if (r.value_or(std::string()) == "a") ga = static_cast<int>(g);
        if (r.value_or(std::string()) == "b") gb = static_cast<int>(g);
      }
    const bool one_way = f["direction"].value_or(std::string()) == "one-way";
    return ga >= 0 && gb >= 0 && ga != gb && (!one_way || ga == 0) ? Outcome::fails
                                                                 : Outcome::passes;
  };
  SECTION("with the regions known") {
    const ShrinkResult r =
        Shrinker(one_fault(isolate), a_cannot_send_to_b, in_regions({"a", "b", "c"})).run();
    const toml::table& f = r.best.faults[0];
    CHECK(f["kind"].value_or(std::string()) == "partition");
    CHECK_FALSE(f.contains("region"));
    CHECK(f["mode"].value_or(std::string()) == "prohibit");  // the cut's mode is kept
    CHECK(*f["groups"].as_array() == toml::array{toml::array{"a"}, toml::array{"b"}});
    CHECK(f["direction"].value_or(std::string()) == "one-way");
  }
  SECTION("without them it stays an isolate") {
    const ShrinkResult r = Shrinker(one_fault(isolate), a_cannot_send_to_b, {}).run();
    CHECK(r.best.faults[0]["kind"].value_or(std::string()) == "isolate");
    CHECK(r.best.faults[0]["region"].value_or(std::string()) == "a");
  }
}

TEST_CASE("a link fault on every pair is narrowed to one pair, then one way", "[shrink]") {
  toml::table slow = fault("delay", 2, 4);
  slow.insert("delay", "20ms");
  // Fails while b's packets to c wait.
  auto b_to_c_waits = [](const Schedule& c) {
    if (c.faults.empty()) return Outcome::passes;
    const toml::table& f = c.faults[0];
    const toml::array* between = f["between"].as_array();
    if (!between) return Outcome::fails;
    const std::string from = between->get(0)->value_or(std::string());
    const std::string to = between->get(1)->value_or(std::string());
    const bool one_way = f["direction"].value_or(std::string()) == "one-way";
    return (from == "b" && to == "c") || (!one_way && from == "c" && to == "b") ? Outcome::fails
                                                                             : Outcome::passes;
  };
  SECTION("three regions: each pair in turn") {
    const ShrinkResult r =
        Shrinker(one_fault(slow), b_to_c_waits, in_regions({"a", "b", "c"})).run();
    const toml::table& f = r.best.faults[0];
    CHECK(*f["between"].as_array() == toml::array{"b", "c"});
    CHECK(f["direction"].value_or(std::string()) == "one-way");
    CHECK(f["delay"].value_or(std::string()) == "10ms");  // 20 ms halved to the floor
  }
  SECTION("two regions: the one pair is every pair, so only the way is narrowed") {
    const ShrinkResult r = Shrinker(one_fault(slow), b_to_c_waits, in_regions({"b", "c"})).run();
    const toml::table& f = r.best.faults[0];
    CHECK(*f["between"].as_array() == toml::array{"b", "c"});
    CHECK(f["direction"].value_or(std::string()) == "one-way");
  }
  SECTION("four regions: the first three pairs only, none of which fails") {
    const ShrinkResult r =
        Shrinker(one_fault(slow), b_to_c_waits, in_regions({"a", "b", "d", "c"})).run();
    CHECK_FALSE(r.best.faults[0].contains("between"));
  }
}

TEST_CASE("narrowing keeps to the budget of runs", "[shrink]") {
  Schedule s;
  s.duration = Duration(30000);
  for (int i = 0; i < 4; ++i) {
    toml::table f = fault(i % 2 ? "loss" : "delay", i + 1, 8);
    if (i % 2)
      f.insert("percent", 60);
    else
      f.insert("delay", "800ms");
    s.faults.push_back(f);
  }
  s.faults.push_back(toml::table{{"kind", "clock-skew"}, {"at", "6s"}, {"for", "8s"},
                                 {"region", "a"}, {"offset", "40s"}});
  auto shrink = [&](int budget) {
    FakeRunner runner{{1, 2, 3, 4, 6}};  // every fault is needed, at any strength
    ShrinkOptions options = in_regions({"a", "b", "c"});
    options.max_runs = budget;
    const ShrinkResult r =
        Shrinker(s, [&](const Schedule& c) { return runner(c); }, options).run();
    CHECK(r.runs <= budget);
    CHECK(r.runs == runner.calls);
    CHECK(runner(r.best) == Outcome::fails);
    return r;
  };
  const ShrinkResult whole = shrink(1000);
  CHECK_FALSE(whole.stopped);
  CHECK(whole.one_minimal);
  // Each fault weakened: delays to 100 ms, losses to 7.5, the offset to 5 s.
  CHECK(whole.best.faults[0]["delay"].value_or(std::string()) == "100ms");
  CHECK(whole.best.faults[1]["percent"].value_or(0.0) == 7.5);
  CHECK(whole.best.faults[4]["offset"].value_or(std::string()) == "5s");
  // Cut anywhere in the narrowing or the removals after it.
  for (int budget = whole.runs - 20; budget < whole.runs; ++budget) {
    const ShrinkResult r = shrink(budget);
    CHECK(r.runs == budget);
    CHECK(r.stopped);
    CHECK_FALSE(r.one_minimal);
  }
}

namespace {

// Fails with the fault at 1 s and, unless that one lasts 1 s or less, the
// one at 2 s: once the first is shortened, the second is no longer needed.
struct NeededUntilShortened {
  int calls = 0;
  Outcome operator()(const Schedule& s) {
    ++calls;
    const toml::table* first = nullptr;
    bool second = false;
    for (const auto& f : s.faults) {
      if (fault_at(f) == Duration(1000)) first = &f;
      if (fault_at(f) == Duration(2000)) second = true;
    }
    return first && (second || fault_for(*first) <= Duration(1000)) ? Outcome::fails
                                                                    : Outcome::passes;
  }
};

}  // namespace

TEST_CASE("a fault needed before shortening is removed after it, and the end is 1-minimal",
          "[shrink]") {
  NeededUntilShortened runner;
  int removed_at = 0;
  ShrinkOptions options;
  options.max_runs = 40;
  options.on_step = [&](const ShrinkStep& step) {
    if (step.outcome == Outcome::fails && step.change == "without kill at 2s") removed_at = step.run;
  };
  const ShrinkResult r =
      Shrinker(schedule_of(8), [&](const Schedule& s) { return runner(s); }, options).run();
  CHECK(starts(r.best) == std::set<int>{1});
  CHECK(r.one_minimal);
  CHECK_FALSE(r.stopped);
  CHECK(r.runs == runner.calls);
  REQUIRE(removed_at > 0);

  SECTION("cut by the budget before that, it is not called 1-minimal") {
    NeededUntilShortened cut;
    options.max_runs = removed_at - 1;
    options.on_step = [](const ShrinkStep&) {};
    const ShrinkResult c =
        Shrinker(schedule_of(8), [&](const Schedule& s) { return cut(s); }, options).run();
    CHECK(starts(c.best) == std::set<int>{1, 2});
    CHECK(c.stopped);
    CHECK_FALSE(c.one_minimal);
    CHECK(c.runs == options.max_runs);
  }
}

TEST_CASE("a slow database's delay and loss are halved each on its own", "[shrink]") {
  toml::table slow{{"kind", "slow-db"}, {"at", "1s"}, {"for", "4s"}, {"region", "a"},
                   {"delay", "1s"},     {"loss", 20}};
  // Fails while answers wait 300 ms or more, whatever is lost.
  auto test = [](const Schedule& c) {
    return !c.faults.empty() && signed_ms(c.faults[0], "delay") >= Duration(300)
               ? Outcome::fails
               : Outcome::passes;
  };
  const ShrinkResult r = Shrinker(one_fault(slow), test, in_regions({"a", "b"})).run();
  const toml::table& f = r.best.faults[0];
  CHECK(f["delay"].value_or(std::string()) == "500ms");  // 250 ms passes
  CHECK(f["loss"].value_or(0.0) == Approx(2.5));         // 10, 5, 2.5
  CHECK_FALSE(f.contains("direction"));                  // it shapes a host: no way to narrow
}
