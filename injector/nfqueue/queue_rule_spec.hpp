#pragma once
// A queue or drop rule as a value, and how nft(8) would list it. No netlink
// here: the pure model renders rules with this header alone (queue_rules.hpp
// installs them).
#include <cstdint>
#include <string>
#include <vector>

#include "injector/tc_spec.hpp"

namespace faultline::injector {

struct QueueRule {
  std::string dev;    // egress device
  PacketMatch match;  // what to steer
  std::uint16_t queue = 0;
  int band = 0;       // 0: faults, rendered first; 1: the baseline
  bool drop = false;  // drop instead of queueing: a port-scoped partition
};

inline constexpr const char* kNftTable = "faultline";

// Rules in the order they go into the chains: faults before the baseline (pure).
std::vector<QueueRule> ordered_rules(const std::vector<QueueRule>& rules);
// One rule as nft would list it, for --dry-run and messages, e.g.
//   oifname "wan0" ip daddr 198.18.2.0/24 queue num 16 bypass
std::string render_rule(const QueueRule& rule);

}  // namespace faultline::injector
