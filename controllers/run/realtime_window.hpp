#pragma once
// A stretch of the calling thread at real-time priority (SCHED_FIFO), undone
// when the object goes. The run holds one from just before a fault's due
// instant until its kernel change is made, so that on a busy machine the
// services, the workload and the probes cannot preempt the controller in the
// few hundred microseconds that decide when the fault lands. Without
// CAP_SYS_NICE the thread keeps its priority and nothing else changes.
// Processes started inside the window (a restarted service) do not inherit
// it (SCHED_RESET_ON_FORK).
#include <sched.h>

namespace faultline {

class RealtimeWindow {
 public:
  // Pid 0 in the sched_* calls is the calling thread.
  RealtimeWindow() {
    policy_ = sched_getscheduler(0);
    if (policy_ < 0 || sched_getparam(0, &saved_) != 0) return;
    sched_param rt{};
    rt.sched_priority = 20;
    raised_ = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt) == 0;
  }
  ~RealtimeWindow() {
    if (raised_) sched_setscheduler(0, policy_, &saved_);
  }
  RealtimeWindow(const RealtimeWindow&) = delete;
  RealtimeWindow& operator=(const RealtimeWindow&) = delete;

 private:
  int policy_ = SCHED_OTHER;
  sched_param saved_{};
  bool raised_ = false;
};

}  // namespace faultline
