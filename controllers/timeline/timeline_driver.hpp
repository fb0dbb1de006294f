#pragma once
// Runs a Timeline on a Clock: wakes a little before each event (the lead) so
// the fault can be prepared and its instant met by a precise wait rather
// than by a wakeup, and ticks at a steady pace in between (the live status
// line, Ctrl-C). Pure apart from the clock, so a test runs a 60-second
// schedule on a manual clock in microseconds.
#include <chrono>
#include <functional>

#include "common/clock.hpp"
#include "controllers/timeline/timeline.hpp"

namespace faultline {

class TimelineDriver {
 public:
  struct Pace {
    Duration lead{2};   // wake this long before an event is due
    Duration tick{50};  // between on_tick calls
  };
  // Hears each event with the instant it is due (origin + event.at), when
  // that instant is at most `lead` away.
  using EventHandler = std::function<void(const TimelineEvent&, Clock::time_point due)>;
  // Returns false to end the run early (an interrupt).
  using TickHandler = std::function<bool()>;

  TimelineDriver(Timeline& timeline, Clock& clock, Pace pace) : timeline_(timeline), clock_(clock), pace_(pace) {}
  TimelineDriver(Timeline& timeline, Clock& clock) : TimelineDriver(timeline, clock, Pace{}) {}

  // Returns at origin + end, once every event due by then has been handled,
  // or when on_tick returns false. What the handlers throw goes on.
  // Returns whether the run reached its end.
  bool run(Clock::time_point origin, Duration end, const EventHandler& on_event,
           const TickHandler& on_tick);

 private:
  Timeline& timeline_;
  Clock& clock_;
  Pace pace_;
};

}  // namespace faultline
