#pragma once
// Cells inside a region, apart from sockets so they can be tested on their
// own: a customer's entry in the global routing data, which cell serves it
// when its own has failed, and the static routing table each edge falls back
// on when the routing data cannot be read.
//
// The guide's cell architecture: customers are homed in a region and assigned
// to a cell of it (customer -> {home, cell} in the global routing data); a
// cell's failure moves its customers to another cell of the same region, and
// a failure of global routing falls back to a static routing table at the
// edge.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faultline::kvstore {

// "customer:{id}" in the global data: a bare region name (a region without
// cells), or {"home": REGION, "cell": CELL}.
struct Assignment {
  std::string home;
  std::string cell;  // empty: the region has no cells

  bool operator==(const Assignment&) const = default;
};
std::optional<Assignment> parse_assignment(const std::string& value);
std::string format_assignment(const Assignment& a);

// The cell that serves a customer assigned to `assigned`. `moved` holds the
// migrations done so far (failed cell -> the cell that took its customers);
// they are followed first, since a migrated customer's data lives in the new
// cell from then on. When that cell is down, the first other cell that is up
// and has not itself moved away takes over, once the failed cell's data has
// been copied to it: `migrate_from` names the cell to copy from.
struct CellChoice {
  std::string cell;
  std::string migrate_from;  // empty: no migration needed
};
std::optional<CellChoice> choose_cell(const std::vector<std::string>& cells,
                                      const std::string& assigned,
                                      const std::map<std::string, std::string>& moved,
                                      const std::function<bool(const std::string&)>& up);

// The static routing table: a snapshot of every assignment, written to a file
// at the edge and refreshed while the routing data can be read.
using StaticRoutes = std::map<std::string, Assignment>;  // customer -> assignment
std::string encode_static_routes(const StaticRoutes& routes);
StaticRoutes decode_static_routes(const std::string& json_text);  // throws on malformed input

// Where the router takes a customer's assignment from: the routing data when
// it answered; when it could not be read at all, the static table, unless the
// no-static-fallback bug is planted. An answer that the customer is unknown
// is final: the static table is for outages, not for overruling the data.
enum class RoutingRead { found, unknown_customer, unreadable };
std::optional<Assignment> resolve_assignment(RoutingRead read,
                                             const std::optional<Assignment>& live,
                                             const StaticRoutes& fallback,
                                             const std::string& customer, bool use_fallback);

}  // namespace faultline::kvstore
