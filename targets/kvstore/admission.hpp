#pragma once
// A region's real capacity: at most `capacity` requests run at once; up to
// `queue` more wait, each at most `queue_wait`; the rest are shed at once.
// Overload is then measurable (queueing shows as latency, shedding as 503s)
// instead of every request slowing down together. The decisions are
// resilience.hpp's admit(); this is the gate the request threads pass. A
// request's service time is spent in its slot, so `capacity` requests at
// once, each `service_time` long, is the most the region serves a second.
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <utility>

#include "targets/kvstore/resilience.hpp"

namespace faultline::kvstore {

class Admission {
 public:
  explicit Admission(AdmissionPolicy policy) : policy_(policy) {}

  // Held while a request runs; its destructor frees the slot.
  class Slot {
   public:
    explicit Slot(Admission* gate) : gate_(gate) {}
    Slot(Slot&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (gate_) gate_->release();
    }
    // The request's own work: holds the slot for the policy's service time.
    void work() const;

   private:
    Admission* gate_;
  };

  // A slot, after waiting in the queue if need be; nullopt: shed.
  std::optional<Slot> enter();
  std::size_t shed() const;  // requests shed so far

 private:
  void release();

  const AdmissionPolicy policy_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t active_ = 0, queued_ = 0, shed_ = 0;
};

}  // namespace faultline::kvstore
