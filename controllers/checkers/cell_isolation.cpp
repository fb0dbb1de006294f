#include "controllers/checkers/cell_isolation.hpp"

#include <cstdio>
#include <map>
#include <optional>

#include "controllers/checkers/history_facts.hpp"

namespace faultline {

namespace {

struct Tally {
  std::size_t ok = 0, total = 0;
  std::optional<std::size_t> first_failure;  // completion index
  double fraction() const { return total == 0 ? 1.0 : static_cast<double>(ok) / total; }
};

struct Window {
  std::size_t fault = 0;
  std::int64_t start = 0, stop = -1;  // stop -1: until the end
};

struct Home {
  std::string region, cell;
};

std::string percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", f * 100);
  return buf;
}

// What the checker compares, over time: per cell ("region/cell"), the share
// of its customers' operations invoked in each bucket that succeeded. A
// bucket with no operation of the cell is left out (no figure, not 0%).
class CellAvailability {
 public:
  explicit CellAvailability(std::int64_t end_ns)
      : builder_("operations that succeeded per cell, by invocation time", "% ok", end_ns,
                 SeriesFold::max),
        bucket_ns_(series_bucket_ms(end_ns) * 1000000) {}
  void add(const Home& home, std::int64_t invoked, bool ok) {
    auto& [succeeded, all] = counts_[home.region + "/" + home.cell][invoked / bucket_ns_];
    ++all;
    if (ok) ++succeeded;
  }
  void mark(std::int64_t t_ns, std::string label) { builder_.mark(t_ns, std::move(label)); }
  Series build() {
    for (const auto& [cell, buckets] : counts_)
      for (const auto& [bucket, n] : buckets)
        builder_.add(cell, bucket * bucket_ns_,
                     100.0 * static_cast<double>(n.first) / static_cast<double>(n.second));
    counts_.clear();
    return builder_.build();
  }

 private:
  SeriesBuilder builder_;
  std::int64_t bucket_ns_;
  std::map<std::string, std::map<std::int64_t, std::pair<std::size_t, std::size_t>>> counts_;
};

}  // namespace

CheckResult check_cell_isolation(const CompactHistory& h, const std::vector<CellFault>& faults,
                                 double tolerance) {
  CheckResult result;
  result.invariant = "cell-isolation";
  result.judged_what = "customers";

  std::map<std::string, Home> homes;  // customer -> its region and cell
  for (const auto& op : h.ops()) {
    if (op.f != h.f_register || op.type != OpType::invoke) continue;
    const nlohmann::json v = h.value(op);
    if (v.is_object() && v.contains("customer") && v.contains("cell"))
      homes[v["customer"].get<std::string>()] = {v.value("home", ""), v["cell"].get<std::string>()};
  }
  // Every fault's window; "before" ends at the first of them, and the cells'
  // faults are the windows judged.
  const std::vector<FaultWindow> all = fault_windows(h);
  std::optional<std::int64_t> first_fault;
  for (const auto& w : all)
    if (!first_fault || w.start < *first_fault) first_fault = w.start;
  std::vector<Window> windows;
  for (const auto& w : all)
    if (w.fault >= 0 && static_cast<std::size_t>(w.fault) < faults.size() &&
        !faults[static_cast<std::size_t>(w.fault)].cell.empty())
      windows.push_back({static_cast<std::size_t>(w.fault), w.start, w.stop});
  CellAvailability over_time(history_end_ns(h));
  for (const Window& w : windows) {
    const CellFault& fault = faults[w.fault];
    over_time.mark(w.start, "cell " + fault.region + "/" + fault.cell + " down");
    if (w.stop >= 0) over_time.mark(w.stop, "cell " + fault.region + "/" + fault.cell + " back");
  }
  if (windows.empty()) {
    result.summary = "no fault took a cell down: nothing to judge";
    return result;
  }
  if (homes.empty()) {
    result.series.push_back(over_time.build());
    result.summary = "no customer was signed up with a cell: nothing to judge";
    return result;
  }

  // Each customer's operations before the first fault, and in each window.
  std::map<std::string, Tally> before;
  std::map<std::pair<std::size_t, std::string>, Tally> during;
  auto wanted = [&](const CompactOp& op) {
    return !op.nemesis() && (op.f == h.f_read || op.f == h.f_write) && op.key != kNoSymbol;
  };
  for_each_invocation(h, wanted, [&](std::size_t invoke, std::size_t done) {
    const CompactOp& inv = h[invoke];
    const std::string& key = h.name(inv.key);
    const std::string customer = key.substr(0, key.find('/'));
    if (key.find('/') == std::string::npos || !homes.count(customer)) return;
    const bool ok = done != SIZE_MAX && h[done].type == OpType::ok;
    over_time.add(homes.at(customer), inv.time, ok);
    auto count = [&](Tally& t) {
      ++t.total;
      if (ok) ++t.ok;
      if (!ok && !t.first_failure) t.first_failure = done != SIZE_MAX ? done : invoke;
    };
    if (first_fault && inv.time < *first_fault) count(before[customer]);
    for (std::size_t w = 0; w < windows.size(); ++w)
      if (inv.time >= windows[w].start && (windows[w].stop < 0 || inv.time <= windows[w].stop))
        count(during[{w, customer}]);
  });

  nlohmann::json judged = nlohmann::json::array();
  nlohmann::json suffered = nlohmann::json::array();
  std::string worst_text;
  double worst_drop = -1;
  std::size_t customers = 0;
  for (std::size_t w = 0; w < windows.size(); ++w) {
    const CellFault& fault = faults[windows[w].fault];
    for (const auto& [customer, home] : homes) {
      if (home.region == fault.region && home.cell == fault.cell) continue;  // the failed cell's
      auto b = before.find(customer);
      auto d = during.find({w, customer});
      if (b == before.end() || b->second.total == 0 || d == during.end() || d->second.total == 0)
        continue;
      ++customers;
      const double drop = b->second.fraction() - d->second.fraction();
      nlohmann::json row{{"customer", customer},
                         {"region", home.region},
                         {"cell", home.cell},
                         {"fault", "cell " + fault.cell + " of " + fault.region},
                         {"before", b->second.fraction()},
                         {"during", d->second.fraction()},
                         {"operations_during", d->second.total}};
      judged.push_back(row);
      const std::string text = "customer " + customer + " (cell " + home.cell + " of " +
                               home.region + ") had " + percent(d->second.fraction()) + " of " +
                               std::to_string(d->second.total) + " operations succeed while cell " +
                               fault.cell + " of " + fault.region + " was down, " +
                               percent(b->second.fraction()) + " before";
      if (drop > worst_drop) {
        worst_drop = drop;
        worst_text = text;
      }
      if (drop > tolerance) {
        suffered.push_back(row);
        if (d->second.first_failure && result.witness.size() < 10) {
          result.witness.push_back(h.operation(*d->second.first_failure));
          over_time.mark(h[*d->second.first_failure].time,
                         customer + " (cell " + home.region + "/" + home.cell + ") failed");
        }
      }
    }
  }
  result.judged = customers;
  result.details = {{"tolerance", tolerance}, {"customers", judged}};
  result.series.push_back(over_time.build());
  if (customers == 0) {
    result.summary = "no customer of another cell had operations before and during a cell's fault";
    return result;
  }
  if (!suffered.empty()) {
    result.validity = Validity::violated;
    std::string names;
    for (const auto& row : suffered)
      names += (names.empty() ? "" : ", ") + row["customer"].get<std::string>();
    result.details["suffered"] = suffered;
    result.summary = std::to_string(suffered.size()) + " customer(s) of other cells lost more than " +
                     percent(tolerance) + " of their availability while a cell was down: " +
                     names + "; worst: " + worst_text;
  } else {
    result.validity = Validity::holds;
    result.summary = "every customer of the other cells stayed as available (tolerance " +
                     percent(tolerance) + "); largest drop: " + worst_text;
  }
  return result;
}

}  // namespace faultline
