// [[fault]]: what goes wrong, when, and where. Each kind takes its own keys;
// references to regions and services are checked as they are read.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

const Keys kFaultKeys{"kind",         "at",       "for",     "groups",  "direction",
                      "mode",         "region",   "service", "between", "port",
                      "ports",        "protocol", "delay",   "jitter",  "correlation",
                      "distribution", "percent",  "rate",    "host",    "loss",
                      "offset",       "drift"};
const Keys kFaultKinds{"partition", "isolate",   "kill",    "pause",   "restart",   "delay",
                       "loss",      "duplicate", "reorder", "corrupt", "bandwidth", "slow-db",
                       "clock-skew"};

// Which keys each fault kind takes (besides kind and at).
const std::map<std::string, Keys> kFaultKindKeys{
    {"partition", {"for", "groups", "direction", "mode", "port", "ports", "protocol"}},
    {"isolate", {"for", "region", "mode", "port", "ports", "protocol"}},
    {"kill", {"for", "region", "service"}},
    {"pause", {"for", "region", "service"}},
    {"restart", {"region", "service"}},
    {"delay",
     {"for", "between", "direction", "port", "ports", "protocol", "delay", "jitter", "correlation",
      "distribution"}},
    {"loss",
     {"for", "between", "direction", "port", "ports", "protocol", "percent", "correlation"}},
    {"duplicate", {"for", "between", "direction", "port", "ports", "protocol", "percent"}},
    {"reorder",
     {"for", "between", "direction", "port", "ports", "protocol", "percent", "correlation",
      "delay"}},
    {"corrupt", {"for", "between", "direction", "port", "ports", "protocol", "percent"}},
    {"bandwidth", {"for", "between", "direction", "port", "ports", "protocol", "rate"}},
    {"slow-db", {"for", "region", "host", "port", "delay", "jitter", "distribution", "loss"}},
    {"clock-skew", {"for", "region", "service", "offset", "drift"}},
};

}  // namespace

void read_faults(Reader& r, const toml::table& root, Experiment& e) {
  const toml::array* faults = r.tables(root, "fault");
  if (faults == nullptr) return;
  std::vector<std::string> region_names;
  for (const auto& region : e.regions) region_names.push_back(region.name);

  auto check_region = [&](const toml::node& at, const std::string& name) {
    if (e.find_region(name) != nullptr) return true;
    std::string msg = "unknown region '" + name + "'";
    if (auto guess = nearest(name, region_names)) msg += "; did you mean '" + *guess + "'?";
    r.error(at, msg);
    return false;
  };

  for (const auto& node : *faults) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[fault]]", kFaultKeys);
    FaultSpec f;
    f.where = position_of(t.source());
    auto kind = r.choice(t, "kind", kFaultKinds, "fault kind");
    if (!kind) continue;
    f.kind = static_cast<FaultKind>(*kind);
    const std::string kind_name = kFaultKinds[*kind];

    // Keys that exist but belong to other kinds of fault.
    const Keys& own = kFaultKindKeys.at(kind_name);
    for (auto&& [key, value] : t) {
      std::string k(key.str());
      if (k == "kind" || k == "at" ||
          std::find(kFaultKeys.begin(), kFaultKeys.end(), k) == kFaultKeys.end())
        continue;
      if (std::find(own.begin(), own.end(), k) != own.end()) continue;
      if (k == "for" && f.kind == FaultKind::restart) {
        r.error(position_of(key.source()), "a restart is instantaneous: remove 'for'");
        continue;
      }
      std::string all = "at";
      for (const auto& o : own) all += ", " + o;
      r.error(position_of(key.source()),
              "'" + k + "' does not apply to a " + kind_name + " fault (its keys: " + all + ")");
    }

    if (auto at = r.duration(t, "at", Duration(0), kMaxDuration, true)) {
      f.at = *at;
      if (e.duration.count() > 0 && f.at >= e.duration)
        r.error(*t.get("at"), "fault starts at " + format_duration(f.at) +
                                  ", after the experiment ends (" + format_duration(e.duration) +
                                  ")");
    }
    if (f.kind != FaultKind::restart)
      if (auto length = r.duration(t, "for", Duration(1), kMaxDuration, true)) f.length = *length;

    if (auto mode = r.string(t, "mode")) {
      if (*mode == "prohibit")
        f.prohibit = true;
      else if (*mode != "blackhole")
        r.error(*t.get("mode"),
                "'mode' must be \"blackhole\" (drop silently) or \"prohibit\" (reject at once)");
    }
    if (auto direction = r.string(t, "direction")) {
      if (*direction == "one-way")
        f.one_way = true;
      else if (*direction != "both")
        r.error(*t.get("direction"), "'direction' must be \"both\" or \"one-way\"");
    }

    if (f.kind == FaultKind::partition) {
      const toml::node* gnode = t.get("groups");
      const toml::array* groups = gnode ? gnode->as_array() : nullptr;
      if (gnode == nullptr) {
        r.error(f.where,
                "a partition needs 'groups', e.g. groups = [[\"us-east-1\"], [\"eu-west-1\"]]");
      } else if (groups == nullptr || groups->size() < 2) {
        r.error(*gnode, "'groups' must be an array of at least two arrays of region names");
      } else {
        std::set<std::string> seen;
        for (const auto& g : *groups) {
          const toml::array* group = g.as_array();
          if (group == nullptr || group->empty()) {
            r.error(g, "each group must be a non-empty array of region names");
            continue;
          }
          std::vector<std::string> names;
          for (const auto& item : *group) {
            auto name = item.value<std::string>();
            if (!item.is_string() || !name) {
              r.error(item, "region names must be strings");
              continue;
            }
            if (!check_region(item, *name)) continue;
            if (!seen.insert(*name).second)
              r.error(item, "region '" + *name + "' is in more than one group");
            names.push_back(*name);
          }
          f.groups.push_back(names);
        }
      }
    }

    if (std::find(own.begin(), own.end(), "region") != own.end()) {
      if (auto region = r.string(t, "region", true))
        if (check_region(*t.get("region"), *region)) f.region = *region;
    }
    if (f.kind == FaultKind::isolate && !f.region.empty()) {
      if (e.regions.size() < 2) r.error(f.where, "isolating a region needs at least two regions");
      std::vector<std::string> others;
      for (const auto& region : e.regions)
        if (region.name != f.region) others.push_back(region.name);
      f.groups = {{f.region}, others};
    }

    if (std::find(own.begin(), own.end(), "service") != own.end()) {
      if (auto service = r.string(t, "service", f.kind != FaultKind::clock_skew)) {
        if (e.find_service(*service) == nullptr) {
          std::vector<std::string> names;
          for (const auto& s : e.services) names.push_back(s.name);
          std::string msg = "unknown service '" + *service + "'";
          if (auto guess = nearest(*service, names)) msg += "; did you mean '" + *guess + "'?";
          r.error(*t.get("service"), msg);
        }
        f.service = *service;
      }
    }

    if (std::find(own.begin(), own.end(), "ports") != own.end()) {
      if (t.contains("port") && t.contains("ports"))
        r.error(*t.get("ports"), "give 'port' or 'ports', not both");
      if (auto port = r.integer(t, "port", 1, 65535))
        f.ports = PortRange{static_cast<std::uint16_t>(*port), static_cast<std::uint16_t>(*port)};
      if (auto ports = r.string(t, "ports")) {
        unsigned lo = 0, hi = 0;
        char dash = 0, extra = 0;
        if (std::sscanf(ports->c_str(), "%u%c%u%c", &lo, &dash, &hi, &extra) != 3 || dash != '-' ||
            lo < 1 || hi > 65535 || lo > hi)
          r.error(*t.get("ports"), "'ports' must be a range such as \"8000-8100\"");
        else
          f.ports = PortRange{static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
      }
      if (auto protocol = r.string(t, "protocol")) {
        if (*protocol == "udp")
          f.protocol = 17;
        else if (*protocol != "tcp")
          r.error(*t.get("protocol"), "'protocol' must be \"tcp\" or \"udp\"");
        if (!t.contains("port") && !t.contains("ports"))
          r.error(*t.get("protocol"), "'protocol' narrows 'port' or 'ports': give one");
      }
      if (f.ports && f.prohibit && (f.kind == FaultKind::partition || f.kind == FaultKind::isolate))
        r.error(*t.get("mode"),
                "a partition narrowed to ports drops packets: remove 'mode = \"prohibit\"'");
    }

    if (f.kind == FaultKind::clock_skew) {
      if (const toml::node* node = t.get("offset")) {
        auto text = node->value<std::string>();
        const bool negative = text && !text->empty() && (*text)[0] == '-';
        auto d = text && node->is_string() ? parse_duration(negative ? text->substr(1) : *text)
                                           : std::nullopt;
        if (!d || *d > Duration(365LL * 24 * 3600 * 1000))
          r.error(*node, "'offset' must be a duration such as \"-10s\" or \"2m\", at most a year");
        else
          f.offset = negative ? -*d : *d;
      }
      if (auto drift = r.number(t, "drift", -0.5, 10)) f.drift = *drift;
      if (!t.contains("offset") && !t.contains("drift"))
        r.error(f.where, "a clock-skew fault needs 'offset', 'drift' or both");
    }

    if (is_traffic_fault(f.kind)) {
      if (auto between = r.strings(t, "between")) {
        if (between->size() != 2 || (*between)[0] == (*between)[1])
          r.error(*t.get("between"),
                  "'between' names two different regions: the link between them");
        else if (check_region(*t.get("between"), (*between)[0]) &&
                 check_region(*t.get("between"), (*between)[1]))
          f.between = *between;
      } else if (f.one_way && f.kind != FaultKind::slow_db) {
        r.error(*t.get("direction"),
                "a one-way fault needs 'between' to say which way: from the first region to the "
                "second");
      }
      LinkImpairment& i = f.impairment;
      switch (f.kind) {
        case FaultKind::delay:
          read_delay(r, t, i, true);
          break;
        case FaultKind::loss:
          if (auto p = r.number(t, "percent", 0, 100))
            i.loss = *p;
          else if (!t.contains("percent"))
            r.error(f.where, "a loss fault needs 'percent'");
          if (auto c = r.number(t, "correlation", 0, 100)) i.loss_correlation = *c;
          break;
        case FaultKind::duplicate:
        case FaultKind::corrupt: {
          auto p = r.number(t, "percent", 0, 100);
          if (!p && !t.contains("percent"))
            r.error(f.where, std::string("a ") + kind_name + " fault needs 'percent'");
          (f.kind == FaultKind::duplicate ? i.duplicate : i.corrupt) = p.value_or(0);
          break;
        }
        case FaultKind::reorder:
          if (auto p = r.number(t, "percent", 0, 100))
            i.reorder = *p;
          else if (!t.contains("percent"))
            r.error(f.where, "a reorder fault needs 'percent'");
          if (auto c = r.number(t, "correlation", 0, 100)) i.reorder_correlation = *c;
          // netem reorders by sending some packets at once while it delays the rest.
          if (auto d = r.duration(t, "delay", Duration(1), Duration(60000), true)) i.delay = *d;
          break;
        case FaultKind::bandwidth:
          if (auto rate = r.string(t, "rate", true)) {
            if (auto bits = parse_rate(*rate))
              i.rate_bits = *bits;
            else
              r.error(*t.get("rate"),
                      "'rate' = \"" + *rate +
                          "\" is not a rate; write e.g. \"10mbit\", \"500kbit\" or \"1gbit\"");
          }
          break;
        case FaultKind::slow_db:
          read_delay(r, t, i, true);
          if (auto p = r.number(t, "loss", 0, 100)) i.loss = *p;
          if (auto host = r.string(t, "host")) {
            if (std::find(e.hosts.begin(), e.hosts.end(), *host) == e.hosts.end())
              r.error(*t.get("host"), "unknown host '" + *host + "'");
            f.host = *host;
          } else if (std::find(e.hosts.begin(), e.hosts.end(), "db") == e.hosts.end()) {
            r.error(
                f.where,
                "slow-db acts on the 'db' host, which this experiment's hosts lack: give 'host'");
          }
          if (!f.ports) f.ports = PortRange{5432, 5432};  // PostgreSQL's port
          break;
        default:
          break;
      }
    }
    e.faults.push_back(f);
  }
  if (e.faults.size() > 500)
    r.error(position_of(faults->source()), "at most 500 faults per experiment");
}

}  // namespace faultline
