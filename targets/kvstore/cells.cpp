#include "targets/kvstore/cells.hpp"

#include <nlohmann/json.hpp>
#include <set>

namespace faultline::kvstore {

std::optional<Assignment> parse_assignment(const std::string& value) {
  if (value.empty()) return std::nullopt;
  if (value.front() != '{') return Assignment{value, ""};
  auto doc = nlohmann::json::parse(value, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("home") ||
      !doc["home"].is_string() || doc["home"].get<std::string>().empty())
    return std::nullopt;
  Assignment a{doc["home"].get<std::string>(), ""};
  if (doc.contains("cell")) {
    if (!doc["cell"].is_string()) return std::nullopt;
    a.cell = doc["cell"].get<std::string>();
  }
  return a;
}

std::string format_assignment(const Assignment& a) {
  if (a.cell.empty()) return a.home;
  return nlohmann::json{{"home", a.home}, {"cell", a.cell}}.dump();
}

std::optional<CellChoice> choose_cell(const std::vector<std::string>& cells,
                                      const std::string& assigned,
                                      const std::map<std::string, std::string>& moved,
                                      const std::function<bool(const std::string&)>& up) {
  std::string current = assigned;
  std::set<std::string> seen{current};
  for (auto it = moved.find(current); it != moved.end(); it = moved.find(current)) {
    if (!seen.insert(it->second).second) break;  // a cycle: stay where it ended
    current = it->second;
  }
  if (up(current)) return CellChoice{current, ""};
  for (const auto& cell : cells)
    if (cell != current && moved.count(cell) == 0 && up(cell)) return CellChoice{cell, current};
  return std::nullopt;
}

std::string encode_static_routes(const StaticRoutes& routes) {
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& [customer, a] : routes) doc[customer] = {{"home", a.home}, {"cell", a.cell}};
  return nlohmann::json{{"customers", doc}}.dump();
}

StaticRoutes decode_static_routes(const std::string& json_text) {
  const auto doc = nlohmann::json::parse(json_text);
  StaticRoutes routes;
  for (const auto& [customer, a] : doc.at("customers").items())
    routes[customer] = Assignment{a.at("home").get<std::string>(), a.value("cell", "")};
  return routes;
}

std::optional<Assignment> resolve_assignment(RoutingRead read,
                                             const std::optional<Assignment>& live,
                                             const StaticRoutes& fallback,
                                             const std::string& customer, bool use_fallback) {
  switch (read) {
    case RoutingRead::found:
      return live;
    case RoutingRead::unknown_customer:
      return std::nullopt;
    case RoutingRead::unreadable:
      if (!use_fallback) return std::nullopt;
      if (auto it = fallback.find(customer); it != fallback.end()) return it->second;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace faultline::kvstore
