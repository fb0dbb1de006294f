#include "controllers/checkers/history_facts.hpp"

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

std::vector<FaultWindow> fault_windows(const CompactHistory& h) {
  std::vector<FaultWindow> windows;
  std::map<std::int64_t, std::size_t> open;  // fault index -> window
  for (const auto& op : h.ops()) {
    if (!op.nemesis() || (op.type != OpType::ok && op.type != OpType::info)) continue;
    const std::string& f = h.name(op.f);
    const bool start = is_nemesis_start(f), stop = is_nemesis_stop(f);
    if (!start && !stop) continue;
    const nlohmann::json value = h.value(op);
    if (!value.is_object()) continue;
    const auto index = value.value("fault", std::int64_t{-1});
    if (start) {
      open[index] = windows.size();
      windows.push_back({index, value.value("what", f), op.time, -1});
    } else if (auto it = open.find(index); it != open.end()) {
      windows[it->second].stop = op.time;
      open.erase(it);
    }
  }
  return windows;
}

std::map<std::string, std::string> customer_homes(const CompactHistory& h) {
  std::map<std::string, std::string> homes;
  for (const auto& op : h.ops())
    if (op.f == h.f_register && op.type == OpType::ok) {
      const nlohmann::json v = h.value(op);
      if (v.is_object() && v.value("customer", "") != "" && v.value("home", "") != "")
        homes[v["customer"].get<std::string>()] = v["home"].get<std::string>();
    }
  return homes;
}

}  // namespace faultline
