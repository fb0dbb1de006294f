#include "controllers/checkers/session_guarantees.hpp"

#include <unordered_map>

#include "controllers/checkers/writes.hpp"

namespace faultline {

namespace {

constexpr std::size_t kMaxWitnessViolations = 3;

bool is_session_read(const CompactHistory& h, const CompactOp& op) {
  return op.f == h.f_read && op.type == OpType::ok && !op.nemesis() && op.is_kv();
}

// The invocation of a completion: the latest invoke of its process before it.
// Only witnesses need it, so it is searched for, not indexed.
std::optional<Operation> invoke_of(const CompactHistory& h, const CompactOp& done) {
  for (auto i = static_cast<std::ptrdiff_t>(h.index_of(done)) - 1; i >= 0; --i) {
    const CompactOp& op = h[static_cast<std::size_t>(i)];
    if (op.process == done.process && op.type == OpType::invoke) return h.operation(op);
  }
  return std::nullopt;
}

// Whether the value `read` holds is certainly older than write `w`.
bool older_than(const CompactHistory& h, const WriteIndex& index, const CompactOp& read,
                const Write& w) {
  if (h.same_value(read, *w.invoke)) return false;
  const Write* writer = index.writer_of(read);
  if (writer == nullptr) return true;  // nothing, or a value nobody wrote
  return writer->completed_at() < w.invoke->time;
}

// Both guarantees end alike: violated if any checked read broke it, unknown
// if no read could be checked, else holds.
void conclude(CheckResult& result, const char* counted, std::size_t checked,
              std::size_t violations, const std::string& broke, const std::string& nothing,
              const std::string& kept) {
  result.details = {{counted, checked}, {"violations", violations}};
  result.judged = checked;
  if (violations > 0) {
    result.validity = Validity::violated;
    result.summary = std::to_string(violations) + " of " + std::to_string(checked) + " " + broke;
  } else if (checked == 0) {
    result.summary = nothing;
  } else {
    result.validity = Validity::holds;
    result.summary = "all " + std::to_string(checked) + " " + kept;
  }
}

using SessionKey = std::pair<std::int64_t, std::uint32_t>;
struct SessionKeyHash {
  std::size_t operator()(const SessionKey& k) const {
    return std::hash<std::int64_t>()(k.first) * 0x9e3779b97f4a7c15ull ^ k.second;
  }
};

}  // namespace

CheckResult check_read_your_writes(const CompactHistory& h) {
  CheckResult result;
  result.invariant = "read-your-writes";
  const WriteIndex index(h);
  std::unordered_map<SessionKey, const Write*, SessionKeyHash> last_write;
  // Completion -> its write, by position in the history.
  std::unordered_map<std::size_t, const Write*> write_of_completion;
  for (const auto& w : index.writes())
    if (w.acknowledged()) write_of_completion[h.index_of(*w.completion)] = &w;

  std::size_t checked = 0, violations = 0;
  SeriesBuilder broken("reads that missed the session's own write, per client region",
                       "violations", history_end_ns(h));
  for (const auto& op : h.ops()) {
    if (op.f == h.f_write && op.type == OpType::ok) {
      if (auto it = write_of_completion.find(h.index_of(op)); it != write_of_completion.end())
        last_write[{session_of(op), op.key}] = it->second;
      continue;
    }
    if (!is_session_read(h, op)) continue;
    auto w = last_write.find({session_of(op), op.key});
    if (w == last_write.end()) continue;
    ++checked;
    if (!older_than(h, index, op, *w->second)) continue;
    broken.add(h.name(op.region), op.time);
    if (violations == 0) broken.mark(op.time, "first read that missed its session's write");
    if (violations++ < kMaxWitnessViolations) {
      result.witness.push_back(h.operation(*w->second->invoke));
      result.witness.push_back(h.operation(*w->second->completion));
      if (auto inv = invoke_of(h, op)) result.witness.push_back(*inv);
      result.witness.push_back(h.operation(op));
    }
  }
  result.series.push_back(broken.build());
  result.judged_what = "reads after the session's own write";
  conclude(result, "reads_after_own_write", checked, violations,
           "reads after the session's own write returned an older value",
           "no session read a key after writing it: nothing to judge",
           "reads after the session's own write saw it");
  return result;
}

CheckResult check_monotonic_reads(const CompactHistory& h) {
  CheckResult result;
  result.invariant = "monotonic-reads";
  const WriteIndex index(h);
  std::unordered_map<SessionKey, const CompactOp*, SessionKeyHash> last_read;
  std::size_t checked = 0, violations = 0;
  SeriesBuilder broken("reads that went back to an older value, per client region", "violations",
                       history_end_ns(h));
  for (const auto& op : h.ops()) {
    if (!is_session_read(h, op)) continue;
    auto& previous = last_read[{session_of(op), op.key}];
    // Only a read after one that returned a value can go back in time: reads
    // of a key that stayed empty (every write refused) judge nothing.
    if (previous != nullptr && previous->value_kind != ValueKind::null) {
      ++checked;
      bool backwards = false;
      if (!h.same_value(*previous, op)) {
        const Write* earlier = index.writer_of(*previous);
        backwards = op.value_kind == ValueKind::null ||
                    (earlier != nullptr && older_than(h, index, op, *earlier));
      }
      if (backwards) {
        broken.add(h.name(op.region), op.time);
        if (violations == 0) broken.mark(op.time, "first read that went back");
        if (violations++ < kMaxWitnessViolations) {
          result.witness.push_back(h.operation(*previous));
          if (auto inv = invoke_of(h, op)) result.witness.push_back(*inv);
          result.witness.push_back(h.operation(op));
        }
        continue;  // keep the newer value as the reference
      }
    }
    previous = &op;
  }
  result.series.push_back(broken.build());
  result.judged_what = "reads after a read that returned a value";
  conclude(result, "successive_reads", checked, violations,
           "successive reads in a session went back to an older value",
           "no session read a key again after reading a value of it: nothing to judge",
           "successive reads in a session moved forward");
  return result;
}

CheckResult check_read_your_writes(const std::vector<Operation>& history) {
  return check_read_your_writes(CompactHistory::from(history));
}

CheckResult check_monotonic_reads(const std::vector<Operation>& history) {
  return check_monotonic_reads(CompactHistory::from(history));
}

}  // namespace faultline
