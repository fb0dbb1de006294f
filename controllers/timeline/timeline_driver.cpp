#include "controllers/timeline/timeline_driver.hpp"

#include <algorithm>

namespace faultline {

bool TimelineDriver::run(Clock::time_point origin, Duration end, const EventHandler& on_event,
                         const TickHandler& on_tick) {
  Clock::time_point next_tick = origin;
  const Clock::time_point finish = origin + end;
  for (;;) {
    const auto now = clock_.now();
    for (const auto& event :
         timeline_.due(std::chrono::duration_cast<Duration>(now - origin + pace_.lead)))
      on_event(event, origin + event.at);
    const auto after = clock_.now();
    if (after >= next_tick) {
      if (on_tick && !on_tick()) return false;
      next_tick = after + pace_.tick;
    }
    const auto next = timeline_.next();
    const bool events_left = next && *next <= end;
    if (after >= finish && !events_left) return true;
    Clock::time_point wake = std::min(next_tick, finish);
    if (events_left) wake = std::min(wake, origin + *next - pace_.lead);
    clock_.sleep_until(wake);
  }
}

}  // namespace faultline
