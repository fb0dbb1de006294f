#include "controllers/shrink/narrowing.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <optional>
#include <set>
#include <sstream>

#include "controllers/experiment/units.hpp"
#include "controllers/faults/fault_registry.hpp"

namespace faultline {

namespace {

// Below these a weaker fault says little more, and each halving costs a run.
constexpr Duration kWeakestDelay{10};
constexpr Duration kWeakestOffset{100};
constexpr double kWeakestPercent = 1;
// As shorten_faults: three halvings, from 400 ms to 50 ms.
constexpr int kHalvings = 3;
// Every pair of regions is a link; a fault on all of them is tried on this
// many alone, since each costs a run.
constexpr std::size_t kPairsTried = 3;
// A region out of a group ends when the groups have one region each.
constexpr int kUntilNoneFails = INT_MAX;

std::string kind_of(const toml::table& fault) { return fault["kind"].value_or(std::string()); }

// A fault on the WAN's links between regions (delay, loss, bandwidth, ...), as
// its kind declares: those take `between` and `direction`.
bool on_links(const toml::table& fault) {
  const FaultKind* kind = find_fault_kind(kind_of(fault));
  return kind != nullptr && kind->family == FaultFamily::traffic &&
         kind->shapes == ShapedPath::wan_links;
}

std::vector<std::string> strings(const toml::array* array) {
  std::vector<std::string> out;
  if (array)
    for (const auto& item : *array) out.push_back(item.value_or(std::string()));
  return out;
}

toml::array array_of(const std::vector<std::string>& names) {
  toml::array out;
  for (const auto& n : names) out.push_back(n);
  return out;
}

std::string group_text(const toml::array* group) {
  std::string out;
  for (const auto& name : strings(group)) out += (out.empty() ? "" : ", ") + name;
  return "[" + out + "]";
}

// An isolate written out as the partition it is: the region against all
// others, both ways, with its mode and ports. None when the regions are not
// known.
std::optional<toml::table> isolate_as_partition(const toml::table& isolate,
                                                const std::vector<std::string>& regions) {
  const std::string region = isolate["region"].value_or(std::string());
  std::vector<std::string> others;
  for (const auto& r : regions)
    if (r != region) others.push_back(r);
  if (others.empty() || others.size() == regions.size()) return std::nullopt;
  toml::table partition = isolate;
  partition.erase("region");
  partition.insert_or_assign("kind", "partition");
  partition.insert_or_assign("groups", toml::array{array_of({region}), array_of(others)});
  return partition;
}

// The fault as a partition, if it is one or an isolate can be written as one.
std::optional<toml::table> as_partition(const toml::table& fault,
                                        const std::vector<std::string>& regions) {
  const std::string kind = kind_of(fault);
  if (kind == "partition") return fault;
  if (kind == "isolate") return isolate_as_partition(fault, regions);
  return std::nullopt;
}

// How a partition candidate is told: "as partition [a] -/-> [b, c]" when it
// was an isolate, or only what changed.
std::string cut_change(const toml::table& was, const toml::table& now, const std::string& change) {
  if (kind_of(was) == "partition") return change;
  const toml::array& groups = *now["groups"].as_array();
  const bool one_way = now["direction"].value_or(std::string()) == "one-way";
  std::string text;
  for (const auto& g : groups)
    text += (text.empty() ? "" : one_way ? " -/-> " : " | ") + group_text(g.as_array());
  return "as partition " + text;
}

std::vector<NarrowerFault> regions_out(const toml::table& fault,
                                       const std::vector<std::string>& regions) {
  std::vector<NarrowerFault> out;
  const auto cut = as_partition(fault, regions);
  if (!cut) return out;
  const toml::array* groups = (*cut)["groups"].as_array();
  for (std::size_t g = 0; groups && g < groups->size(); ++g) {
    const toml::array* group = groups->get(g)->as_array();
    for (std::size_t r = 0; group && group->size() > 1 && r < group->size(); ++r) {
      toml::table narrower = *cut;
      toml::array* ng = (*narrower["groups"].as_array())[g].as_array();
      const std::string region = ng->get(r)->value_or(std::string());
      ng->erase(ng->begin() + static_cast<std::ptrdiff_t>(r));
      out.push_back({narrower, cut_change(fault, narrower, "without " + region)});
    }
  }
  return out;
}

std::vector<NarrowerFault> one_pair(const toml::table& fault,
                                    const std::vector<std::string>& regions) {
  std::vector<NarrowerFault> out;
  // With two regions every pair is the one pair: nothing narrower.
  if (!on_links(fault) || fault.contains("between") || regions.size() < 3) return out;
  for (std::size_t a = 0; a < regions.size() && out.size() < kPairsTried; ++a)
    for (std::size_t b = a + 1; b < regions.size() && out.size() < kPairsTried; ++b) {
      toml::table narrower = fault;
      narrower.insert_or_assign("between", array_of({regions[a], regions[b]}));
      out.push_back({narrower, "between " + regions[a] + " and " + regions[b]});
    }
  return out;
}

std::vector<NarrowerFault> one_way(const toml::table& fault,
                                   const std::vector<std::string>& regions) {
  std::vector<NarrowerFault> out;
  if (fault["direction"].value_or(std::string("both")) == "one-way") return out;
  if (const auto cut = as_partition(fault, regions)) {
    toml::table narrower = *cut;
    narrower.insert_or_assign("direction", "one-way");
    out.push_back({narrower, cut_change(fault, narrower, "one-way")});
    if (const toml::array* groups = narrower["groups"].as_array(); groups && groups->size() == 2) {
      toml::table other = narrower;
      other.insert_or_assign("groups", toml::array{*groups->get(1), *groups->get(0)});
      out.push_back({other, cut_change(fault, other, "one-way, the other way")});
    }
    return out;
  }
  if (!on_links(fault)) return out;
  std::vector<std::string> pair = strings(fault["between"].as_array());
  // Two regions' only link, named so that it can have a way.
  if (pair.empty() && regions.size() == 2) pair = regions;
  if (pair.size() != 2) return out;
  for (const auto& [from, to] : {std::pair{pair[0], pair[1]}, std::pair{pair[1], pair[0]}}) {
    toml::table narrower = fault;
    narrower.insert_or_assign("between", array_of({from, to}));
    narrower.insert_or_assign("direction", "one-way");
    out.push_back({narrower, "one-way " + from + " -> " + to});
  }
  return out;
}

// A duration key halved toward zero, its sign kept, to `weakest` at least.
std::vector<NarrowerFault> halve_duration(const toml::table& fault, const char* key,
                                          Duration weakest) {
  const auto text = fault[key].value<std::string>();
  if (!text || text->empty()) return {};
  const bool negative = (*text)[0] == '-';
  const auto length = parse_duration(negative ? text->substr(1) : *text);
  if (!length) return {};
  const Duration halved = std::max(weakest, Duration(length->count() / 2));
  if (halved >= *length) return {};
  const std::string written = format_duration(negative ? -halved : halved);
  toml::table narrower = fault;
  narrower.insert_or_assign(key, written);
  std::string change = std::string(key) + " " + written;
  if (std::string(key) == "delay" && narrower.contains("jitter")) {
    // A jitter may not exceed the delay, and its correlation and
    // distribution mean nothing without it.
    narrower.erase("jitter");
    narrower.erase("correlation");
    narrower.erase("distribution");
    change += ", no jitter";
  }
  return {{narrower, change}};
}

// A percentage halved, to hundredths, to `kWeakestPercent` at least.
std::vector<NarrowerFault> halve_percent(const toml::table& fault, const char* key) {
  const auto value = fault[key].value<double>();
  if (!value) return {};
  const double halved = std::max(kWeakestPercent, std::round(*value * 50) / 100);
  if (halved >= *value) return {};
  toml::table narrower = fault;
  if (halved == std::floor(halved))
    narrower.insert_or_assign(key, static_cast<std::int64_t>(halved));
  else
    narrower.insert_or_assign(key, halved);
  std::ostringstream change;
  change << key << " " << halved;
  return {{narrower, change.str()}};
}

// A strength of some kinds, halved on its own: `delay` of delay and slow-db,
// the percentages, a clock's offset.
struct Strength {
  std::set<std::string> kinds;
  std::function<std::vector<NarrowerFault>(const toml::table&)> halve;
};

const std::vector<Strength>& strengths() {
  static const std::vector<Strength> all{
      {{"delay", "slow-db"},
       [](const toml::table& f) { return halve_duration(f, "delay", kWeakestDelay); }},
      {{"loss", "duplicate", "reorder", "corrupt"},
       [](const toml::table& f) { return halve_percent(f, "percent"); }},
      {{"slow-db"}, [](const toml::table& f) { return halve_percent(f, "loss"); }},
      {{"clock-skew"},
       [](const toml::table& f) { return halve_duration(f, "offset", kWeakestOffset); }},
  };
  return all;
}

}  // namespace

std::vector<Narrowing> narrowings(const std::vector<std::string>& regions) {
  std::vector<Narrowing> ways{
      {kUntilNoneFails, [regions](const toml::table& f) { return regions_out(f, regions); }},
      {1, [regions](const toml::table& f) { return one_pair(f, regions); }},
      {1, [regions](const toml::table& f) { return one_way(f, regions); }},
  };
  for (const Strength& strength : strengths())
    ways.push_back({kHalvings, [&strength](const toml::table& f) {
                      return strength.kinds.count(kind_of(f)) ? strength.halve(f)
                                                              : std::vector<NarrowerFault>{};
                    }});
  return ways;
}

}  // namespace faultline
