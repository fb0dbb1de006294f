// [[nemesis]]: faults drawn at random from the experiment's seed. This file
// reads the tables (their keys are nemesis_keys(), as the docs list them) and
// checks what the drawing needs: kinds it can draw, names that exist, ranges
// that are ranges, and room in the experiment for every fault.
#include <algorithm>
#include <cmath>

#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/units.hpp"
#include "controllers/faults/fault_registry.hpp"
#include "controllers/faults/random_nemesis.hpp"

namespace faultline {

namespace {

Keys key_names() {
  Keys names;
  for (const KeySpec& key : nemesis_keys()) names.push_back(key.name);
  return names;
}

// A duration written as a string; `negative`: "-10s" is allowed.
std::optional<Duration> duration_item(const toml::node& item, bool negative) {
  auto text = item.value<std::string>();
  if (!item.is_string() || !text) return std::nullopt;
  const bool minus = negative && !text->empty() && (*text)[0] == '-';
  auto d = parse_duration(minus ? text->substr(1) : *text);
  if (!d || d->count() < 0) return std::nullopt;
  return minus ? -*d : *d;
}

// ["1s", "4s"]: two durations, low first, within [lo, hi].
void read_duration_range(Reader& r, const toml::table& t, const char* key, Duration lo,
                         Duration hi, Range<Duration>& out) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return;
  const toml::array* a = node->as_array();
  std::optional<Duration> low, high;
  if (a != nullptr && a->size() == 2) {
    low = duration_item(*a->get(0), lo.count() < 0);
    high = duration_item(*a->get(1), lo.count() < 0);
  }
  if (!low || !high) {
    r.error(*node, std::string("'") + key +
                       "' must be two durations, the shortest and the longest, such as [\"1s\", "
                       "\"4s\"]");
    return;
  }
  if (*low > *high || *low < lo || *high > hi) {
    r.error(*node, std::string("'") + key + "' must run from low to high, within " +
                       format_duration(lo) + " and " + format_duration(hi));
    return;
  }
  out = {*low, *high};
}

void read_number_range(Reader& r, const toml::table& t, const char* key, double lo, double hi,
                       Range<double>& out) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return;
  const toml::array* a = node->as_array();
  std::optional<double> low, high;
  if (a != nullptr && a->size() == 2 && a->get(0)->is_number() && a->get(1)->is_number()) {
    low = a->get(0)->value<double>();
    high = a->get(1)->value<double>();
  }
  if (!low || !high || !std::isfinite(*low) || !std::isfinite(*high) || *low > *high ||
      *low < lo || *high > hi) {
    r.error(*node, std::string("'") + key + "' must be two numbers from low to high within " +
                       std::to_string(static_cast<int>(lo)) + " and " +
                       std::to_string(static_cast<int>(hi)) + ", such as [5, 30]");
    return;
  }
  out = {*low, *high};
}

// Names of a list that must each be one of `known` (regions, services).
void check_names(Reader& r, const toml::table& t, const char* key,
                 const std::vector<std::string>& names, const std::vector<std::string>& known,
                 const std::string& what) {
  for (const auto& name : names)
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string msg = "unknown " + what + " '" + name + "' in '" + key + "'";
      if (auto guess = nearest(name, known)) msg += "; did you mean '" + *guess + "'?";
      r.error(*t.get(key), msg);
    }
}

void check_kinds(Reader& r, const toml::table& t, const Experiment& e, const NemesisSpec& n) {
  for (const auto& kind : n.kinds) {
    const auto& drawable = nemesis_kinds();
    if (std::find(drawable.begin(), drawable.end(), kind) == drawable.end()) {
      r.error(*t.get("kinds"), "a nemesis does not draw '" + kind +
                                   "' faults (it draws " + listed(drawable) + ")");
      continue;
    }
    const bool between_regions = kind == "partition" || kind == "isolate" || kind == "delay" ||
                                 kind == "loss";
    if (between_regions && e.regions.size() < 2)
      r.error(*t.get("kinds"),
              "a " + kind + " fault acts between regions and this experiment has one: add a "
                            "region or remove '" + kind + "' from 'kinds'");
    if (kind == "command" && !t.contains("command"))
      r.error(*t.get("kinds"), "a drawn command fault runs the nemesis's 'command' = { host = "
                               "\"db\", run = [...] }: add it or remove 'command' from 'kinds'");
    if (kind == "slow-db" && std::find(e.hosts.begin(), e.hosts.end(), "db") == e.hosts.end())
      r.error(*t.get("kinds"), "a drawn slow-db slows the 'db' host's port 5432, which this "
                               "experiment's hosts lack: write the slow-db as a [[fault]] with "
                               "'host' or remove 'slow-db' from 'kinds'");
    const bool on_services = kind == "kill" || kind == "pause" || kind == "restart";
    if (on_services && e.services.empty() && n.services.empty())
      r.error(*t.get("kinds"), "a " + kind + " fault acts on a service and this experiment has "
                                             "none: add a [[service]] or remove '" + kind +
                                             "' from 'kinds'");
  }
  if (n.kinds.empty()) r.error(*t.get("kinds"), "'kinds' must name at least one fault kind");
}

// A fault of `kind` as its own reader makes it from `given` plus a region and
// a delay (which the draw replaces), or nothing after reporting what is wrong:
// a drawn command is checked, its programs found, as a written one is.
std::optional<FaultSpec> template_fault(Reader& r, const toml::table& given, const std::string& kind,
                                        const Experiment& e, const std::string& base_dir,
                                        const ProgramResolver& resolver) {
  if (e.regions.empty()) return std::nullopt;
  toml::table t = given;
  t.insert_or_assign("region", e.regions.front().name);
  if (kind == "slow-db") t.insert_or_assign("delay", "1ms");
  FaultSpec f;
  f.kind = kind;
  f.where = position_of(given.source());
  f.length = Duration(1);  // a `for` is drawn: `at_end` may be given
  const std::size_t before = r.diagnostics().size();
  find_fault_kind(kind)->read(FaultTable{r, t, e, base_dir, resolver}, f);
  if (r.diagnostics().size() == before) return f;
  // A copied table's nodes have no place in the file: name the table's.
  for (std::size_t i = before; i < r.diagnostics().size(); ++i)
    if (r.diagnostics()[i].where.line == 0) r.diagnostics()[i].where = f.where;
  return std::nullopt;
}

// The keys of a nemesis's `command` table (nemesis_keys() has them).
Keys command_keys() {
  Keys names;
  for (const KeySpec& key : find_key(nemesis_keys(), "command")->fields) names.push_back(key.name);
  return names;
}

}  // namespace

void read_nemeses(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                  const ProgramResolver& resolver) {
  const toml::array* tables = r.tables(root, "nemesis");
  if (tables == nullptr) return;
  const Keys keys = key_names();
  std::vector<std::string> regions, services;
  for (const auto& region : e.regions) regions.push_back(region.name);
  for (const auto& service : e.services) services.push_back(service.name);
  for (const auto& node : *tables) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[nemesis]]", keys);
    NemesisSpec n;
    n.where = position_of(t.source());
    n.kinds = r.strings(t, "kinds", true).value_or(std::vector<std::string>{});
    if (t.contains("kinds")) check_kinds(r, t, e, n);
    if (auto faults = r.integer(t, "faults", 1, 500, true)) n.faults = static_cast<int>(*faults);
    if (auto start = r.duration(t, "start", Duration(0), kMaxDuration)) n.start = *start;
    read_duration_range(r, t, "interval", Duration(0), kMaxDuration, n.interval);
    read_duration_range(r, t, "for", Duration(1), kMaxDuration, n.length);
    read_duration_range(r, t, "delay", Duration(0), Duration(60000), n.delay);
    read_number_range(r, t, "loss", 0, 100, n.loss);
    const Duration year{365LL * 24 * 3600 * 1000};
    read_duration_range(r, t, "offset", -year, year, n.offset);
    if (auto targets = r.strings(t, "targets")) {
      n.targets = *targets;
      check_names(r, t, "targets", n.targets, partition_targets(), "partition target");
    }
    if (auto names = r.strings(t, "regions")) {
      n.regions = *names;
      check_names(r, t, "regions", n.regions, regions, "region");
    }
    const auto draws = [&](const char* kind) {
      return std::find(n.kinds.begin(), n.kinds.end(), kind) != n.kinds.end();
    };
    if (const toml::node* command = t.get("command")) {
      if (!command->is_table()) {
        r.error(*command, "'command' must be a table: command = { host = \"db\", run = [...] }");
      } else {
        r.check_keys(*command->as_table(), "a [[nemesis]] 'command'", command_keys());
        if (!draws("command"))
          r.error(*command, "'command' is what a drawn command fault runs: add \"command\" to "
                            "'kinds' or remove it");
        else
          n.command = template_fault(r, *command->as_table(), "command", e, base_dir, resolver);
      }
    }
    if (draws("slow-db") && std::find(e.hosts.begin(), e.hosts.end(), "db") != e.hosts.end())
      n.slow_db = template_fault(r, toml::table{}, "slow-db", e, base_dir, resolver);
    if (auto names = r.strings(t, "services")) {
      n.services = *names;
      check_names(r, t, "services", n.services, services, "service");
    }
    // Every fault starts before the experiment ends, however long the
    // intervals are drawn.
    const Duration latest = n.start + n.interval.high * n.faults;
    if (n.faults > 0 && e.duration.count() > 0 && latest >= e.duration)
      r.error(n.where, "the last of " + std::to_string(n.faults) + " faults could start at " +
                           format_duration(latest) + ", after the experiment ends (" +
                           format_duration(e.duration) +
                           "): draw fewer faults, shorten 'interval' or lengthen 'duration'");
    if (n.interval.high.count() == 0 && n.faults > 1)
      r.error(n.where, "'interval' = [\"0s\", \"0s\"] starts every fault at once: give it a high "
                       "bound above 0s");
    e.nemeses.push_back(std::move(n));
  }
  if (e.nemeses.size() > 20)
    r.error(position_of(tables->source()), "at most 20 [[nemesis]] tables per experiment");
}

}  // namespace faultline
