#include "controllers/timeline/timeline.hpp"

#include <algorithm>

#include "controllers/faults/fault_registry.hpp"

namespace faultline {

Timeline::Timeline(const std::vector<FaultSpec>& faults, Duration end) {
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const FaultSpec& f = faults[i];
    events_.push_back({f.at, FaultAction::start, i});
    // A fault that does not last (a restart) is over once applied: no stop.
    if (fault_lasts(f)) events_.push_back({std::min(f.at + f.length, end), FaultAction::stop, i});
  }
  // At equal times a stop goes first, so a fault that ends when another begins
  // never overlaps it; then by fault order, so the schedule is deterministic.
  std::stable_sort(events_.begin(), events_.end(),
                   [](const TimelineEvent& a, const TimelineEvent& b) {
                     if (a.at != b.at) return a.at < b.at;
                     if (a.action != b.action) return a.action == FaultAction::stop;
                     return a.fault < b.fault;
                   });
}

std::vector<TimelineEvent> Timeline::due(Duration now) {
  std::vector<TimelineEvent> ready;
  while (cursor_ < events_.size() && events_[cursor_].at <= now)
    ready.push_back(events_[cursor_++]);
  return ready;
}

std::optional<Duration> Timeline::next() const {
  if (cursor_ >= events_.size()) return std::nullopt;
  return events_[cursor_].at;
}

}  // namespace faultline
