#pragma once
// When each fault starts and stops, as a pure schedule. The runner asks which
// events are due at "now"; tests drive "now" by hand, so a 60-second timeline
// is checked in microseconds.
#include <cstddef>
#include <optional>
#include <vector>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

enum class FaultAction { start, stop };

struct TimelineEvent {
  Duration at{0};
  FaultAction action = FaultAction::start;
  std::size_t fault = 0;  // index into the experiment's faults

  friend bool operator==(const TimelineEvent&, const TimelineEvent&) = default;
};

class Timeline {
 public:
  // Faults that would stop after `end` are stopped at `end` (the heal).
  Timeline(const std::vector<FaultSpec>& faults, Duration end);

  // Events due at or before `now`, in order, each returned once.
  std::vector<TimelineEvent> due(Duration now);
  // When the next event is due, if any remains.
  std::optional<Duration> next() const;
  const std::vector<TimelineEvent>& events() const { return events_; }

 private:
  std::vector<TimelineEvent> events_;  // sorted: time, then stops before starts
  std::size_t cursor_ = 0;
};

}  // namespace faultline
