#pragma once
// Finds and removes what faultline left in a namespace, by the marks it puts
// on everything it installs, without knowing which faults were running:
// routes of protocol kFaultlineRouteProtocol that drop (blackhole,
// prohibit), root qdiscs with a handle in fa00:-faff:, and the nf_tables
// tables named faultline. This is how `faultline recover` cleans a container
// whose controller died mid-fault: the marks are in the kernel, so they
// survive the controller.
#include <string>
#include <vector>

#include "injector/netlink_socket.hpp"
#include "injector/network_namespace.hpp"

namespace faultline::injector {

// Returns one line per thing removed ("route blackhole 198.18.2.0/24 metric
// 100", "qdisc fa00: on eth1", "nf_tables tables faultline").
std::vector<std::string> sweep_faults(const NamespaceFd& ns, const std::string& where);

}  // namespace faultline::injector
