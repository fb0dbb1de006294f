#pragma once
// The NFQUEUE delay engine: serves one netfilter queue in one namespace. Each
// packet the queue's rules steer here gets its fate from a DelayModel: a drop
// verdict at once, or held in a timer heap and accepted when due. Verdicts for
// runs of packets that come due in order go out as one batch verdict.
//
// Only packet metadata is copied to user space (NFQNL_COPY_META). Held packets
// are bounded; past the bound a packet is dropped and counted, as a full netem
// queue drops. Destroying the engine accepts everything still held.
//
// What is released when is ReleaseQueue's decision (release_queue.hpp), read
// from the monotonic clock; the engine's thread sleeps in poll(2) until a
// packet arrives or a timerfd on CLOCK_MONOTONIC fires at the next due time.
//
// The constructor acquires the queue binding, its socket, an eventfd and a
// timerfd, then starts the thread; each is an owning member, so a step that
// throws leaves nothing behind, and every failure is a KernelError with errno.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "injector/network_namespace.hpp"
#include "injector/nfqueue/delay_model.hpp"

struct nfq_handle;
struct nfq_q_handle;

namespace faultline::injector {

struct QueueStats {
  std::uint64_t received = 0;
  std::uint64_t dropped_by_fault = 0;  // the model said drop (loss)
  std::uint64_t dropped_overflow = 0;  // more than max_held were waiting
  std::uint64_t released = 0;          // accepted after their hold
  std::uint64_t held = 0;              // waiting now
  std::uint64_t batch_verdicts = 0;    // verdict messages that covered several packets
  std::uint64_t kernel_dropped = 0;    // the kernel's own count: queue full or no reader
  // timerfd_settime(2) failed this often; the engine then wakes by poll's
  // timeout instead (millisecond steps), so held packets still go, late.
  std::uint64_t timer_failures = 0;
};

class NfqueueEngine {
 public:
  NfqueueEngine(const NamespaceFd& ns, std::string where, std::uint16_t queue,
                const NetemSpec& spec, std::uint64_t seed, std::size_t max_held = 200000);
  ~NfqueueEngine();
  NfqueueEngine(const NfqueueEngine&) = delete;
  NfqueueEngine& operator=(const NfqueueEngine&) = delete;

  QueueStats stats() const;
  std::uint16_t queue() const { return queue_; }

  struct State;  // shared with the packet callback

 private:
  void run();

  const NamespaceFd& ns_;
  std::string where_;
  std::uint16_t queue_;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace faultline::injector
