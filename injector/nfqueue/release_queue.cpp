#include "injector/nfqueue/release_queue.hpp"

#include <algorithm>

namespace faultline::injector {

bool ReleaseQueue::hold(std::uint32_t id, Clock::duration hold) {
  if (ids_.size() >= capacity_) return false;
  heap_.push({clock_.now() + hold, id});
  ids_.insert(id);
  return true;
}

ReleaseQueue::Release ReleaseQueue::take_due() { return take(clock_.now()); }

ReleaseQueue::Release ReleaseQueue::take_all() { return take(std::nullopt); }

std::optional<Clock::time_point> ReleaseQueue::next_due() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.top().due;
}

ReleaseQueue::Release ReleaseQueue::take(std::optional<Clock::time_point> by) {
  Release out;
  while (!heap_.empty() && (!by || heap_.top().due <= *by)) {
    out.ids.push_back(heap_.top().id);
    ids_.erase(heap_.top().id);
    heap_.pop();
  }
  if (out.ids.size() < 2) return out;  // one packet: a plain verdict says the same
  const auto [low_it, high_it] = std::minmax_element(out.ids.begin(), out.ids.end());
  const std::uint32_t high = *high_it;
  std::uint32_t lowest = *low_it, highest = high;
  if (!ids_.empty()) {
    lowest = std::min(lowest, *ids_.begin());
    highest = std::max(highest, *ids_.rbegin());
  }
  // The kernel compares ids as serial numbers, (int)(entry->id - id) <= 0.
  // Numeric order (ours, and std::set's) agrees with that only while every id
  // in play lies within half the 32-bit space: not across a wrap.
  const bool no_wrap = highest - lowest < 0x80000000u;
  const bool none_older_held = ids_.empty() || *ids_.begin() > high;
  if (no_wrap && none_older_held) out.batch_up_to = high;
  return out;
}

}  // namespace faultline::injector
