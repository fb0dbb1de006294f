#include "injector/nfqueue/queue_rule_spec.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <sstream>

namespace faultline::injector {

namespace {

std::string port_expr(const char* proto, const char* field, const PortMatch& p) {
  std::ostringstream out;
  out << proto << " " << field << " ";
  if (p.mask == 0xffff)
    out << p.value;
  else
    out << "& 0x" << std::hex << p.mask << " == 0x" << p.value;
  return out.str();
}

}  // namespace

std::string render_rule(const QueueRule& rule) {
  const PacketMatch& m = rule.match;
  const bool v6 = m.family == AF_INET6;
  std::string text = std::string(v6 ? "ip6" : "ip") + " oifname \"" + rule.dev + "\" ";
  if (m.dst) text += std::string(v6 ? "ip6" : "ip") + " daddr " + *m.dst + " ";
  if (m.src) text += std::string(v6 ? "ip6" : "ip") + " saddr " + *m.src + " ";
  const char* proto = m.protocol == IPPROTO_UDP ? "udp" : "tcp";
  if (m.protocol && !m.sport && !m.dport) text += std::string("meta l4proto ") + proto + " ";
  if (m.sport) text += port_expr(proto, "sport", *m.sport) + " ";
  if (m.dport) text += port_expr(proto, "dport", *m.dport) + " ";
  return text +
         (rule.drop ? std::string("drop") : "queue num " + std::to_string(rule.queue) + " bypass");
}

std::vector<QueueRule> ordered_rules(const std::vector<QueueRule>& rules) {
  std::vector<QueueRule> ordered = rules;
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.band < b.band; });
  return ordered;
}

}  // namespace faultline::injector
