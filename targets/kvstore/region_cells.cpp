// The region's parts that exist for cells: a cell adopting a failed cell's
// customers, and the app answering the routing table the edges keep a static
// copy of.
#include <boost/beast/http.hpp>

#include "targets/kvstore/cells.hpp"
#include "targets/kvstore/region.hpp"

namespace faultline::kvstore {

nlohmann::json Region::served() const {
  nlohmann::json out{{"served_by", config_.name}};
  if (!config_.cell.empty()) out["cell"] = config_.cell;
  return out;
}

HttpResponse Region::adopt_cell(const HttpRequest& request, const std::string& from) {
  nlohmann::json answer = served();
  if (config_.cell.empty() || !config_.cell_storage)
    return json_reply(request, 400, {{"error", "only a cell with a database adopts another cell"}});
  if (from.empty() || from == config_.cell)
    return json_reply(request, 400, {{"error", "use /cells/adopt?from=OTHER_CELL"}});
  answer["adopted_from"] = from;
  if (config_.bug == Bug::migration_drops_data) {
    // The customers arrive; what they wrote in their old cell stays behind.
    log_("cell " + config_.cell + " adopts cell " + from + "'s customers without their data");
    answer["records"] = 0;
    return json_reply(request, 200, answer);
  }
  // The failed cell's process is gone but its table is not: the database
  // outlives it. Last-writer-wins makes the copy safe to repeat (every edge
  // router asks for it) and never overwrites what the customers wrote here
  // since.
  auto source = config_.cell_storage(from);
  const auto records = source->scan(DataClass::customer);
  const std::size_t kept = storage_.merge(records);
  log_("cell " + config_.cell + " adopted cell " + from + "'s customers: " +
       std::to_string(records.size()) + " records read, " + std::to_string(kept) + " newer kept");
  answer["records"] = records.size();
  answer["kept"] = kept;
  return json_reply(request, 200, answer);
}

HttpResponse Region::routing_table(const HttpRequest& request) {
  StaticRoutes routes;
  const std::string prefix = home_key("");
  for (const auto& r : storage_.scan(DataClass::global)) {
    if (r.key.rfind(prefix, 0) != 0) continue;
    if (auto a = parse_assignment(r.entry.value)) routes[r.key.substr(prefix.size())] = *a;
  }
  HttpResponse response = json_reply(request, 200, nullptr);
  response.body() = encode_static_routes(routes);
  response.prepare_payload();
  return response;
}

}  // namespace faultline::kvstore
