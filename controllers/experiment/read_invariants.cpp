// [[invariant]]: what the run judges. Each kind is a registered part that
// reads its own keys (controllers/checkers/invariants/); this file only finds
// the kind and refuses keys that belong to other kinds.
#include <algorithm>

#include "controllers/checkers/invariant_registry.hpp"
#include "controllers/experiment/sections.hpp"

namespace faultline {

namespace {

// "convergence and failover-time", "a, b and c".
std::string kinds_taking(const std::string& key) {
  std::vector<std::string> names;
  for (const InvariantKind* kind : invariant_kinds())
    if (kind->find_key(key) != nullptr) names.push_back(kind->name);
  return listed(names, false);
}

}  // namespace

void read_invariants(Reader& r, const toml::table& root, Experiment& e, bool faults_known) {
  const toml::array* invariants = r.tables(root, "invariant");
  if (invariants == nullptr) return;
  const Keys keys = invariant_keys();
  const Keys kinds = invariant_kind_names();
  for (const auto& node : *invariants) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[invariant]]", keys);
    InvariantSpec inv;
    inv.where = position_of(t.source());
    auto index = r.choice(t, "kind", kinds, "invariant");
    if (!index) continue;
    const InvariantKind& kind = *invariant_kinds()[*index];
    inv.kind = kind.name;
    for (auto&& [key, value] : t) {
      const std::string k(key.str());
      if (k == "kind" || kind.find_key(k) != nullptr ||
          std::find(keys.begin(), keys.end(), k) == keys.end())
        continue;
      r.error(value, "'" + k + "' applies to " + kinds_taking(k) + " only");
    }
    if (kind.read != nullptr) kind.read(InvariantTable{r, t, e, faults_known}, inv);
    e.invariants.push_back(inv);
  }
}

}  // namespace faultline
