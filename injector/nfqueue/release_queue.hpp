#pragma once
// When the NFQUEUE engine lets held packets go: the pure part of the engine,
// with no socket and no timer, so it is tested with a ManualClock, without
// root and without sleeping.
//
// A packet the delay model holds waits here under its kernel packet id until
// now + hold, now read from the Clock the queue was given (the engine gives
// the monotonic one, whose time line is CLOCK_MONOTONIC's, the timerfd's).
// take_due() hands out everything due by now, in due order, and says whether
// one batch verdict may cover it: NFQNL_MSG_VERDICT_BATCH applies its verdict
// to every packet still queued with an id up to the one given
// (nfqnl_recv_verdict_batch() in net/netfilter/nfnetlink_queue.c), so it is
// right only when no packet still held here has a smaller id.
//
// Not thread-safe: the engine calls it under its own mutex.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <set>
#include <vector>

#include "common/clock.hpp"

namespace faultline::injector {

class ReleaseQueue {
 public:
  // At most `capacity` packets wait at once.
  ReleaseQueue(Clock& clock, std::size_t capacity) : clock_(clock), capacity_(capacity) {}

  // Holds packet `id` until clock.now() + `hold`. Returns false, holding
  // nothing, when `capacity` packets already wait: the caller drops the
  // packet, as a full netem queue does.
  bool hold(std::uint32_t id, Clock::duration hold);

  struct Release {
    std::vector<std::uint32_t> ids;  // in due order (ties: lower id first)
    // Set when one batch verdict up to this id covers exactly `ids`; unset,
    // one verdict per id.
    std::optional<std::uint32_t> batch_up_to;
    bool empty() const { return ids.empty(); }
  };
  // Every packet due by clock.now().
  Release take_due();
  // Every packet still held, due or not (the engine is going away).
  Release take_all();

  // When the earliest held packet is due; nothing when none is held.
  std::optional<Clock::time_point> next_due() const;
  std::size_t size() const { return ids_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  Release take(std::optional<Clock::time_point> by);

  struct Held {
    Clock::time_point due;
    std::uint32_t id;
    bool operator>(const Held& o) const { return due != o.due ? due > o.due : id > o.id; }
  };
  Clock& clock_;
  std::size_t capacity_;
  std::priority_queue<Held, std::vector<Held>, std::greater<>> heap_;
  // The ids held, ordered, for the batch test. Kernel ids count up per queue
  // from 1; after 2^32 packets they wrap, and while held ids straddle the
  // wrap no batch is used (see take()).
  std::set<std::uint32_t> ids_;
};

}  // namespace faultline::injector
