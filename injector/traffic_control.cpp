#include "injector/traffic_control.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <sstream>

#include "injector/kernel_error.hpp"
#include "injector/libnl_ptr.hpp"
#include "injector/links.hpp"
#include "injector/nfqueue/delay_model.hpp"

namespace faultline::injector {

namespace {

// An unlimited class still needs a rate: 100 Gbit/s, beyond any veth here.
constexpr std::uint64_t kUnlimitedBytesPerSecond = 100'000'000'000ULL / 8;

using detail::ClassPtr;
using detail::ClsPtr;
using detail::QdiscPtr;

std::uint32_t handle(std::uint16_t major, std::uint16_t minor) { return TC_HANDLE(major, minor); }
// netem takes probabilities and correlations as fractions of 2^32 - 1, as
// iproute2's get_percent() computes them (tc/tc_util.c).
int scaled(double percent) {
  double fraction = std::clamp(percent, 0.0, 100.0) / 100.0;
  return static_cast<int>(static_cast<std::uint32_t>(std::llround(fraction * 4294967295.0)));
}

// Adds a netem qdisc, building the request by hand as tc does
// (tc/q_netem.c): TCA_OPTIONS holds struct tc_netem_qopt followed by netem's
// own attributes. libnl's netem encoder (3.7) is not used: with a delay
// distribution it declares a message longer than the buffer it filled
// (16,468 bytes in a 12,288-byte allocation, seen under valgrind), so the
// kernel reads heap garbage as attributes and, now and then, as a second
// message; the request then fails with EINVAL and the socket's next answer
// belongs to another request.
int add_netem_qdisc(nl_sock* sock, int ifindex, std::uint32_t parent, std::uint32_t handle,
                    const NetemSpec& n) {
  std::vector<std::int16_t> table;
  if (!n.distribution.empty() && n.distribution != "uniform")
    table = load_distribution_table(n.distribution);
  const std::size_t size = 4096 + table.size() * sizeof(std::int16_t);
  std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(nlmsg_alloc_size(size), nlmsg_free);
  if (!msg) return -NLE_NOMEM;
  nlmsghdr* h = nlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, RTM_NEWQDISC, sizeof(tcmsg),
                          NLM_F_CREATE | NLM_F_EXCL);
  if (h == nullptr) return -NLE_NOMEM;
  auto* tc = static_cast<tcmsg*>(nlmsg_data(h));
  *tc = tcmsg{};
  tc->tcm_family = AF_UNSPEC;
  tc->tcm_ifindex = ifindex;
  tc->tcm_handle = handle;
  tc->tcm_parent = parent;
  if (nla_put_string(msg.get(), TCA_KIND, "netem") < 0) return -NLE_NOMEM;

  // Ticks as the kernel reads them (PSCHED_TICKS2NS: ns = ticks << 6); the
  // 64-bit nanosecond attributes below carry the exact values.
  auto ticks = [](std::uint32_t us) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{us} * 1000 / 64, UINT32_MAX));
  };
  tc_netem_qopt qopt{};
  qopt.latency = ticks(n.delay_us);
  qopt.jitter = ticks(n.jitter_us);
  qopt.limit = n.limit;
  qopt.loss = static_cast<std::uint32_t>(scaled(n.loss));
  qopt.duplicate = static_cast<std::uint32_t>(scaled(n.duplicate));
  qopt.gap = n.reorder > 0 ? 1 : 0;  // as tc: reordering needs a gap, 1 by default
  auto* options = static_cast<nlattr*>(nlmsg_tail(h));
  if (nla_put(msg.get(), TCA_OPTIONS, sizeof qopt, &qopt) < 0) return -NLE_NOMEM;
  int err = 0;
  if (n.delay_correlation > 0 || n.loss_correlation > 0) {
    tc_netem_corr corr{};
    corr.delay_corr = static_cast<std::uint32_t>(scaled(n.delay_correlation));
    corr.loss_corr = static_cast<std::uint32_t>(scaled(n.loss_correlation));
    err = err ? err : nla_put(msg.get(), TCA_NETEM_CORR, sizeof corr, &corr);
  }
  if (n.reorder > 0) {
    tc_netem_reorder reorder{static_cast<std::uint32_t>(scaled(n.reorder)),
                             static_cast<std::uint32_t>(scaled(n.reorder_correlation))};
    err = err ? err : nla_put(msg.get(), TCA_NETEM_REORDER, sizeof reorder, &reorder);
  }
  if (n.corrupt > 0) {
    tc_netem_corrupt corrupt{static_cast<std::uint32_t>(scaled(n.corrupt)), 0};
    err = err ? err : nla_put(msg.get(), TCA_NETEM_CORRUPT, sizeof corrupt, &corrupt);
  }
  if (!table.empty())
    err = err ? err
              : nla_put(msg.get(), TCA_NETEM_DELAY_DIST,
                        static_cast<int>(table.size() * sizeof(std::int16_t)), table.data());
  if (n.delay_us) err = err ? err : nla_put_s64(msg.get(), TCA_NETEM_LATENCY64, std::int64_t{n.delay_us} * 1000);
  if (n.jitter_us) err = err ? err : nla_put_s64(msg.get(), TCA_NETEM_JITTER64, std::int64_t{n.jitter_us} * 1000);
  if (err < 0) return err;
  // The options attribute spans the struct and every attribute after it.
  options->nla_len = static_cast<std::uint16_t>(reinterpret_cast<char*>(nlmsg_tail(h)) -
                                                reinterpret_cast<char*>(options));
  if ((err = nl_send_auto(sock, msg.get())) < 0) return err;
  return nl_wait_for_ack(sock);
}

// Offsets in the IP headers, as iproute2's u32 "match ip/ip6" uses them
// (tc/f_u32.c); ports assume no IPv4 options and no IPv6 extension headers.
constexpr int kV4Protocol = 9, kV4Src = 12, kV4Dst = 16, kV4Sport = 20, kV4Dport = 22;
constexpr int kV6NextHeader = 6, kV6Src = 8, kV6Dst = 24, kV6Sport = 40, kV6Dport = 42;

void add_keys(rtnl_cls* cls, const PacketMatch& m) {
  const bool v6 = m.family == AF_INET6;
  auto prefix = [&](const std::string& cidr, int offset) {
    auto addr = detail::parse_address(cidr);
    auto bits = static_cast<uint8_t>(nl_addr_get_prefixlen(addr.get()));
    int err =
        v6 ? rtnl_u32_add_key_in6_addr(
                 cls, static_cast<in6_addr*>(nl_addr_get_binary_addr(addr.get())), bits, offset, 0)
           : rtnl_u32_add_key_in_addr(
                 cls, static_cast<in_addr*>(nl_addr_get_binary_addr(addr.get())), bits, offset, 0);
    if (err < 0) throw_netlink("u32 match " + cidr, err);
  };
  if (m.dst) prefix(*m.dst, v6 ? kV6Dst : kV4Dst);
  if (m.src) prefix(*m.src, v6 ? kV6Src : kV4Src);
  if (m.protocol)
    rtnl_u32_add_key_uint8(cls, m.protocol, 0xff, v6 ? kV6NextHeader : kV4Protocol, 0);
  if (m.sport)
    rtnl_u32_add_key_uint16(cls, m.sport->value, m.sport->mask, v6 ? kV6Sport : kV4Sport, 0);
  if (m.dport)
    rtnl_u32_add_key_uint16(cls, m.dport->value, m.dport->mask, v6 ? kV6Dport : kV4Dport, 0);
  if (!m.dst && !m.src && !m.protocol && !m.sport && !m.dport)
    rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0);  // match everything of this family
}

bool not_found(int err) {
  return err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR || err == -NLE_NODEV;
}

}  // namespace

std::shared_ptr<ShapedInterface> ShapedInterface::open(std::shared_ptr<NetlinkSocket> sock,
                                                       std::string where, std::string dev) {
  return std::shared_ptr<ShapedInterface>(
      new ShapedInterface(std::move(sock), std::move(where), std::move(dev)));
}

void ShapedInterface::ensure_root() {
  if (root_) return;
  ifindex_ = link_index(*sock_, dev_);
  const std::string what = "shape " + dev_ + " in " + where_;

  // Never replace a root qdisc someone configured. The kernel's own default
  // (noqueue, pfifo_fast, fq_codel, mq ...) has handle 0 and may be replaced:
  // deleting ours brings it back.
  nl_cache* cache = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock_->get(), &cache); err < 0) throw_netlink(what, err);
  rtnl_qdisc* existing = rtnl_qdisc_get_by_parent(cache, ifindex_, TC_H_ROOT);
  std::uint32_t existing_handle = existing ? rtnl_tc_get_handle(TC_CAST(existing)) : 0;
  std::string existing_kind =
      existing && rtnl_tc_get_kind(TC_CAST(existing)) ? rtnl_tc_get_kind(TC_CAST(existing)) : "";
  if (existing) rtnl_qdisc_put(existing);
  nl_cache_free(cache);
  if (existing_handle != 0)
    throw KernelError(
        what, "root qdisc " + existing_kind + " " + hex(TC_H_MAJ(existing_handle) >> 16) +
                  ": is not faultline's; faultline never replaces a root qdisc it did not create",
        EBUSY);  // the device is in someone else's use

  QdiscPtr root(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(root.get()), ifindex_);
  rtnl_tc_set_parent(TC_CAST(root.get()), TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(root.get()), handle(kTcMajor, 0));
  rtnl_tc_set_kind(TC_CAST(root.get()), "htb");
  rtnl_htb_set_defcls(root.get(), handle(kTcMajor, kDefaultClassMinor));
  if (int err = rtnl_qdisc_add(sock_->get(), root.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    throw_netlink(what + ": add root htb", err);
  root_ = true;

  ClassPtr fallback(rtnl_class_alloc());
  rtnl_tc_set_ifindex(TC_CAST(fallback.get()), ifindex_);
  rtnl_tc_set_parent(TC_CAST(fallback.get()), handle(kTcMajor, 0));
  rtnl_tc_set_handle(TC_CAST(fallback.get()), handle(kTcMajor, kDefaultClassMinor));
  rtnl_tc_set_kind(TC_CAST(fallback.get()), "htb");
  rtnl_htb_set_rate64(fallback.get(), kUnlimitedBytesPerSecond);
  rtnl_htb_set_ceil64(fallback.get(), kUnlimitedBytesPerSecond);
  rtnl_htb_set_quantum(fallback.get(), 60000);
  if (int err = rtnl_class_add(sock_->get(), fallback.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    remove_root_if_unused();
    throw_netlink(what + ": add default class", err);
  }
}

std::optional<std::string> ShapedInterface::remove_root_if_unused() noexcept {
  if (!root_ || !minors_in_use_.empty()) return std::nullopt;
  QdiscPtr root(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(root.get()), ifindex_);
  rtnl_tc_set_parent(TC_CAST(root.get()), TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(root.get()), handle(kTcMajor, 0));
  // Its classes and filters go with it.
  const int err = rtnl_qdisc_delete(sock_->get(), root.get());
  root_ = false;
  if (err < 0 && !not_found(err))
    return where_ + " " + dev_ + ": delete root htb: " + nl_geterror(-err);
  return std::nullopt;
}

std::uint16_t ShapedInterface::allocate_minor() {
  for (std::uint16_t m = kFirstFaultMinor; m <= kLastFaultMinor; ++m)
    if (std::find(minors_in_use_.begin(), minors_in_use_.end(), m) == minors_in_use_.end()) {
      minors_in_use_.push_back(m);
      return m;
    }
  throw KernelError("shape " + dev_ + " in " + where_,
                    "more than 240 shaped classes on one interface", ENOSPC);
}

ShapingGuard ShapedInterface::shape(const ShapingSpec& spec, int band) {
  ensure_root();
  const std::uint16_t minor = allocate_minor();
  const std::uint32_t prio = filter_prio(minor, band);
  const std::string what = "shape " + dev_ + " in " + where_;
  // The guard starts with everything marked present so that a failure part
  // way removes whatever was added (removing what is absent is a no-op).
  int v4 = 0, v6 = 0;
  for (const auto& m : spec.matches) (m.family == AF_INET6 ? v6 : v4)++;
  ShapingGuard guard(shared_from_this(), minor, prio, !spec.netem.empty(), v4, v6);

  ClassPtr cls(rtnl_class_alloc());
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex_);
  rtnl_tc_set_parent(TC_CAST(cls.get()), handle(kTcMajor, 0));
  rtnl_tc_set_handle(TC_CAST(cls.get()), handle(kTcMajor, minor));
  rtnl_tc_set_kind(TC_CAST(cls.get()), "htb");
  const std::uint64_t bytes = spec.rate_bits_per_second
                                  ? std::max<std::uint64_t>(*spec.rate_bits_per_second / 8, 1)
                                  : kUnlimitedBytesPerSecond;
  rtnl_htb_set_rate64(cls.get(), bytes);
  rtnl_htb_set_ceil64(cls.get(), bytes);
  rtnl_htb_set_quantum(
      cls.get(), static_cast<std::uint32_t>(std::clamp<std::uint64_t>(bytes / 10, 1514, 60000)));
  if (int err = rtnl_class_add(sock_->get(), cls.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    throw_netlink(what + ": add class " + hex(kTcMajor) + ":" + hex(minor), err);

  if (!spec.netem.empty()) {
    if (int err = add_netem_qdisc(sock_->get(), ifindex_, handle(kTcMajor, minor),
                                  handle(leaf_major(minor), 0), spec.netem);
        err < 0) {
      std::string hint;
      if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOATTR || err == -NLE_OPNOTSUPP ||
          err == -NLE_INVAL)
        hint = " (is sch_netem available? see `faultline doctor`)";
      throw KernelError(what + ": add netem", std::string(nl_geterror(err)) + hint,
                        errno_of_netlink(err));
    }
  }

  for (const auto& m : spec.matches) {
    ClsPtr filter(rtnl_cls_alloc());
    rtnl_tc_set_ifindex(TC_CAST(filter.get()), ifindex_);
    rtnl_tc_set_parent(TC_CAST(filter.get()), handle(kTcMajor, 0));
    rtnl_tc_set_kind(TC_CAST(filter.get()), "u32");
    const bool v6 = m.family == AF_INET6;
    rtnl_cls_set_prio(filter.get(), static_cast<std::uint16_t>(prio + (v6 ? 1 : 0)));
    rtnl_cls_set_protocol(filter.get(), v6 ? ETH_P_IPV6 : ETH_P_IP);
    add_keys(filter.get(), m);
    rtnl_u32_set_classid(filter.get(), handle(kTcMajor, minor));
    rtnl_u32_set_cls_terminal(filter.get());
    if (int err = rtnl_cls_add(sock_->get(), filter.get(), NLM_F_CREATE); err < 0)
      throw_netlink(what + ": add u32 filter", err);
  }
  return guard;
}

std::vector<std::string> ShapingGuard::revert() noexcept {
  std::vector<std::string> problems;
  if (!owner_) return problems;
  ShapedInterface& iface = *owner_;
  nl_sock* sk = iface.sock_->get();
  auto check = [&](int err, const std::string& step) {
    if (err < 0 && !not_found(err))
      problems.push_back(iface.where_ + " " + iface.dev_ + ": " + step + ": " + nl_geterror(-err));
  };
  for (int family : {AF_INET, AF_INET6}) {
    if ((family == AF_INET ? filters_v4_ : filters_v6_) == 0) continue;
    ClsPtr filter(rtnl_cls_alloc());
    rtnl_tc_set_ifindex(TC_CAST(filter.get()), iface.ifindex_);
    rtnl_tc_set_parent(TC_CAST(filter.get()), handle(kTcMajor, 0));
    rtnl_tc_set_kind(TC_CAST(filter.get()), "u32");
    rtnl_cls_set_prio(filter.get(),
                      static_cast<std::uint16_t>(prio_ + (family == AF_INET6 ? 1 : 0)));
    rtnl_cls_set_protocol(filter.get(), family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
    check(rtnl_cls_delete(sk, filter.get(), 0), "delete filters");
  }
  if (leaf_) {
    QdiscPtr leaf(rtnl_qdisc_alloc());
    rtnl_tc_set_ifindex(TC_CAST(leaf.get()), iface.ifindex_);
    rtnl_tc_set_parent(TC_CAST(leaf.get()), handle(kTcMajor, minor_));
    rtnl_tc_set_handle(TC_CAST(leaf.get()), handle(leaf_major(minor_), 0));
    check(rtnl_qdisc_delete(sk, leaf.get()), "delete netem");
  }
  ClassPtr cls(rtnl_class_alloc());
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), iface.ifindex_);
  rtnl_tc_set_parent(TC_CAST(cls.get()), handle(kTcMajor, 0));
  rtnl_tc_set_handle(TC_CAST(cls.get()), handle(kTcMajor, minor_));
  check(rtnl_class_delete(sk, cls.get()), "delete class");
  iface.minors_in_use_.erase(
      std::remove(iface.minors_in_use_.begin(), iface.minors_in_use_.end(), minor_),
      iface.minors_in_use_.end());
  if (auto problem = iface.remove_root_if_unused()) problems.push_back(std::move(*problem));
  owner_.reset();
  return problems;
}

ShapingGuard& ShapingGuard::operator=(ShapingGuard&& other) noexcept {
  if (this != &other) {
    revert();
    owner_ = std::move(other.owner_);  // leaves other.owner_ empty: other is inert
    minor_ = other.minor_;
    prio_ = other.prio_;
    leaf_ = other.leaf_;
    filters_v4_ = other.filters_v4_;
    filters_v6_ = other.filters_v6_;
  }
  return *this;
}

std::vector<std::string> qdisc_tree(NetlinkSocket& sock, const std::string& dev) {
  const int ifindex = link_index(sock, dev);
  std::vector<std::string> lines;
  nl_cache* cache = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock.get(), &cache); err < 0)
    throw_netlink("list qdiscs", err);
  for (nl_object* obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
    auto* tc = TC_CAST(obj);
    if (rtnl_tc_get_ifindex(tc) != ifindex) continue;
    const char* kind = rtnl_tc_get_kind(tc);
    lines.push_back(std::string(kind ? kind : "?") + " " + hex(rtnl_tc_get_handle(tc)) + " " +
                    hex(rtnl_tc_get_parent(tc)));
  }
  nl_cache_free(cache);
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace faultline::injector
