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

#include <cerrno>
#include <fstream>
#include <mutex>
#include <queue>
#include <set>
#include <sstream>
#include <vector>

#include "injector/kernel_error.hpp"

namespace faultline::injector {

using Clock = std::chrono::steady_clock;

struct NfqueueEngine::State {
  State(const NetemSpec& spec, std::uint64_t seed, std::size_t max)
      : model(spec, seed), max_held(max) {}
  DelayModel model;
  std::size_t max_held;
  nfq_handle* handle = nullptr;
  nfq_q_handle* queue = nullptr;
  int event_fd = -1;
  int timer_fd = -1;
  std::atomic<bool> stopping{false};

  struct Held {
    Clock::time_point due;
    std::uint32_t id;
    bool operator>(const Held& o) const { return due != o.due ? due > o.due : id > o.id; }
  };
  std::priority_queue<Held, std::vector<Held>, std::greater<>> heap;
  std::set<std::uint32_t> held_ids;

  mutable std::mutex stats_mutex;
  QueueStats stats;

  void verdict(std::uint32_t id, std::uint32_t what) {
    nfq_set_verdict(queue, id, what, 0, nullptr);
  }

  // Accepts every held packet due by `now` (all of them when `everything`).
  void release(Clock::time_point now, bool everything) {
    std::lock_guard lock(stats_mutex);
    std::vector<std::uint32_t> due;
    while (!heap.empty() && (everything || heap.top().due <= now)) {
      due.push_back(heap.top().id);
      held_ids.erase(heap.top().id);
      heap.pop();
    }
    if (due.empty()) return;
    std::uint32_t max_id = 0;
    for (auto id : due) max_id = std::max(max_id, id);
    // A batch verdict covers every queued packet up to max_id, so it may be
    // used only if none of the packets still held has a smaller id.
    const bool contiguous = held_ids.empty() || *held_ids.begin() > max_id;
    if (contiguous && due.size() > 1) {
      nfq_set_verdict_batch(queue, max_id, NF_ACCEPT);
      ++stats.batch_verdicts;
    } else {
      for (auto id : due) verdict(id, NF_ACCEPT);
    }
    stats.released += due.size();
  }

  void arm_timer() {
    itimerspec spec{};
    if (!heap.empty()) {
      auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(heap.top().due.time_since_epoch())
              .count();
      spec.it_value.tv_sec = ns / 1000000000;
      spec.it_value.tv_nsec = ns % 1000000000;
      if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    }
    timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  static int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* self) {
    auto* s = static_cast<State*>(self);
    auto* header = nfq_get_msg_packet_hdr(data);
    if (header == nullptr) return 0;
    const std::uint32_t id = ntohl(header->packet_id);
    const auto fate = s->model.next();
    std::lock_guard lock(s->stats_mutex);
    ++s->stats.received;
    if (fate.drop) {
      ++s->stats.dropped_by_fault;
      s->verdict(id, NF_DROP);
    } else if (fate.hold.count() == 0) {
      ++s->stats.released;
      s->verdict(id, NF_ACCEPT);
    } else if (s->heap.size() >= s->max_held) {
      ++s->stats.dropped_overflow;
      s->verdict(id, NF_DROP);
    } else {
      s->heap.push({Clock::now() + fate.hold, id});
      s->held_ids.insert(id);  // under stats_mutex, which stats() takes too
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
  const std::string what = "nfqueue " + std::to_string(queue) + " in " + where_;
  {
    NetnsEntry inside(ns);  // the netlink socket belongs to the namespace it is made in
    state_->handle = nfq_open();
  }
  if (state_->handle == nullptr) throw_errno(what + ": open", errno);
  state_->queue = nfq_create_queue(state_->handle, queue, &State::on_packet, state_.get());
  if (state_->queue == nullptr) {
    int err = errno;
    nfq_close(state_->handle);
    throw_errno(what + ": bind (is another program serving this queue?)", err ? err : EBUSY);
  }
  nfq_set_mode(state_->queue, NFQNL_COPY_META, 0);
  nfq_set_queue_maxlen(state_->queue, static_cast<std::uint32_t>(max_held));
  nfnl_rcvbufsiz(nfq_nfnlh(state_->handle), 16 * 1024 * 1024);
  state_->event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  state_->timer_fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
}

NfqueueEngine::~NfqueueEngine() {
  state_->stopping = true;
  std::uint64_t one = 1;
  ssize_t ignored = ::write(state_->event_fd, &one, sizeof one);
  (void)ignored;
  thread_.join();
  nfq_destroy_queue(state_->queue);
  nfq_close(state_->handle);
  ::close(state_->event_fd);
  ::close(state_->timer_fd);
}

void NfqueueEngine::run() {
  State& s = *state_;
  const int fd = nfq_fd(s.handle);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::vector<char> buf(256 * 1024);
  while (!s.stopping) {
    pollfd fds[3] = {{fd, POLLIN, 0}, {s.timer_fd, POLLIN, 0}, {s.event_fd, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) {
      std::uint64_t expirations;
      ssize_t ignored = ::read(s.timer_fd, &expirations, sizeof expirations);
      (void)ignored;
    }
    for (int i = 0; i < 256; ++i) {  // drain, but let due releases interleave
      ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n < 0) break;  // EAGAIN, or ENOBUFS: the kernel counts what it dropped
      nfq_handle_packet(s.handle, buf.data(), static_cast<int>(n));
    }
    s.release(Clock::now(), false);
    s.arm_timer();
  }
  s.release(Clock::now(), true);
}

QueueStats NfqueueEngine::stats() const {
  QueueStats copy;
  {
    std::lock_guard lock(state_->stats_mutex);
    copy = state_->stats;
    copy.held = state_->held_ids.size();
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
