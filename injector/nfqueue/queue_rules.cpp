#include "injector/nfqueue/queue_rules.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <utility>

#include "injector/kernel_error.hpp"
#include "injector/libnl_ptr.hpp"

namespace faultline::injector {

namespace {

constexpr const char* kChain = "egress";

// --- rule expressions (nf_tables registers; include/uapi/linux/netfilter/nf_tables.h)

void add(nftnl_rule* r, nftnl_expr* e) { nftnl_rule_add_expr(r, e); }

void load_meta(nftnl_rule* r, std::uint32_t key) {
  nftnl_expr* e = nftnl_expr_alloc("meta");
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  add(r, e);
}

void load_payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
  nftnl_expr* e = nftnl_expr_alloc("payload");
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  add(r, e);
}

void mask(nftnl_rule* r, const void* bits, std::uint32_t len) {
  std::vector<unsigned char> zero(len, 0);
  nftnl_expr* e = nftnl_expr_alloc("bitwise");
  nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
  nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, bits, len);
  nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero.data(), len);
  add(r, e);
}

void equals(nftnl_rule* r, const void* data, std::uint32_t len) {
  nftnl_expr* e = nftnl_expr_alloc("cmp");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  add(r, e);
}

void match_prefix(nftnl_rule* r, const std::string& cidr, std::uint32_t offset) {
  auto addr = detail::parse_address(cidr);
  const auto len = nl_addr_get_len(addr.get());
  const unsigned prefix = nl_addr_get_prefixlen(addr.get());
  std::vector<unsigned char> bits(len, 0), value(len, 0);
  std::memcpy(value.data(), nl_addr_get_binary_addr(addr.get()), len);
  for (unsigned i = 0; i < len * 8; ++i)
    if (i < prefix) bits[i / 8] |= static_cast<unsigned char>(0x80 >> (i % 8));
  for (unsigned i = 0; i < len; ++i) value[i] &= bits[i];
  load_payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, len);
  if (prefix < len * 8) mask(r, bits.data(), len);
  equals(r, value.data(), len);
}

void match_port(nftnl_rule* r, std::uint32_t offset, const PortMatch& p) {
  load_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
  const std::uint16_t m = htons(p.mask), v = htons(p.value & p.mask);
  if (p.mask != 0xffff) mask(r, &m, 2);
  equals(r, &v, 2);
}

// The xtables NFQUEUE target, revision 3, with the bypass flag.
void queue_verdict(nftnl_rule* r, std::uint16_t queue) {
  // libnftnl takes ownership of the target's info (expr/target.c frees it).
  constexpr std::size_t size = XT_ALIGN(sizeof(xt_NFQ_info_v3));
  auto* info = static_cast<unsigned char*>(std::calloc(1, size));
  xt_NFQ_info_v3 nfq{};
  nfq.queuenum = queue;
  nfq.queues_total = 1;
  nfq.flags = NFQ_FLAG_BYPASS;
  std::memcpy(info, &nfq, sizeof nfq);
  nftnl_expr* e = nftnl_expr_alloc("target");
  nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
  nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
  nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, size);
  add(r, e);
}

nftnl_rule* build_rule(const QueueRule& q) {
  const bool v6 = q.match.family == AF_INET6;
  nftnl_rule* r = nftnl_rule_alloc();
  nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
  nftnl_rule_set_str(r, NFTNL_RULE_TABLE, kNftTable);
  nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, kChain);
  char dev[IFNAMSIZ] = {};
  std::strncpy(dev, q.dev.c_str(), IFNAMSIZ - 1);
  load_meta(r, NFT_META_OIFNAME);
  equals(r, dev, IFNAMSIZ);
  if (q.match.dst) match_prefix(r, *q.match.dst, v6 ? 24 : 16);
  if (q.match.src) match_prefix(r, *q.match.src, v6 ? 8 : 12);
  if (q.match.protocol) {
    load_meta(r, NFT_META_L4PROTO);
    equals(r, &q.match.protocol, 1);
  }
  if (q.match.sport) match_port(r, 0, *q.match.sport);
  if (q.match.dport) match_port(r, 2, *q.match.dport);
  if (q.drop) {
    nftnl_expr* e = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
    add(r, e);
  } else {
    queue_verdict(r, q.queue);
  }
  return r;
}

}  // namespace

NfnetlinkSocket NfnetlinkSocket::open_in(const NamespaceFd& ns, const std::string& where) {
  mnl_socket* nl;
  {
    NetnsEntry inside(ns);
    nl = mnl_socket_open(NETLINK_NETFILTER);
  }
  if (nl == nullptr) throw_errno("nftables in " + where, errno);
  NfnetlinkSocket socket(nl);
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) throw_errno("nftables in " + where, errno);
  return socket;
}

NfnetlinkSocket::~NfnetlinkSocket() {
  if (nl_ != nullptr) mnl_socket_close(nl_);
}

NfnetlinkSocket::NfnetlinkSocket(NfnetlinkSocket&& other) noexcept
    : nl_(std::exchange(other.nl_, nullptr)) {}

NfnetlinkSocket& NfnetlinkSocket::operator=(NfnetlinkSocket&& other) noexcept {
  if (this != &other) {
    if (nl_ != nullptr) mnl_socket_close(nl_);
    nl_ = std::exchange(other.nl_, nullptr);
  }
  return *this;
}

void NfnetlinkSocket::send_batch(const std::string& where, const void* data, std::size_t size,
                                 int messages) {
  if (mnl_socket_sendto(nl_, data, size) < 0) throw_errno("nftables in " + where + ": send", errno);
  // nfnetlink_rcv_batch() (net/netfilter/nfnetlink.c) does not stop at the
  // first failing message: it processes the whole batch, aborts it if any
  // message failed, and only then delivers every acknowledgement and every
  // error, all from within our sendto(). So after an error the rest of the
  // answers are already queued: read them without waiting (a batch-level
  // failure, EPERM on the batch itself, answers once only) and report every
  // error, the first one's errno as the KernelError's code.
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  std::vector<int> errors;
  int answered = 0;
  while (answered < messages) {
    pollfd p{mnl_socket_get_fd(nl_), POLLIN, 0};
    if (::poll(&p, 1, errors.empty() ? 2000 : 0) != 1) {
      if (!errors.empty()) break;
      throw KernelError("nftables in " + where, "no answer from the kernel", ETIMEDOUT);
    }
    ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) throw_errno("nftables in " + where + ": receive", errno);
    auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
    int len = static_cast<int>(n);
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (err->error != 0) errors.push_back(-err->error);
      ++answered;
    }
  }
  if (errors.empty()) return;
  std::string reason;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    // The same errno for many messages (every rule of a chain that is gone)
    // is one problem, said once.
    if (std::find(errors.begin(), errors.begin() + static_cast<std::ptrdiff_t>(i), errors[i]) !=
        errors.begin() + static_cast<std::ptrdiff_t>(i))
      continue;
    if (!reason.empty()) reason += "; ";
    reason += std::strerror(errors[i]);
    if (errors[i] == ENOENT)
      reason +=
          " (does this kernel have nf_tables and the xtables NFQUEUE target? see `faultline "
          "doctor`)";
    if (errors[i] == EPERM) reason += " (needs CAP_NET_ADMIN: run faultline as root)";
  }
  throw KernelError("nftables in " + where, reason, errors.front());
}

namespace {

// One nfnetlink transaction: messages between a batch begin and end.
class Batch {
 public:
  explicit Batch(std::size_t capacity)
      : buffer_(capacity),
        batch_(mnl_nlmsg_batch_start(buffer_.data(), buffer_.size()), mnl_nlmsg_batch_stop) {
    nftnl_batch_begin(current(), seq_++);
    mnl_nlmsg_batch_next(batch_.get());
  }
  char* current() { return static_cast<char*>(mnl_nlmsg_batch_current(batch_.get())); }
  std::uint32_t seq() { return seq_++; }
  void next() {
    mnl_nlmsg_batch_next(batch_.get());
    ++messages_;
  }
  void send(NfnetlinkSocket& socket, const std::string& where) {
    nftnl_batch_end(current(), seq_++);
    mnl_nlmsg_batch_next(batch_.get());
    socket.send_batch(where, mnl_nlmsg_batch_head(batch_.get()),
                      mnl_nlmsg_batch_size(batch_.get()), messages_);
  }

 private:
  std::vector<char> buffer_;
  std::unique_ptr<mnl_nlmsg_batch, void (*)(mnl_nlmsg_batch*)> batch_;
  std::uint32_t seq_ = 1;
  int messages_ = 0;
};

void add_table_and_chain(Batch& batch, int family) {
  nftnl_table* table = nftnl_table_alloc();
  nftnl_table_set_str(table, NFTNL_TABLE_NAME, kNftTable);
  nftnl_table_set_u32(table, NFTNL_TABLE_FAMILY, static_cast<std::uint32_t>(family));
  nlmsghdr* nlh = nftnl_table_nlmsg_build_hdr(batch.current(), NFT_MSG_NEWTABLE,
                                              static_cast<std::uint16_t>(family),
                                              NLM_F_CREATE | NLM_F_ACK, batch.seq());
  nftnl_table_nlmsg_build_payload(nlh, table);
  nftnl_table_free(table);
  batch.next();

  // chain egress { type filter hook postrouting priority 0; policy accept; }
  nftnl_chain* chain = nftnl_chain_alloc();
  nftnl_chain_set_str(chain, NFTNL_CHAIN_TABLE, kNftTable);
  nftnl_chain_set_str(chain, NFTNL_CHAIN_NAME, kChain);
  nftnl_chain_set_u32(chain, NFTNL_CHAIN_HOOKNUM, NF_INET_POST_ROUTING);
  nftnl_chain_set_s32(chain, NFTNL_CHAIN_PRIO, 0);
  nftnl_chain_set_str(chain, NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(chain, NFTNL_CHAIN_POLICY, NF_ACCEPT);
  nlh = nftnl_chain_nlmsg_build_hdr(batch.current(), NFT_MSG_NEWCHAIN,
                                    static_cast<std::uint16_t>(family), NLM_F_CREATE | NLM_F_ACK,
                                    batch.seq());
  nftnl_chain_nlmsg_build_payload(nlh, chain);
  nftnl_chain_free(chain);
  batch.next();
}

}  // namespace

namespace {

bool delete_queue_tables(NfnetlinkSocket& socket, const std::string& where) {
  bool existed = true;
  for (int family : {NFPROTO_IPV4, NFPROTO_IPV6}) {
    Batch batch(8192);
    nftnl_table* table = nftnl_table_alloc();
    nftnl_table_set_str(table, NFTNL_TABLE_NAME, kNftTable);
    nftnl_table_set_u32(table, NFTNL_TABLE_FAMILY, static_cast<std::uint32_t>(family));
    nlmsghdr* nlh =
        nftnl_table_nlmsg_build_hdr(batch.current(), NFT_MSG_DELTABLE,
                                    static_cast<std::uint16_t>(family), NLM_F_ACK, batch.seq());
    nftnl_table_nlmsg_build_payload(nlh, table);
    nftnl_table_free(table);
    batch.next();
    try {
      batch.send(socket, where);
    } catch (const KernelError& e) {
      if (e.error_code() != ENOENT) throw;  // ENOENT: there was no such table
      existed = false;
    }
  }
  return existed;
}

}  // namespace

bool delete_queue_tables(const NamespaceFd& ns, const std::string& where) {
  auto socket = NfnetlinkSocket::open_in(ns, where);
  return delete_queue_tables(socket, where);
}

QueueRuleTable::QueueRuleTable(const NamespaceFd& ns, std::string where)
    : ns_(ns), where_(std::move(where)) {}

QueueRuleTable::~QueueRuleTable() {
  if (!created_) return;
  try {
    delete_queue_tables(socket(), where_);
  } catch (const std::exception&) {
    // Deleting the namespace removes the tables anyway.
  }
}

std::uint16_t QueueRuleTable::allocate_queue() { return next_queue_++; }

NfnetlinkSocket& QueueRuleTable::socket() {
  if (!socket_) socket_ = NfnetlinkSocket::open_in(ns_, where_);
  return *socket_;
}

void QueueRuleTable::apply() {
  std::vector<QueueRule> all;
  for (const auto& [owner, rules] : rules_) all.insert(all.end(), rules.begin(), rules.end());
  // Each rule is a few hundred bytes.
  Batch batch(MNL_SOCKET_BUFFER_SIZE + all.size() * 1024 + 4096);
  if (!created_)
    for (int family : {NFPROTO_IPV4, NFPROTO_IPV6}) add_table_and_chain(batch, family);
  // Flush both chains, then add every rule: one transaction.
  for (int family : {NFPROTO_IPV4, NFPROTO_IPV6}) {
    nftnl_rule* flush = nftnl_rule_alloc();
    nftnl_rule_set_u32(flush, NFTNL_RULE_FAMILY, static_cast<std::uint32_t>(family));
    nftnl_rule_set_str(flush, NFTNL_RULE_TABLE, kNftTable);
    nftnl_rule_set_str(flush, NFTNL_RULE_CHAIN, kChain);
    nlmsghdr* nlh =
        nftnl_rule_nlmsg_build_hdr(batch.current(), NFT_MSG_DELRULE,
                                   static_cast<std::uint16_t>(family), NLM_F_ACK, batch.seq());
    nftnl_rule_nlmsg_build_payload(nlh, flush);
    nftnl_rule_free(flush);
    batch.next();
  }
  for (const auto& q : ordered_rules(all)) {
    nftnl_rule* r = build_rule(q);
    nlmsghdr* nlh = nftnl_rule_nlmsg_build_hdr(
        batch.current(), NFT_MSG_NEWRULE, q.match.family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4,
        NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, batch.seq());
    nftnl_rule_nlmsg_build_payload(nlh, r);
    nftnl_rule_free(r);
    batch.next();
  }
  try {
    batch.send(socket(), where_);
  } catch (...) {
    socket_.reset();  // it may hold the rest of a failed batch's answers
    throw;
  }
  created_ = true;
}

void QueueRuleTable::set(std::uint64_t owner, std::vector<QueueRule> rules) {
  auto it = rules_.find(owner);
  std::optional<std::vector<QueueRule>> previous;
  if (it != rules_.end()) previous = it->second;
  rules_[owner] = std::move(rules);
  try {
    apply();
  } catch (...) {
    if (previous)
      rules_[owner] = *previous;
    else
      rules_.erase(owner);
    throw;
  }
}

std::optional<std::string> QueueRuleTable::remove(std::uint64_t owner) noexcept {
  if (rules_.erase(owner) == 0) return std::nullopt;
  try {
    apply();
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

}  // namespace faultline::injector
