#include "injector/tc_spec.hpp"

#include <sys/socket.h>

#include <sstream>

namespace faultline::injector {

namespace {

std::string percent(double p) {
  std::ostringstream out;
  out << p << "%";
  return out.str();
}

std::string microseconds(std::uint32_t us) {
  if (us % 1000 == 0) return std::to_string(us / 1000) + "ms";
  return std::to_string(us) + "us";
}

}  // namespace

std::uint16_t leaf_major(std::uint16_t minor) {
  return static_cast<std::uint16_t>(kTcMajor | minor);
}

std::string hex(std::uint32_t v) {
  std::ostringstream out;
  out << std::hex << v;
  return out.str();
}

std::vector<PortMatch> port_range_masks(std::uint16_t low, std::uint16_t high) {
  std::vector<PortMatch> out;
  std::uint32_t start = low;
  while (start <= high) {
    std::uint32_t size = 1;
    while (size < 65536 && start % (size * 2) == 0 && start + size * 2 - 1 <= high) size *= 2;
    out.push_back(
        {static_cast<std::uint16_t>(start), static_cast<std::uint16_t>(~(size - 1) & 0xffff)});
    start += size;
  }
  return out;
}

std::uint32_t filter_prio(std::uint16_t minor, int band) {
  return 10 + static_cast<std::uint32_t>(band) * 1000 + 2u * minor;
}

std::vector<std::string> describe_shaping(const std::string& dev, std::uint16_t minor,
                                          std::uint32_t prio, const ShapingSpec& spec) {
  std::vector<std::string> lines;
  const std::string cls = hex(kTcMajor) + ":" + hex(minor);
  std::string rate =
      spec.rate_bits_per_second ? std::to_string(*spec.rate_bits_per_second) + "bit" : "100gbit";
  lines.push_back("tc class add dev " + dev + " parent " + hex(kTcMajor) + ": classid " + cls +
                  " htb rate " + rate + " ceil " + rate);
  if (!spec.netem.empty()) {
    const NetemSpec& n = spec.netem;
    std::string q = "tc qdisc add dev " + dev + " parent " + cls + " handle " +
                    hex(leaf_major(minor)) + ": netem limit " + std::to_string(n.limit);
    if (n.delay_us || n.jitter_us) {
      q += " delay " + microseconds(n.delay_us);
      if (n.jitter_us) q += " " + microseconds(n.jitter_us);
      if (n.delay_correlation > 0) q += " " + percent(n.delay_correlation);
      if (!n.distribution.empty()) q += " distribution " + n.distribution;
    }
    if (n.loss > 0)
      q += " loss " + percent(n.loss) +
           (n.loss_correlation > 0 ? " " + percent(n.loss_correlation) : "");
    if (n.duplicate > 0) q += " duplicate " + percent(n.duplicate);
    if (n.reorder > 0)
      q += " reorder " + percent(n.reorder) +
           (n.reorder_correlation > 0 ? " " + percent(n.reorder_correlation) : "");
    if (n.corrupt > 0) q += " corrupt " + percent(n.corrupt);
    lines.push_back(q);
  }
  for (const auto& m : spec.matches) {
    const bool v6 = m.family == AF_INET6;
    const std::string ip = v6 ? "ip6" : "ip";
    std::string f = "tc filter add dev " + dev + " parent " + hex(kTcMajor) + ": prio " +
                    std::to_string(prio + (v6 ? 1 : 0)) + " protocol " + (v6 ? "ipv6" : "ip") +
                    " u32";
    if (m.dst) f += " match " + ip + " dst " + *m.dst;
    if (m.src) f += " match " + ip + " src " + *m.src;
    if (m.protocol)
      f += " match " + ip + " " + (v6 ? "nexthdr " : "protocol ") + std::to_string(m.protocol) +
           " 0xff";
    if (m.sport)
      f += " match " + ip + " sport " + std::to_string(m.sport->value) + " 0x" + hex(m.sport->mask);
    if (m.dport)
      f += " match " + ip + " dport " + std::to_string(m.dport->value) + " 0x" + hex(m.dport->mask);
    lines.push_back(f + " flowid " + cls);
  }
  return lines;
}

}  // namespace faultline::injector
