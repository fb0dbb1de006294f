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
