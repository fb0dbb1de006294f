// [experiment] and [[region]]: what the run is called, how long it lasts, the
// hosts of every region, and the regions themselves.
#include <set>

#include "controllers/experiment/section_keys.hpp"
#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

const Keys kEngines{"auto", "netem", "nfqueue"};

}  // namespace

void read_experiment_table(Reader& r, const toml::table& root, Experiment& e) {
  const toml::table* t = r.table(root, "experiment");
  if (t == nullptr) {
    if (!root.contains("experiment"))
      r.error({1, 1}, "missing [experiment] table with 'name' and 'duration'");
    return;
  }
  r.check_keys(*t, "[experiment]", key_names(experiment_section_keys()));
  if (auto name = r.string(*t, "name", true)) {
    if (!valid_name(*name, 64, true))
      r.error(*t->get("name"),
              "'name' must be lowercase letters, digits and '-', at most 64 characters");
    e.name = *name;
  }
  e.description = r.string(*t, "description").value_or("");
  if (auto d = r.duration(*t, "duration", Duration(1000), kMaxDuration, true)) e.duration = *d;
  if (auto seed = r.integer(*t, "seed", 0, INT64_MAX)) e.seed = static_cast<std::uint64_t>(*seed);
  if (t->contains("unknown")) {
    const Keys choices{"fails", "passes"};
    if (auto u = r.choice(*t, "unknown", choices, "choice for 'unknown'")) e.unknown_fails = *u == 0;
  }
  if (auto lease = r.duration(*t, "lease", Duration(100), Duration(600000))) e.lease = *lease;
  if (t->contains("engine"))
    if (auto engine = r.choice(*t, "engine", kEngines, "engine")) e.engine = kEngines[*engine];
  if (auto hosts = r.strings(*t, "hosts")) {
    std::set<std::string> seen;
    for (const auto& h : *hosts) {
      if (!valid_name(h, 10, false))
        r.error(*t->get("hosts"),
                "host name '" + h + "' must be 1 to 10 lowercase letters or digits");
      if (!seen.insert(h).second) r.error(*t->get("hosts"), "host '" + h + "' is listed twice");
    }
    if (hosts->empty()) r.error(*t->get("hosts"), "'hosts' must name at least one host");
    e.hosts = *hosts;
    e.hosts_where = position_of(t->get("hosts")->source());
  }
}

void read_regions(Reader& r, const toml::table& root, Experiment& e) {
  const toml::array* regions = r.tables(root, "region");
  if (regions == nullptr) {
    if (!root.contains("region"))
      r.error({1, 1}, "no [[region]] tables: an experiment needs at least one region");
    return;
  }
  for (const auto& node : *regions) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[region]]", key_names(region_section_keys()));
    RegionSpec region;
    region.where = position_of(t.source());
    if (auto name = r.string(t, "name", true)) {
      if (!valid_name(*name, 32, true))
        r.error(*t.get("name"),
                "region name '" + *name +
                    "' must be lowercase letters, digits and '-', at most 32 characters");
      else if (e.find_region(*name) != nullptr)
        r.error(*t.get("name"), "region '" + *name + "' is defined twice");
      region.name = *name;
    }
    region.geo = r.string(t, "geo", true).value_or("");
    region.failover = r.string(t, "failover").value_or("");
    if (!region.name.empty()) e.regions.push_back(region);
  }
  // Failover stays in the geo: that is what keeps residency during a failure.
  for (const auto& node : *regions) {
    const toml::table& t = *node.as_table();
    auto name = t["name"].value<std::string>();
    auto failover = t["failover"].value<std::string>();
    if (!name || !failover || !t.get("failover")->is_string()) continue;
    const RegionSpec* self = e.find_region(*name);
    const RegionSpec* other = e.find_region(*failover);
    if (self == nullptr) continue;
    if (other == nullptr) {
      std::vector<std::string> names;
      for (const auto& reg : e.regions) names.push_back(reg.name);
      std::string msg = "failover region '" + *failover + "' is not a region of this experiment";
      if (auto guess = nearest(*failover, names)) msg += "; did you mean '" + *guess + "'?";
      r.error(*t.get("failover"), msg);
    } else if (other == self) {
      r.error(*t.get("failover"), "a region cannot fail over to itself");
    } else if (other->geo != self->geo) {
      r.error(*t.get("failover"), "failover region '" + *failover + "' is in geo '" + other->geo +
                                      "', not '" + self->geo +
                                      "': failover must stay in the geo (data residency)");
    }
  }
  if (e.regions.size() > 200)
    r.error(position_of(regions->source()), "at most 200 regions are supported");
}

}  // namespace faultline
