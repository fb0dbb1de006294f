#pragma once
// Per-namespace sysctls. The files under /proc/sys/net belong to the network
// namespace of the thread that opens them, so we open them from inside.
#include <string>

#include "injector/network_namespace.hpp"

namespace faultline::injector {

// e.g. write_sysctl(ns, "net/ipv4/ip_forward", "1")
void write_sysctl(const NamespaceFd& ns, const std::string& key, const std::string& value);
std::string read_sysctl(const NamespaceFd& ns, const std::string& key);

// Turns on IPv4 and IPv6 forwarding: what makes a namespace a router.
void enable_forwarding(const NamespaceFd& ns);

}  // namespace faultline::injector
