#pragma once
// The writes of a history, each paired with its completion, and who could
// have written each (key, value): values are unique per run, so a value read
// names its writer. Shared by the checkers that ask "is this value older
// than that write?": a value is certainly older than write W when its writer
// completed before W was invoked.
#include <cstdint>
#include <map>
#include <unordered_map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controllers/history/history.hpp"

namespace faultline {

struct Write {
  const Operation* invoke = nullptr;
  const Operation* completion = nullptr;  // null: never completed
  bool acknowledged() const { return completion != nullptr && completion->type == OpType::ok; }
  // When it certainly took effect, if it did: its ok completion; never otherwise.
  std::int64_t completed_at() const;
  const std::string& key() const;
  const nlohmann::json& value() const;
};

class WriteIndex {
 public:
  explicit WriteIndex(const std::vector<Operation>& history);
  const std::vector<Write>& writes() const { return writes_; }
  // The write that may have produced `value` for `key` (failed writes
  // excluded), or null: no write did.
  const Write* writer_of(const std::string& key, const nlohmann::json& value) const;

 private:
  std::vector<Write> writes_;
  // (key, value) -> write. Integer values (what faultline's workload writes)
  // are hashed without building a string; others by their JSON text.
  struct ValueKey {
    std::string_view key;
    std::int64_t number = 0;
    std::string text;  // empty for integers
    bool operator==(const ValueKey&) const = default;
  };
  struct ValueKeyHash {
    std::size_t operator()(const ValueKey& k) const;
  };
  static ValueKey make_key(const std::string& key, const nlohmann::json& value);
  std::unordered_map<ValueKey, std::size_t, ValueKeyHash> by_value_;
};

// "key\0value": one hashable string per (key, value) pair.
std::string value_key(const std::string& key, const nlohmann::json& value);
// True when a kv operation's value is [key, value] with a string key.
bool is_kv_value(const nlohmann::json& v);
// The session of an operation: its session, or its process when it has none.
std::int64_t session_of(const Operation& op);
// "eu-west-1-c0/k1" -> "eu-west-1-c0"; "" for a global key.
std::string customer_of(const std::string& key);

}  // namespace faultline
