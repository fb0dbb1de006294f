#pragma once
// A route as a value: what a partition asks of a router, printable as ip(8)
// prints it. No netlink here: the pure model plans and renders routes with
// this header alone (routes.hpp sends them).
#include <cstdint>
#include <optional>
#include <string>

namespace faultline::injector {

enum class RouteType {
  unicast,    // forward via a gateway or device
  blackhole,  // drop silently: the sender sees a timeout, like a cut cable
  prohibit,   // drop and answer ICMP "administratively prohibited": fails fast
};

// The rtm_protocol faultline marks its own routes with, so that cleanup after a
// crash can tell them from anything else (values are listed in
// /etc/iproute2/rt_protos; 241 is unassigned there).
inline constexpr std::uint8_t kFaultlineRouteProtocol = 241;

struct Route {
  std::string destination;             // CIDR, IPv4 or IPv6
  std::optional<std::string> gateway;  // unicast only
  RouteType type = RouteType::unicast;
  std::uint32_t metric = 0;  // lower wins among routes to the same prefix
  // Who owns the route: faultline's faults carry kFaultlineRouteProtocol, so
  // recovery finds them; plumbing that must survive recovery says otherwise.
  std::uint8_t protocol = kFaultlineRouteProtocol;

  friend bool operator==(const Route&, const Route&) = default;
};

// As `ip route` would print it, e.g. "blackhole 198.18.2.0/24 metric 10".
std::string describe(const Route& route);
const char* route_type_name(RouteType type);

}  // namespace faultline::injector
