#include "controllers/checkers/session_guarantees.hpp"

#include <map>
#include <unordered_map>

#include "controllers/checkers/writes.hpp"
#include "controllers/experiment/parse.hpp"

namespace faultline {

namespace {

constexpr std::size_t kMaxWitnessViolations = 3;

bool is_session_read(const Operation& op) {
  return op.f == "read" && op.type == OpType::ok && op.process != kNemesisProcess &&
         is_kv_value(op.value);
}

// The invocation of a completion: the latest invoke of its process before it.
// Only witnesses need it, so it is searched for, not indexed.
const Operation* invoke_of(const std::vector<Operation>& history, const Operation& done) {
  for (auto i = static_cast<std::ptrdiff_t>(&done - history.data()) - 1; i >= 0; --i) {
    const Operation& op = history[static_cast<std::size_t>(i)];
    if (op.process == done.process && op.type == OpType::invoke) return &op;
  }
  return nullptr;
}

// (session, key), the key viewed in place in the history.
using SessionKey = std::pair<std::int64_t, std::string_view>;
struct SessionKeyHash {
  std::size_t operator()(const SessionKey& k) const {
    return std::hash<std::string_view>()(k.second) ^
           (std::hash<std::int64_t>()(k.first) * 0x9e3779b97f4a7c15ull);
  }
};
SessionKey session_key(std::int64_t session, const std::string& key) { return {session, key}; }

// Whether `value` (read for `key`) is certainly older than write `w`.
bool older_than(const WriteIndex& index, const std::string& key, const nlohmann::json& value,
                const Write& w) {
  if (value == w.value()) return false;
  const Write* writer = index.writer_of(key, value);
  if (writer == nullptr) return true;  // nothing, or a value nobody wrote
  return writer->completed_at() < w.invoke->time;
}

}  // namespace

CheckResult check_read_your_writes(const std::vector<Operation>& history) {
  CheckResult result;
  result.invariant = "read-your-writes";
  const WriteIndex index(history);
  std::unordered_map<SessionKey, const Write*, SessionKeyHash> last_write;
  std::unordered_map<const Operation*, const Write*> write_of_completion;
  for (const auto& w : index.writes())
    if (w.acknowledged()) write_of_completion[w.completion] = &w;

  std::size_t checked = 0, violations = 0;
  for (const auto& op : history) {
    if (auto it = write_of_completion.find(&op); it != write_of_completion.end()) {
      last_write[session_key(session_of(op), it->second->key())] = it->second;
      continue;
    }
    if (!is_session_read(op)) continue;
    const std::string& key = op.value[0].get_ref<const std::string&>();
    auto w = last_write.find(session_key(session_of(op), key));
    if (w == last_write.end()) continue;
    ++checked;
    if (!older_than(index, key, op.value[1], *w->second)) continue;
    if (violations++ < kMaxWitnessViolations) {
      result.witness.push_back(*w->second->invoke);
      result.witness.push_back(*w->second->completion);
      if (const Operation* inv = invoke_of(history, op)) result.witness.push_back(*inv);
      result.witness.push_back(op);
    }
  }
  result.details = {{"reads_after_own_write", checked}, {"violations", violations}};
  if (violations > 0) {
    result.validity = Validity::violated;
    result.summary = std::to_string(violations) + " of " + std::to_string(checked) +
                     " reads after the session's own write returned an older value";
  } else if (checked == 0) {
    result.summary = "no session read a key after writing it: nothing to judge";
  } else {
    result.validity = Validity::holds;
    result.summary = "all " + std::to_string(checked) + " reads after the session's own write saw it";
  }
  return result;
}

CheckResult check_monotonic_reads(const std::vector<Operation>& history) {
  CheckResult result;
  result.invariant = "monotonic-reads";
  const WriteIndex index(history);
  std::unordered_map<SessionKey, const Operation*, SessionKeyHash> last_read;
  std::size_t checked = 0, violations = 0;
  for (const auto& op : history) {
    if (!is_session_read(op)) continue;
    const std::string& key = op.value[0].get_ref<const std::string&>();
    auto& previous = last_read[session_key(session_of(op), key)];
    if (previous != nullptr) {
      ++checked;
      const nlohmann::json& before = previous->value[1];
      const nlohmann::json& now = op.value[1];
      bool backwards = false;
      if (!before.is_null() && now != before) {
        const Write* earlier = index.writer_of(key, before);
        backwards = now.is_null() || (earlier != nullptr && older_than(index, key, now, *earlier));
      }
      if (backwards) {
        if (violations++ < kMaxWitnessViolations) {
          result.witness.push_back(*previous);
          if (const Operation* inv = invoke_of(history, op)) result.witness.push_back(*inv);
          result.witness.push_back(op);
        }
        continue;  // keep the newer value as the reference
      }
    }
    previous = &op;
  }
  result.details = {{"successive_reads", checked}, {"violations", violations}};
  if (violations > 0) {
    result.validity = Validity::violated;
    result.summary = std::to_string(violations) + " of " + std::to_string(checked) +
                     " successive reads in a session went back to an older value";
  } else if (checked == 0) {
    result.summary = "no session read a key twice: nothing to judge";
  } else {
    result.validity = Validity::holds;
    result.summary = "all " + std::to_string(checked) + " successive reads in a session moved forward";
  }
  return result;
}

}  // namespace faultline
