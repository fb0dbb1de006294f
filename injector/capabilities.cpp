#include "injector/capabilities.hpp"

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <netlink/errno.h>
#include <netlink/route/act/gact.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/tbf.h>
#include <unistd.h>

#include <functional>

#include "injector/links.hpp"
#include "injector/network_namespace.hpp"
#include "injector/nfqueue/nfqueue_engine.hpp"
#include "injector/nfqueue/queue_rules.hpp"

namespace faultline::injector {

namespace {

int add_root(NetlinkSocket& sock, int ifindex, const char* kind,
             const std::function<void(rtnl_qdisc*)>& setup = {}) {
  rtnl_qdisc* q = rtnl_qdisc_alloc();
  rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
  rtnl_tc_set_parent(TC_CAST(q), std::string(kind) == "ingress" ? TC_H_INGRESS : TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(q),
                     std::string(kind) == "ingress" ? TC_HANDLE(0xffff, 0) : TC_HANDLE(0xfa00, 0));
  rtnl_tc_set_kind(TC_CAST(q), kind);
  if (setup) setup(q);
  int err = rtnl_qdisc_add(sock.get(), q, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_qdisc_put(q);
  return err;
}

void delete_root(NetlinkSocket& sock, int ifindex, bool ingress = false) {
  rtnl_qdisc* q = rtnl_qdisc_alloc();
  rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
  rtnl_tc_set_parent(TC_CAST(q), ingress ? TC_H_INGRESS : TC_H_ROOT);
  rtnl_qdisc_delete(sock.get(), q);
  rtnl_qdisc_put(q);
}

// A u32 filter under an htb root, optionally carrying an action.
int add_filter(NetlinkSocket& sock, int ifindex, rtnl_act* action) {
  rtnl_cls* cls = rtnl_cls_alloc();
  rtnl_tc_set_ifindex(TC_CAST(cls), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls), TC_HANDLE(0xfa00, 0));
  rtnl_tc_set_kind(TC_CAST(cls), "u32");
  rtnl_cls_set_prio(cls, 10);
  rtnl_cls_set_protocol(cls, ETH_P_IP);
  rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0);
  rtnl_u32_set_classid(cls, TC_HANDLE(0xfa00, 1));
  if (action) rtnl_u32_add_action(cls, action);
  int err = rtnl_cls_add(sock.get(), cls, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_cls_put(cls);
  return err;
}

}  // namespace

std::vector<Capability> probe_capabilities() {
  auto scratch = NetworkNamespace::create("fl-probe-" + std::to_string(::getpid()));
  auto sock = NetlinkSocket::open_in(scratch.fd());
  set_link_up(sock, "lo");
  const int lo = link_index(sock, "lo");
  std::vector<Capability> caps;
  auto record = [&](std::string name, std::string kind, int err, std::string needed_for) {
    caps.push_back({std::move(name), std::move(kind), err >= 0, err >= 0 ? "" : nl_geterror(-err),
                    std::move(needed_for)});
  };

  int err = add_root(sock, lo, "netem");
  record("netem", "qdisc", err,
         "delay, jitter, loss, duplicate, reorder, corrupt, slow-db, WAN baseline");
  if (err >= 0) delete_root(sock, lo);

  err = add_root(sock, lo, "tbf", [](rtnl_qdisc* q) {
    rtnl_qdisc_tbf_set_rate(q, 125000, 1600, 0);
    rtnl_qdisc_tbf_set_limit(q, 10000);
  });
  record("tbf", "qdisc", err, "(not used: bandwidth is an htb class rate)");
  if (err >= 0) delete_root(sock, lo);

  err = add_root(sock, lo, "ingress");
  record("ingress", "qdisc", err, "(not used yet)");
  if (err >= 0) delete_root(sock, lo, true);

  err = add_root(sock, lo, "htb",
                 [](rtnl_qdisc* q) { rtnl_htb_set_defcls(q, TC_HANDLE(0xfa00, 1)); });
  record("htb", "qdisc", err, "every traffic-control fault (the tree that scopes them), bandwidth");
  if (err >= 0) {
    err = add_filter(sock, lo, nullptr);
    record("u32", "classifier", err, "scoping traffic-control faults to regions, hosts and ports");
    rtnl_act* gact = rtnl_act_alloc();
    rtnl_tc_set_kind(TC_CAST(gact), "gact");
    rtnl_gact_set_action(gact, TC_ACT_SHOT);
    delete_root(sock, lo);
    add_root(sock, lo, "htb", [](rtnl_qdisc* q) { rtnl_htb_set_defcls(q, TC_HANDLE(0xfa00, 1)); });
    err = add_filter(sock, lo, gact);
    record("gact", "action", err, "(not used: partitions are routes)");
    rtnl_act_put(gact);
    delete_root(sock, lo);
    add_root(sock, lo, "htb", [](rtnl_qdisc* q) { rtnl_htb_set_defcls(q, TC_HANDLE(0xfa00, 1)); });
    rtnl_act* mirred = rtnl_act_alloc();
    rtnl_tc_set_kind(TC_CAST(mirred), "mirred");
    rtnl_mirred_set_action(mirred, TCA_EGRESS_REDIR);
    rtnl_mirred_set_policy(mirred, TC_ACT_STOLEN);
    rtnl_mirred_set_ifindex(mirred, static_cast<uint32_t>(lo));
    err = add_filter(sock, lo, mirred);
    record("mirred", "action", err, "(not used yet: ingress shaping through ifb)");
    rtnl_act_put(mirred);
    delete_root(sock, lo);
  } else {
    record("u32", "classifier", err, "scoping traffic-control faults (untested: htb is missing)");
  }

  try {
    QueueRuleTable table(scratch.fd(), "probe");
    QueueRule rule;
    rule.dev = "lo";
    rule.drop = true;
    table.set(1, {rule});
    caps.push_back(
        {"nftables", "netfilter", true, "", "partitions narrowed to ports (drop rules)"});
  } catch (const std::exception& e) {
    caps.push_back(
        {"nftables", "netfilter", false, e.what(), "partitions narrowed to ports (drop rules)"});
  }

  // The NFQUEUE engine: nf_tables with the xtables NFQUEUE target, and a
  // queue this process can bind.
  try {
    QueueRuleTable table(scratch.fd(), "probe");
    QueueRule rule;
    rule.dev = "lo";
    rule.queue = table.allocate_queue();
    table.set(1, {rule});
    NfqueueEngine engine(scratch.fd(), "probe", rule.queue, NetemSpec{}, 1);
    caps.push_back({"nfqueue", "netfilter", true, "",
                    "the NFQUEUE engine: delay, jitter, loss, reorder, slow-db without netem"});
  } catch (const std::exception& e) {
    caps.push_back({"nfqueue", "netfilter", false, e.what(),
                    "the NFQUEUE engine: delay, jitter, loss, reorder, slow-db without netem"});
  }
  return caps;
}

bool has_capability(const std::vector<Capability>& caps, const std::string& name) {
  for (const auto& c : caps)
    if (c.name == name) return c.available;
  return false;
}

}  // namespace faultline::injector
