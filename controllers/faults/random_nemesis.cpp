#include "controllers/faults/random_nemesis.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

#include "controllers/experiment/units.hpp"
#include "controllers/faults/fault_registry.hpp"

namespace faultline {

namespace {

const std::vector<std::string> kKinds{"partition", "isolate", "kill",       "pause",   "restart",
                                      "delay",     "loss",    "clock-skew", "slow-db", "command"};
const std::vector<std::string> kTargets{"one", "minority", "majority", "pair", "one-way"};

// Draws in the standard-fixed sequence of mt19937_64, with arithmetic of our
// own on top (see the header).
class Draws {
 public:
  Draws(std::uint64_t seed, std::size_t nemesis)
      : rng_(seed * 0x9E3779B97F4A7C15ULL + 0x5EED + nemesis * 1000003) {}

  // [low, high], both included.
  std::int64_t between(std::int64_t low, std::int64_t high) {
    if (high <= low) return low;
    return low + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(high - low + 1));
  }
  Duration between(Range<Duration> r) { return Duration(between(r.low.count(), r.high.count())); }
  // In steps of a hundredth: loss = [5, 30] draws 17.25.
  double between(Range<double> r) {
    const auto lo = static_cast<std::int64_t>(r.low * 100), hi = static_cast<std::int64_t>(r.high * 100);
    return static_cast<double>(between(lo, hi)) / 100;
  }
  // A copy: the pools are often temporaries.
  template <typename T>
  T pick(const std::vector<T>& from) {
    return from[static_cast<std::size_t>(between(0, static_cast<std::int64_t>(from.size()) - 1))];
  }
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i)
      std::swap(v[i - 1], v[static_cast<std::size_t>(between(0, static_cast<std::int64_t>(i) - 1))]);
  }

 private:
  std::mt19937_64 rng_;
};

std::vector<std::string> region_names(const Experiment& e) {
  std::vector<std::string> names;
  for (const auto& r : e.regions) names.push_back(r.name);
  return names;
}

// The regions a region fault may pick; the nemesis's list or every region.
std::vector<std::string> region_pool(const Experiment& e, const NemesisSpec& n) {
  return n.regions.empty() ? region_names(e) : n.regions;
}

std::vector<std::string> service_pool(const Experiment& e, const NemesisSpec& n) {
  if (!n.services.empty()) return n.services;
  std::vector<std::string> names;
  for (const auto& s : e.services) names.push_back(s.name);
  return names;
}

std::vector<std::string> others(const std::vector<std::string>& all, const std::string& region) {
  std::vector<std::string> rest;
  for (const auto& name : all)
    if (name != region) rest.push_back(name);
  return rest;
}

// A partition of the shape `target` (see partition_targets()).
void draw_cut(Draws& d, const Experiment& e, const NemesisSpec& n, FaultSpec& f) {
  const std::vector<std::string> all = region_names(e);
  const std::string target = d.pick(n.targets.empty() ? kTargets : n.targets);
  const std::string first = d.pick(region_pool(e, n));
  if (target == "one" || target == "one-way" || all.size() < 3) {
    f.groups = {{first}, others(all, first)};
    f.one_way = target == "one-way";
    return;
  }
  if (target == "pair") {
    f.groups = {{first}, {d.pick(others(all, first))}};
    return;
  }
  // A minority: fewer than half of the regions, at least one; a majority:
  // more than half, all but one at most. Listed first.
  const auto count = static_cast<std::int64_t>(all.size());
  const std::int64_t size = target == "minority" ? d.between(1, (count - 1) / 2)
                                                 : d.between(count / 2 + 1, count - 1);
  std::vector<std::string> shuffled = all;
  d.shuffle(shuffled);
  std::vector<std::string> side(shuffled.begin(), shuffled.begin() + size);
  std::vector<std::string> rest(shuffled.begin() + size, shuffled.end());
  // In the experiment's order within each group: the same cut reads the same.
  auto in_order = [&](std::vector<std::string>& group) {
    std::sort(group.begin(), group.end(), [&](const std::string& a, const std::string& b) {
      return std::find(all.begin(), all.end(), a) < std::find(all.begin(), all.end(), b);
    });
  };
  in_order(side);
  in_order(rest);
  f.groups = {side, rest};
}

FaultSpec draw_fault(Draws& d, const Experiment& e, const NemesisSpec& n, Duration at) {
  FaultSpec f;
  f.kind = d.pick(n.kinds);
  f.at = at;
  f.length = kind_of(f).lasting ? d.between(n.length) : Duration(0);
  f.where = n.where;
  if (f.kind == "partition") {
    draw_cut(d, e, n, f);
  } else if (f.kind == "isolate") {
    f.region = d.pick(region_pool(e, n));
    f.groups = {{f.region}, others(region_names(e), f.region)};
  } else if (f.kind == "kill" || f.kind == "pause" || f.kind == "restart") {
    f.region = d.pick(region_pool(e, n));
    f.service = d.pick(service_pool(e, n));
  } else if (f.kind == "delay" || f.kind == "loss") {
    const std::string a = d.pick(region_pool(e, n));
    f.between = {a, d.pick(others(region_names(e), a))};
    if (f.kind == "delay")
      f.impairment.delay = d.between(n.delay);
    else
      f.impairment.loss = d.between(n.loss);
  } else if (f.kind == "clock-skew") {
    f.region = d.pick(region_pool(e, n));
    f.offset = d.between(n.offset);
  } else if (f.kind == "slow-db" || f.kind == "command") {
    // What the kind's reader made of the table (read_nemesis.cpp), placed.
    const FaultSpec& made = f.kind == "slow-db" ? *n.slow_db : *n.command;
    FaultSpec placed = made;
    placed.at = f.at;
    placed.length = f.length;
    placed.where = f.where;
    placed.region = d.pick(region_pool(e, n));
    if (f.kind == "slow-db") placed.impairment.delay = d.between(n.delay);
    f = std::move(placed);
  }
  return f;
}

// The directed links a traffic fault shapes.
std::vector<std::pair<std::string, std::string>> links_of(const Experiment& e, const FaultSpec& f) {
  std::vector<std::pair<std::string, std::string>> links;
  if (kind_of(f).shapes == ShapedPath::host_egress) return {{f.region, "host " + f.host}};
  for (const auto& a : e.regions)
    for (const auto& b : e.regions) {
      if (a.name == b.name) continue;
      if (!f.between.empty()) {
        const bool forward = a.name == f.between[0] && b.name == f.between[1];
        const bool backward = a.name == f.between[1] && b.name == f.between[0];
        if (!forward && !(backward && !f.one_way)) continue;
      }
      links.emplace_back(a.name, b.name);
    }
  return links;
}

// The command kind's keys but `region`, which the draw gives.
std::vector<KeySpec> drawn_command_keys() {
  std::vector<KeySpec> keys;
  for (const KeySpec& key : find_fault_kind("command")->keys)
    if (key.name != "region") keys.push_back(key);
  return keys;
}

}  // namespace

const std::vector<std::string>& nemesis_kinds() { return kKinds; }
const std::vector<std::string>& partition_targets() { return kTargets; }

const std::vector<KeySpec>& nemesis_keys() {
  static const std::vector<KeySpec> keys{
      {.name = "kinds",
       .type = KeyType::strings,
       .description = "the fault kinds to draw from, each equally likely",
       .allowed = kKinds,
       .required = true},
      {.name = "faults",
       .type = KeyType::integer,
       .description = "how many faults to draw",
       .minimum = "1",
       .maximum = "500",
       .required = true},
      {.name = "start",
       .type = KeyType::duration,
       .description = "no drawn fault starts before this",
       .default_value = "\"0s\"",
       .minimum = "0s",
       .maximum = "24h"},
      {.name = "interval",
       .type = KeyType::range,
       .description = "the time from one drawn fault's start to the next's (and from 'start' "
                      "to the first's); the last must start before the experiment ends",
       .default_value = "[\"1s\", \"3s\"]",
       .minimum = "0s",
       .maximum = "24h"},
      {.name = "for",
       .type = KeyType::range,
       .description = "how long each drawn fault lasts (not a restart)",
       .default_value = "[\"1s\", \"4s\"]",
       .minimum = "1ms",
       .maximum = "24h"},
      {.name = "targets",
       .type = KeyType::strings,
       .description = "the shapes a drawn partition takes: one region from the rest, a minority, "
                      "a majority, a pair of regions from each other, one region's packets to "
                      "the rest (one-way); omitted: all",
       .allowed = kTargets},
      {.name = "regions",
       .type = KeyType::strings,
       .description = "the regions a drawn fault picks its region from (the one a kill, pause, "
                      "restart, clock-skew, isolate, slow-db or command hits, the first of a "
                      "cut or a link); "
                      "omitted: every region"},
      {.name = "services",
       .type = KeyType::strings,
       .description = "the services a kill, pause or restart picks from; omitted: every service"},
      {.name = "command",
       .type = KeyType::table,
       .description = "what a drawn command fault runs, in the region drawn: the command "
                      "kind's keys but region ({ host = \"db\", run = [...], at_end = [...] })",
       .fields = drawn_command_keys()},
      {.name = "delay",
       .type = KeyType::range,
       .description = "a drawn delay's delay, and how much later a drawn slow-db's answers "
                      "leave (the 'db' host's port 5432)",
       .default_value = "[\"50ms\", \"500ms\"]",
       .minimum = "0ms",
       .maximum = "60s"},
      {.name = "loss",
       .type = KeyType::range,
       .description = "a drawn loss fault's percentage of packets dropped",
       .default_value = "[5, 50]",
       .minimum = "0",
       .maximum = "100"},
      {.name = "offset",
       .type = KeyType::range,
       .description = "a drawn clock-skew's offset; negative is behind",
       .default_value = "[\"-10s\", \"10s\"]",
       .minimum = "-8760h",
       .maximum = "8760h"},
  };
  return keys;
}

bool faults_conflict(const Experiment& e, const FaultSpec& a, const FaultSpec& b) {
  // A fault that does not last still takes its moment.
  auto end_of = [](const FaultSpec& f) { return f.at + (fault_lasts(f) ? f.length : Duration(1)); };
  if (end_of(a) <= b.at || end_of(b) <= a.at) return false;
  const FaultKind& ka = kind_of(a);
  const FaultKind& kb = kind_of(b);
  if (ka.family != kb.family) return false;
  switch (ka.family) {
    case FaultFamily::traffic: {
      const auto la = links_of(e, a), lb = links_of(e, b);
      for (const auto& link : la)
        if (std::find(lb.begin(), lb.end(), link) != lb.end()) return true;
      return false;
    }
    case FaultFamily::process:
      return a.region == b.region && a.service == b.service;
    case FaultFamily::clock:
      return a.region == b.region;
    case FaultFamily::command:  // two at once in one host would undo each other's work
      return a.region == b.region && a.host == b.host;
    case FaultFamily::network:  // each partition has a route metric of its own
      return false;
  }
  return false;
}

DrawnSchedule draw_nemesis(const Experiment& e, std::size_t index,
                           const std::vector<FaultSpec>& placed) {
  const NemesisSpec& n = e.nemeses[index];
  Draws d(e.seed, index);
  DrawnSchedule out;
  std::vector<FaultSpec> around = placed;
  Duration at = n.start;
  for (int i = 0; i < n.faults; ++i) {
    at += d.between(n.interval);
    // Another draw where the first would overlap what validation refuses:
    // the schedule stays a function of the seed, and always valid.
    bool fits = false;
    for (int attempt = 0; attempt < 64 && !fits; ++attempt) {
      FaultSpec f = draw_fault(d, e, n, at);
      f.drawn_by = static_cast<int>(index);
      fits = std::none_of(around.begin(), around.end(),
                          [&](const FaultSpec& other) { return faults_conflict(e, f, other); });
      if (fits) {
        around.push_back(f);
        out.faults.push_back(std::move(f));
      }
    }
    if (!fits)
      out.problems.push_back("fault " + std::to_string(i + 1) + " at " + format_duration(at) +
                             " overlaps the faults in force however it is drawn: draw fewer "
                             "faults, widen 'interval', shorten 'for' or add kinds or regions");
  }
  return out;
}

std::vector<std::pair<SourcePosition, std::string>> draw_all_nemeses(Experiment& e) {
  std::vector<std::pair<SourcePosition, std::string>> problems;
  for (std::size_t i = 0; i < e.nemeses.size(); ++i) {
    DrawnSchedule drawn = draw_nemesis(e, i, e.faults);
    for (auto& problem : drawn.problems) problems.emplace_back(e.nemeses[i].where, problem);
    for (auto& f : drawn.faults) e.faults.push_back(std::move(f));
  }
  return problems;
}

}  // namespace faultline
