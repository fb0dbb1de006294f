// [[fault]]: what goes wrong, when, and where. Each kind is a registered part
// that reads its own keys (controllers/faults/kinds/); this file reads what
// every fault has (kind, at, for) and refuses keys that belong to other kinds.
#include <algorithm>

#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/units.hpp"
#include "controllers/faults/fault_registry.hpp"

namespace faultline {

namespace {

// "at, for, region, service": what a message lists as the kind's keys.
std::string keys_listed(const FaultKind& kind) {
  std::string all = "at";
  if (kind.lasting) all += ", for";
  for (const KeySpec& key : kind.keys) all += ", " + key.name;
  return all;
}

// Keys that exist but belong to other kinds of fault.
void refuse_foreign_keys(Reader& r, const toml::table& t, const FaultKind& kind,
                         const Keys& all_keys) {
  for (auto&& [key, value] : t) {
    const std::string k(key.str());
    if (k == "kind" || k == "at" ||
        std::find(all_keys.begin(), all_keys.end(), k) == all_keys.end())
      continue;
    if (kind.find_key(k) != nullptr || (k == "for" && kind.lasting)) continue;
    if (k == "for") {
      r.error(position_of(key.source()), "a " + kind.name + " is instantaneous: remove 'for'");
      continue;
    }
    r.error(position_of(key.source()), "'" + k + "' does not apply to a " + kind.name +
                                           " fault (its keys: " + keys_listed(kind) + ")");
  }
}

}  // namespace

void read_faults(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                 const ProgramResolver& resolver) {
  const toml::array* faults = r.tables(root, "fault");
  if (faults == nullptr) return;
  const Keys keys = fault_keys();
  const Keys kinds = fault_kind_names();
  for (const auto& node : *faults) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[fault]]", keys);
    FaultSpec f;
    f.where = position_of(t.source());
    auto index = r.choice(t, "kind", kinds, "fault kind");
    if (!index) continue;
    const FaultKind& kind = *fault_kinds()[*index];
    f.kind = kind.name;
    refuse_foreign_keys(r, t, kind, keys);

    if (auto at = r.duration(t, "at", Duration(0), kMaxDuration, true)) {
      f.at = *at;
      if (e.duration.count() > 0 && f.at >= e.duration)
        r.error(*t.get("at"), "fault starts at " + format_duration(f.at) +
                                  ", after the experiment ends (" + format_duration(e.duration) +
                                  ")");
    }
    if (kind.lasting)
      if (auto length = r.duration(t, "for", Duration(1), kMaxDuration, !kind.for_optional))
        f.length = *length;
    kind.read(FaultTable{r, t, e, base_dir, resolver}, f);
    e.faults.push_back(f);
  }
  if (e.faults.size() > 500)
    r.error(position_of(faults->source()), "at most 500 faults per experiment");
}

}  // namespace faultline
