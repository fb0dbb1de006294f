#include "injector/nfqueue/nfqueue_engine.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "common/clock.hpp"
#include "injector/file_descriptor.hpp"
#include "injector/kernel_error.hpp"
#include "injector/nfqueue/release_queue.hpp"

namespace faultline::injector {

namespace {

// libnetfilter_queue's handles as owners. nfq_destroy_queue() unbinds the
// queue (NFQNL_CFG_CMD_UNBIND) through the handle's socket, so a queue must
// go before its handle: State declares them in that order.
struct CloseHandle {
  void operator()(nfq_handle* h) const noexcept { nfq_close(h); }
};
struct DestroyQueue {
  void operator()(nfq_q_handle* q) const noexcept { nfq_destroy_queue(q); }
};
using NfqHandle = std::unique_ptr<nfq_handle, CloseHandle>;
using NfqQueue = std::unique_ptr<nfq_q_handle, DestroyQueue>;

}  // namespace

struct NfqueueEngine::State {
  State(const NetemSpec& spec, std::uint64_t seed, std::size_t max_held)
      : model(spec, seed), releases(MonotonicClock::instance(), max_held) {}
  DelayModel model;
  // In the order the constructor acquires them; destroyed in reverse.
  NfqHandle handle;
  NfqQueue queue;
  FileDescriptor wakeup;  // eventfd: the destructor's "stop"
  FileDescriptor timer;   // timerfd on CLOCK_MONOTONIC: the next due release
  std::atomic<bool> stopping{false};

  mutable std::mutex mutex;  // releases and stats: the thread's, and stats()
  ReleaseQueue releases;
  QueueStats stats;

  void verdict(std::uint32_t id, std::uint32_t what) {
    nfq_set_verdict(queue.get(), id, what, 0, nullptr);
  }

  // Accepts the packets `release` names: one batch verdict when it allows.
  void accept(const ReleaseQueue::Release& release) {
    if (release.empty()) return;
    if (release.batch_up_to) {
      nfq_set_verdict_batch(queue.get(), *release.batch_up_to, NF_ACCEPT);
      ++stats.batch_verdicts;
    } else {
      for (auto id : release.ids) verdict(id, NF_ACCEPT);
    }
    stats.released += release.ids.size();
  }

  // Arms the timer for the next due packet (disarms it when none is held).
  // Returns poll's timeout: -1 while the timer works; when timerfd_settime
  // fails, the milliseconds to the next due packet, rounded up.
  int arm_timer() {
    const auto next = releases.next_due();
    // MonotonicClock is std::chrono::steady_clock, CLOCK_MONOTONIC in
    // libstdc++: the time line of the timerfd.
    const int err = next ? arm_timer_at(timer, next->time_since_epoch()) : disarm_timer(timer);
    if (err == 0 || !next) return -1;
    ++stats.timer_failures;
    const auto left = *next - MonotonicClock::instance().now();
    return static_cast<int>(
        std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
  }

  static int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* self) {
    auto* s = static_cast<State*>(self);
    auto* header = nfq_get_msg_packet_hdr(data);
    if (header == nullptr) return 0;
    const std::uint32_t id = ntohl(header->packet_id);
    const auto fate = s->model.next();
    std::lock_guard lock(s->mutex);
    ++s->stats.received;
    if (fate.drop) {
      ++s->stats.dropped_by_fault;
      s->verdict(id, NF_DROP);
    } else if (fate.hold.count() == 0) {
      ++s->stats.released;
      s->verdict(id, NF_ACCEPT);
    } else if (!s->releases.hold(id, fate.hold)) {
      ++s->stats.dropped_overflow;
      s->verdict(id, NF_DROP);
    }
    return 0;
  }
};

NfqueueEngine::NfqueueEngine(const NamespaceFd& ns, std::string where, std::uint16_t queue,
                             const NetemSpec& spec, std::uint64_t seed, std::size_t max_held)
    : ns_(ns),
      where_(std::move(where)),
      queue_(queue),
      state_(std::make_unique<State>(spec, seed, max_held)) {
  // From here on every step may throw; what earlier steps acquired is owned
  // by *state_ and released by its destructor.
  const std::string what = "nfqueue " + std::to_string(queue) + " in " + where_;
  State& s = *state_;
  int open_error = 0;
  {
    NetnsEntry inside(ns);  // the netlink socket belongs to the namespace it is made in
    s.handle.reset(nfq_open());
    open_error = errno;  // before leaving the namespace: setns(2) may set errno
  }
  if (!s.handle) throw_errno(what + ": open", open_error);
  errno = 0;
  s.queue.reset(nfq_create_queue(s.handle.get(), queue, &State::on_packet, state_.get()));
  if (!s.queue) {
    // nfqnl_recv_config() (net/netfilter/nfnetlink_queue.c) answers EPERM
    // when another socket has the queue bound, EBUSY when this one has.
    // EPERM also means no CAP_NET_ADMIN, so the message names both.
    const int err = errno ? errno : EBUSY;
    if (err == EPERM)
      throw KernelError(what + ": bind",
                        "another socket serves this queue, or CAP_NET_ADMIN is missing "
                        "(run faultline as root)",
                        err);
    throw_errno(what + ": bind (is another program serving this queue?)", err);
  }
  if (nfq_set_mode(s.queue.get(), NFQNL_COPY_META, 0) < 0)
    throw_errno(what + ": set copy mode", errno);
  if (nfq_set_queue_maxlen(s.queue.get(), static_cast<std::uint32_t>(max_held)) < 0)
    throw_errno(what + ": set queue length", errno);
  // A bigger receive buffer only makes ENOBUFS (counted by the kernel as
  // dropped) rarer; the size is a wish the kernel caps, so it is not checked.
  nfnl_rcvbufsiz(nfq_nfnlh(s.handle.get()), 16 * 1024 * 1024);
  const int fd = nfq_fd(s.handle.get());
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    throw_errno(what + ": make the queue socket non-blocking", errno);
  s.wakeup = FileDescriptor::eventfd(EFD_CLOEXEC | EFD_NONBLOCK, what.c_str());
  s.timer = FileDescriptor::timerfd(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK, what.c_str());
  // Checked once here, where it can still throw: the thread cannot.
  if (int err = disarm_timer(s.timer); err != 0) throw_errno(what + ": timerfd_settime", err);
  thread_ = std::thread([this] { run(); });  // last: nothing after it can throw
}

NfqueueEngine::~NfqueueEngine() {
  state_->stopping = true;
  std::uint64_t one = 1;
  ssize_t ignored = ::write(state_->wakeup.get(), &one, sizeof one);
  (void)ignored;
  thread_.join();
  // *state_ goes now: the queue is unbound, then its handle closed, then the
  // eventfd and timerfd.
}

void NfqueueEngine::run() {
  State& s = *state_;
  const int fd = nfq_fd(s.handle.get());
  std::vector<char> buf(256 * 1024);
  int timeout = -1;
  while (!s.stopping) {
    pollfd fds[3] = {{fd, POLLIN, 0}, {s.timer.get(), POLLIN, 0}, {s.wakeup.get(), POLLIN, 0}};
    if (::poll(fds, 3, timeout) < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) {
      std::uint64_t expirations;
      ssize_t ignored = ::read(s.timer.get(), &expirations, sizeof expirations);
      (void)ignored;
    }
    for (int i = 0; i < 256; ++i) {  // drain, but let due releases interleave
      ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n < 0) break;  // EAGAIN, or ENOBUFS: the kernel counts what it dropped
      nfq_handle_packet(s.handle.get(), buf.data(), static_cast<int>(n));
    }
    std::lock_guard lock(s.mutex);
    s.accept(s.releases.take_due());
    timeout = s.arm_timer();
  }
  std::lock_guard lock(s.mutex);
  s.accept(s.releases.take_all());
}

QueueStats NfqueueEngine::stats() const {
  QueueStats copy;
  {
    std::lock_guard lock(state_->mutex);
    copy = state_->stats;
    copy.held = state_->releases.size();
  }
  // /proc/net/netfilter/nfnetlink_queue, per namespace: queue_number
  // peer_portid queue_total copy_mode copy_range queue_dropped user_dropped ...
  try {
    NetnsEntry inside(ns_);
    std::ifstream in("/proc/net/netfilter/nfnetlink_queue");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      unsigned number, portid, total, mode, range;
      std::uint64_t dropped, user_dropped;
      if (words >> number >> portid >> total >> mode >> range >> dropped >> user_dropped &&
          number == queue_)
        copy.kernel_dropped = dropped + user_dropped;
    }
  } catch (const std::exception&) {
  }
  return copy;
}

}  // namespace faultline::injector
