#include "controllers/checkers/residency.hpp"

#include <set>
#include <unordered_map>

#include "controllers/checkers/history_facts.hpp"
#include "controllers/checkers/writes.hpp"

namespace faultline {

CheckResult check_residency(const CompactHistory& h,
                            const std::map<std::string, std::string>& region_geo) {
  CheckResult result;
  result.invariant = "residency";
  const std::map<std::string, std::string> home = customer_homes(h);  // customer -> home region
  auto geo_of = [&](const std::string& region) {
    auto it = region_geo.find(region);
    return it == region_geo.end() ? std::string("?") : it->second;
  };
  // Per symbol, resolved once: a region's geo; a key's customer's home geo.
  std::unordered_map<std::uint32_t, std::string> region_geo_cache, key_geo_cache;
  auto symbol_geo = [&](std::uint32_t region) -> const std::string& {
    auto [it, fresh] = region_geo_cache.try_emplace(region);
    if (fresh) it->second = geo_of(h.name(region));
    return it->second;
  };
  auto key_home_geo = [&](std::uint32_t key) -> const std::string& {
    auto [it, fresh] = key_geo_cache.try_emplace(key);
    if (fresh) {
      auto c = home.find(customer_of(h.name(key)));
      it->second = c == home.end() ? "" : geo_of(c->second);
    }
    return it->second;
  };

  std::size_t served = 0, misplaced_ops = 0, probes = 0, failed_probes = 0, misplaced_rows = 0;
  std::set<std::string> customers_out;
  SeriesBuilder out_of_geo("operations served out of their customer's geo, by serving region",
                           "out-of-geo serves", history_end_ns(h));
  for (const auto& op : h.ops()) {
    if (op.type == OpType::invoke || op.nemesis()) continue;
    if (op.f == h.f_probe) {
      if (op.type != OpType::ok) {
        ++failed_probes;
        continue;
      }
      ++probes;
      bool witnessed = false;
      const nlohmann::json v = h.value(op);
      if (!v.is_object() || !v.contains("customers") || !v["customers"].is_array()) continue;
      const std::size_t rows_before = misplaced_rows;
      for (const auto& row : v["customers"]) {
        if (!row.is_string()) continue;
        auto c = home.find(row.get<std::string>());
        if (c == home.end() || geo_of(c->second) == symbol_geo(op.region)) continue;
        ++misplaced_rows;
        customers_out.insert(c->first);
        if (!witnessed && result.witness.size() < 6) result.witness.push_back(h.operation(op));
        witnessed = true;
      }
      // Where data is stored is seen at a probe's instant only: a mark, not a line.
      if (misplaced_rows > rows_before)
        out_of_geo.mark(op.time, "probe in " + h.name(op.region) + " found " +
                                     std::to_string(misplaced_rows - rows_before) +
                                     " customers out of geo");
      continue;
    }
    if (op.served_by == kNoSymbol || !op.is_kv()) continue;
    const std::string& home_geo = key_home_geo(op.key);
    if (home_geo.empty()) continue;
    ++served;
    if (symbol_geo(op.served_by) == home_geo) continue;
    ++misplaced_ops;
    out_of_geo.add(h.name(op.served_by), op.time);
    customers_out.insert(customer_of(h.name(op.key)));
    if (misplaced_ops <= 3) result.witness.push_back(h.operation(op));
  }
  result.series.push_back(out_of_geo.build());
  result.judged = served + probes;
  result.judged_what = "served operations and state probes";
  result.details = {{"customers", home.size()},
                    {"operations_checked", served},
                    {"served_out_of_geo", misplaced_ops},
                    {"probes", probes},
                    {"failed_probes", failed_probes},
                    {"rows_out_of_geo", misplaced_rows}};
  if (misplaced_ops > 0 || misplaced_rows > 0) {
    result.validity = Validity::violated;
    result.summary = std::to_string(customers_out.size()) + " customers' data left their geo: " +
                     std::to_string(misplaced_ops) + " operations served out of geo, " +
                     std::to_string(misplaced_rows) + " rows found by probes";
  } else if (home.empty()) {
    result.summary = "no customer signed up: nothing to judge";
  } else if (failed_probes > 0) {
    result.summary = std::to_string(failed_probes) +
                     " state probes failed: cannot tell what some databases hold";
  } else if (probes == 0) {
    // Where data is served says little without where it is stored.
    result.summary = "no state probe answered: cannot tell what any database holds";
  } else {
    result.validity = Validity::holds;
    result.summary = std::to_string(served) + " operations of " + std::to_string(home.size()) +
                     " customers served in their geo; " + std::to_string(probes) +
                     " database probes found no data out of geo";
  }
  return result;
}

CheckResult check_residency(const std::vector<Operation>& history,
                            const std::map<std::string, std::string>& region_geo) {
  return check_residency(CompactHistory::from(history), region_geo);
}

}  // namespace faultline
