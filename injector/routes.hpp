#pragma once
// Routes through rtnetlink, including the blackhole/prohibit routes that
// implement partitions.
#include <cstdint>
#include <optional>
#include <string>

#include "injector/netlink_socket.hpp"
#include "injector/route_spec.hpp"

namespace faultline::injector {


void add_route(NetlinkSocket& sock, const Route& route);
// Returns false when the route was not there (already removed): deleting is
// idempotent. Other failures throw.
bool delete_route(NetlinkSocket& sock, const Route& route);

}  // namespace faultline::injector
