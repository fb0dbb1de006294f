#pragma once
// Traffic-control faults through rtnetlink (libnl-route): an HTB tree that
// faultline owns on an interface, one class per fault with an optional netem
// leaf (delay, jitter, loss, duplication, reordering, corruption) and an
// optional rate, selected by u32 filters on addresses, protocol and ports.
//
// The layout is the one iproute2's documentation gives for per-destination
// shaping:
//
//   qdisc htb fa00: root default 1           (created on first use)
//     class fa00:1   unlimited                (everything no filter picks)
//     class fa00:N   rate R (or unlimited)    (one per fault)
//       qdisc netem faNN:  delay/loss/...     (leaf, when the fault needs it)
//     filter u32 prio P  protocol ip   ...  flowid fa00:N
//     filter u32 prio P+1 protocol ipv6 ... flowid fa00:N
//
// Handles with major 0xfa00-0xfaff are faultline's on every interface it
// shapes; it never replaces or deletes a root qdisc it did not create.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "injector/netlink_socket.hpp"
#include "injector/tc_spec.hpp"

namespace faultline::injector {

class ShapingGuard;

// faultline's HTB tree on one interface. Shared by the guards of the faults on
// that interface; the root goes away with the last of them.
class ShapedInterface : public std::enable_shared_from_this<ShapedInterface> {
 public:
  static std::shared_ptr<ShapedInterface> open(std::shared_ptr<NetlinkSocket> sock,
                                               std::string where, std::string dev);

  // Installs a class, its leaf and its filters. `band` 0 is for faults, 1 for
  // baselines: band 0 filters are consulted first. All or nothing.
  ShapingGuard shape(const ShapingSpec& spec, int band);

  const std::string& dev() const { return dev_; }
  const std::string& where() const { return where_; }

 private:
  friend class ShapingGuard;
  ShapedInterface(std::shared_ptr<NetlinkSocket> sock, std::string where, std::string dev)
      : sock_(std::move(sock)), where_(std::move(where)), dev_(std::move(dev)) {}
  void ensure_root();
  // Returns what went wrong, if anything.
  std::optional<std::string> remove_root_if_unused() noexcept;
  std::uint16_t allocate_minor();

  std::shared_ptr<NetlinkSocket> sock_;
  std::string where_;
  std::string dev_;
  int ifindex_ = 0;
  bool root_ = false;
  std::vector<std::uint16_t> minors_in_use_;
};

// One fault's class on one interface; reverting removes its filters, leaf and
// class (and the root when it was the last). Idempotent.
class ShapingGuard {
 public:
  ShapingGuard(ShapingGuard&&) noexcept = default;
  // Reverts the class this guard holds before taking the other's, so the
  // class never outlives its owner (a defaulted assignment would drop owner_
  // and leave class, leaf and filters in the kernel, their minor taken for
  // good). Problems of that revert go unreported, as in the destructor; call
  // revert() first to see them.
  ShapingGuard& operator=(ShapingGuard&& other) noexcept;
  ShapingGuard(const ShapingGuard&) = delete;
  ShapingGuard& operator=(const ShapingGuard&) = delete;
  ~ShapingGuard() { revert(); }

  std::vector<std::string> revert() noexcept;
  std::uint16_t minor() const { return minor_; }

 private:
  friend class ShapedInterface;
  ShapingGuard(std::shared_ptr<ShapedInterface> owner, std::uint16_t minor, std::uint32_t prio,
               bool leaf, int filters_v4, int filters_v6)
      : owner_(std::move(owner)),
        minor_(minor),
        prio_(prio),
        leaf_(leaf),
        filters_v4_(filters_v4),
        filters_v6_(filters_v6) {}
  std::shared_ptr<ShapedInterface> owner_;
  std::uint16_t minor_ = 0;
  std::uint32_t prio_ = 0;
  bool leaf_ = false;
  int filters_v4_ = 0;
  int filters_v6_ = 0;
};

// The kind, handle and parent of every qdisc on a link, as "kind handle parent"
// lines: what tests compare before and after a fault.
std::vector<std::string> qdisc_tree(NetlinkSocket& sock, const std::string& dev);


}  // namespace faultline::injector
