#include "injector/route_spec.hpp"

namespace faultline::injector {

const char* route_type_name(RouteType type) {
  switch (type) {
    case RouteType::unicast:
      return "unicast";
    case RouteType::blackhole:
      return "blackhole";
    case RouteType::prohibit:
      return "prohibit";
  }
  return "?";
}

std::string describe(const Route& route) {
  std::string text;
  if (route.type != RouteType::unicast) text = std::string(route_type_name(route.type)) + " ";
  text += route.destination;
  if (route.gateway) text += " via " + *route.gateway;
  text += " metric " + std::to_string(route.metric);
  return text;
}

}  // namespace faultline::injector
