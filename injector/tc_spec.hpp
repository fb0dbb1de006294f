#pragma once
// Traffic-control faults as values: netem parameters, u32 matches, a class's
// shaping, and what tc(8) would be asked for them. No netlink here: the pure
// model plans and renders shaping with this header alone
// (traffic_control.hpp makes the changes).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faultline::injector {

inline constexpr std::uint16_t kTcMajor = 0xfa00;
inline constexpr std::uint16_t kDefaultClassMinor = 1;
inline constexpr std::uint16_t kFirstFaultMinor = 0x10;
inline constexpr std::uint16_t kLastFaultMinor = 0xff;

// netem's parameters in the units people use; probabilities in percent.
struct NetemSpec {
  std::uint32_t delay_us = 0;
  std::uint32_t jitter_us = 0;
  double delay_correlation = 0;  // percent
  std::string distribution;      // "", "uniform", "normal", "pareto", "paretonormal"
  double loss = 0;
  double loss_correlation = 0;
  double duplicate = 0;
  double reorder = 0;
  double reorder_correlation = 0;
  double corrupt = 0;
  std::uint32_t limit = 10000;  // packets netem may hold

  bool empty() const {
    return delay_us == 0 && jitter_us == 0 && loss == 0 && duplicate == 0 && reorder == 0 &&
           corrupt == 0;
  }
  friend bool operator==(const NetemSpec&, const NetemSpec&) = default;
};

struct PortMatch {
  std::uint16_t value = 0;
  std::uint16_t mask = 0xffff;
  friend bool operator==(const PortMatch&, const PortMatch&) = default;
};

// The fewest value/mask pairs that together match exactly [low, high].
std::vector<PortMatch> port_range_masks(std::uint16_t low, std::uint16_t high);

// One u32 filter: every field that is set must match. The family follows
// from the prefixes (or is IPv4 when none is given).
struct PacketMatch {
  int family = 2;                  // AF_INET (2) or AF_INET6 (10)
  std::optional<std::string> dst;  // CIDR
  std::optional<std::string> src;  // CIDR
  std::uint8_t protocol = 0;       // IPPROTO_TCP, IPPROTO_UDP; 0: any
  std::optional<PortMatch> sport;  // needs protocol
  std::optional<PortMatch> dport;  // needs protocol
  friend bool operator==(const PacketMatch&, const PacketMatch&) = default;
};

struct ShapingSpec {
  std::optional<std::uint64_t> rate_bits_per_second;
  NetemSpec netem;
  std::vector<PacketMatch> matches;  // empty: the class gets no traffic
};

// What the kernel will be asked, in tc(8) syntax, for --dry-run and tests.
std::vector<std::string> describe_shaping(const std::string& dev, std::uint16_t minor,
                                          std::uint32_t prio, const ShapingSpec& spec);

// The filter priority of a class: faults (band 0) before baselines (band 1),
// and an IPv6 filter at prio + 1.
std::uint32_t filter_prio(std::uint16_t minor, int band);

// The major of a fault class's netem leaf: fa00 | minor, so every handle
// faultline makes stays in fa00-faff.
std::uint16_t leaf_major(std::uint16_t minor);
// A handle part as tc prints it: lowercase hex, no prefix.
std::string hex(std::uint32_t v);

}  // namespace faultline::injector
