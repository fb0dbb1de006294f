#pragma once
// The writes of a history, each paired with its completion, and who could
// have written each (key, value): values are unique per run, so a value read
// names its writer. Shared by the checkers that ask "is this value older
// than that write?": a value is certainly older than write W when its writer
// completed before W was invoked.
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controllers/history/compact_history.hpp"

namespace faultline {

struct Write {
  const CompactOp* invoke = nullptr;
  const CompactOp* completion = nullptr;  // null: never completed
  bool acknowledged() const { return completion != nullptr && completion->type == OpType::ok; }
  // When it certainly took effect, if it did: its ok completion; never otherwise.
  std::int64_t completed_at() const {
    return acknowledged() ? completion->time : std::numeric_limits<std::int64_t>::max();
  }
  std::uint32_t key() const { return invoke->key; }
};

class WriteIndex {
 public:
  explicit WriteIndex(const CompactHistory& history);
  const std::vector<Write>& writes() const { return writes_; }
  // The write that may have produced the value `read` holds for its key
  // (failed writes excluded), or null: no write did, or the value is null.
  const Write* writer_of(const CompactOp& read) const;
  std::size_t position(const Write* w) const { return static_cast<std::size_t>(w - writes_.data()); }

 private:
  struct PairHash {
    std::size_t operator()(const std::pair<std::uint32_t, std::int64_t>& p) const {
      return std::hash<std::int64_t>()(p.second) * 0x9e3779b97f4a7c15ull ^ p.first;
    }
  };
  const CompactHistory& history_;
  std::vector<Write> writes_;
  std::unordered_map<std::pair<std::uint32_t, std::int64_t>, std::size_t, PairHash> by_number_;
  std::unordered_map<std::string, std::size_t> by_text_;  // key symbol + value JSON, for others
};

// The session of an operation (its process when it has none), as checkers use.
inline std::int64_t session_of(const CompactOp& op) { return op.session_or_process(); }
// "eu-west-1-c0/k1" -> "eu-west-1-c0"; "" for a global key.
std::string customer_of(const std::string& key);

}  // namespace faultline
