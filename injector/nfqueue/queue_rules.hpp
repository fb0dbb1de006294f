#pragma once
// Steering packets into netfilter queues, for kernels without sch_netem.
//
// Rules live in tables faultline owns in each namespace it shapes,
// `table ip faultline` and `table ip6 faultline`, in one chain on the
// postrouting hook: packets about to leave through a device. Every rule ends
// in a queue verdict with the bypass flag: while a program listens on queue N
// the packet waits for its verdict; when none does (the controller died), the
// kernel lets it pass instead of dropping it, so a crash never turns into a
// silent partition.
//
// The verdict is the xtables NFQUEUE target through nft_compat (what
// iptables-nft uses), because kernels without sch_netem often lack nft's own
// queue expression too (CONFIG_NFT_QUEUE); tables, chains and rules are built
// with libnftnl and sent over netlink, no `nft` process. The chains are
// rewritten whole from the active rules in one nfnetlink batch, so a change
// is atomic: no packet sees half a fault.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "injector/network_namespace.hpp"
#include "injector/nfqueue/queue_rule_spec.hpp"
#include "injector/traffic_control.hpp"

struct mnl_socket;

namespace faultline::injector {


// A NETLINK_NETFILTER socket opened inside one namespace. A table keeps one
// for its life: closing a netfilter socket waits for the kernel to free what
// earlier transactions removed (an RCU grace period, about 13 ms on these
// machines), so a socket per change would put that wait on every revert.
class NfnetlinkSocket {
 public:
  static NfnetlinkSocket open_in(const NamespaceFd& ns, const std::string& where);
  ~NfnetlinkSocket();
  NfnetlinkSocket(NfnetlinkSocket&& other) noexcept;
  NfnetlinkSocket& operator=(NfnetlinkSocket&& other) noexcept;
  NfnetlinkSocket(const NfnetlinkSocket&) = delete;
  NfnetlinkSocket& operator=(const NfnetlinkSocket&) = delete;

  // Sends one nfnetlink batch and waits for `messages` acknowledgements;
  // throws one KernelError naming `where` that lists every error the batch
  // drew, with the first one's errno as its error_code().
  void send_batch(const std::string& where, const void* data, std::size_t size, int messages);

 private:
  explicit NfnetlinkSocket(mnl_socket* nl) : nl_(nl) {}
  mnl_socket* nl_;
};

// Deletes faultline's queue tables in a namespace (cleanup after a crash, and
// tests). Returns whether they existed.
bool delete_queue_tables(const NamespaceFd& ns, const std::string& where);

// faultline's queue rules in one namespace. Owners (faults) set and remove
// their rules; the table is deleted when the object goes.
class QueueRuleTable {
 public:
  QueueRuleTable(const NamespaceFd& ns, std::string where);
  ~QueueRuleTable();
  QueueRuleTable(const QueueRuleTable&) = delete;
  QueueRuleTable& operator=(const QueueRuleTable&) = delete;

  void set(std::uint64_t owner, std::vector<QueueRule> rules);
  // Returns what went wrong, if anything, for a guard's revert: one message
  // that names every error the kernel gave for the change (see send_batch).
  std::optional<std::string> remove(std::uint64_t owner) noexcept;
  std::uint16_t allocate_queue();

 private:
  void apply();
  NfnetlinkSocket& socket();  // opened at the first use, kept for the table's life
  const NamespaceFd& ns_;
  std::string where_;
  std::map<std::uint64_t, std::vector<QueueRule>> rules_;
  std::optional<NfnetlinkSocket> socket_;
  std::uint16_t next_queue_ = 16;
  bool created_ = false;
};

}  // namespace faultline::injector
