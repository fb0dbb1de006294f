#pragma once
// The history as the checkers read it: one 48-byte entry per operation,
// every string (functions, regions, keys) interned, integer values inline.
// Built from recorded operations, or streamed from history.jsonl without
// ever holding the operations themselves, so a 10M-operation history takes
// about half a gigabyte. Checkers get full Operations back only for their
// witnesses.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "controllers/history/history.hpp"

namespace faultline {

inline constexpr std::uint32_t kNoSymbol = UINT32_MAX;

// A kv operation is one whose value is [key, value] with a string key (reads,
// writes, final reads); every other value (a nemesis event, a sign-up
// {customer, home}, a probe {customers}) is kept whole as JSON.
enum class ValueKind : std::uint8_t {
  none,     // not a [key, value] operation
  null,     // [key, null]
  integer,  // [key, number]
  other,    // [key, anything else]: `number` indexes CompactHistory::others
};

struct CompactOp {
  std::int64_t time = 0;
  std::int64_t process = 0;
  std::int64_t number = 0;
  std::uint32_t key = kNoSymbol;  // kv operations
  std::uint32_t f = kNoSymbol;
  std::uint32_t region = kNoSymbol;
  std::uint32_t served_by = kNoSymbol;
  std::int32_t session = -1;
  OpType type = OpType::invoke;
  ValueKind value_kind = ValueKind::none;
  // A client's retry (Operation::retry_of set); which attempt it repeats is
  // in the full operation. Fits the entry's padding: still 48 bytes.
  bool retry = false;

  bool is_kv() const { return value_kind != ValueKind::none; }
  bool nemesis() const { return process == kNemesisProcess; }
  std::int64_t session_or_process() const { return session >= 0 ? session : process; }
};

class CompactHistory {
 public:
  static CompactHistory from(const std::vector<Operation>& operations);
  // How read() takes a line apart: `scan`, a hand scanner for the schema
  // the recorder writes, which hands anything else (an escape in a string,
  // a key it does not know, a value that is not [key, integer or null] or a
  // txn's) to nlohmann, or nlohmann for every line. Both give the same
  // history (tests/unit/compact_history_scan_test.cpp).
  enum class LineReader { scan, nlohmann };
  // Streams history.jsonl; throws on a malformed line, naming it.
  static CompactHistory read(const std::string& path, LineReader reader = LineReader::scan);
  // Lines read() gave to nlohmann (all of them with LineReader::nlohmann).
  std::size_t lines_lexed_by_nlohmann() const { return lexed_by_nlohmann_; }
  // Built one operation at a time (generators, benchmarks); witnesses are
  // then rebuilt from the compact entries, without error or version text.
  void append(const Operation& op) { add(op); }
  void finish() { resolve_well_known(); }

  std::size_t size() const { return ops_.size(); }
  const CompactOp& operator[](std::size_t i) const { return ops_[i]; }
  const std::vector<CompactOp>& ops() const { return ops_; }

  // The symbol of a name, or kNoSymbol if no operation uses it.
  std::uint32_t symbol(std::string_view name) const;
  const std::string& name(std::uint32_t symbol) const;
  // The value of an operation as JSON ([key, value] for kv operations).
  nlohmann::json value(const CompactOp& op) const;
  // A kv operation's value when it is neither null nor an integer (a set's
  // elements, a cas's [expected, new]), without copying it; null otherwise.
  const nlohmann::json& other_value(const CompactOp& op) const;
  // Whether two kv operations hold the same value (not comparing keys).
  bool same_value(const CompactOp& a, const CompactOp& b) const;
  // A whole operation, for witnesses.
  Operation operation(std::size_t i) const;
  Operation operation(const CompactOp& op) const { return operation(index_of(op)); }
  std::size_t index_of(const CompactOp& op) const {
    return static_cast<std::size_t>(&op - ops_.data());
  }

  // The history.jsonl it was read from; empty when built in memory.
  const std::string& path() const { return path_; }

  // A view of this history several invariants judge (the isolation models'
  // transaction table, a second reading of history.jsonl that costs more
  // than their checks): built by the first to ask, with `build`, and kept as
  // long as the history. One view per type.
  template <typename View, typename Build>
  const View& derived(Build&& build) const {
    std::lock_guard lock(derived_->mutex);
    std::shared_ptr<const void>& view = derived_->views[std::type_index(typeid(View))];
    if (!view) view = std::make_shared<const View>(build());
    return *static_cast<const View*>(view.get());
  }

  // Symbols of the functions checkers look for (kNoSymbol when absent).
  std::uint32_t f_read = kNoSymbol, f_write = kNoSymbol, f_final_read = kNoSymbol,
                f_heal = kNoSymbol, f_register = kNoSymbol, f_probe = kNoSymbol,
                f_cas = kNoSymbol;

 private:
  // CompactOp::number of an operation whose value is left in history.jsonl.
  static constexpr std::int64_t kValueInFile = -2;
  // How the recorder starts a txn's line (its keys sorted, f first).
  static constexpr std::string_view kTxnLinePrefix = R"({"f":"txn",)";

  std::uint32_t intern(std::string_view name);
  void add(const Operation& op);
  // The scanner (compact_history_scan.cpp): adds the line's operation as
  // add() would, or returns false having added nothing.
  bool add_scanned(std::string_view line);
  void resolve_well_known();

  std::vector<CompactOp> ops_;
  std::vector<std::string> names_;
  // Looked up by string_view (the scanner's), without building a string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint32_t, NameHash, std::equal_to<>> symbols_;
  std::vector<nlohmann::json> others_;  // values that are not [key, integer or null]
  // Where full operations come from: the recorded ones, or the file's lines.
  const std::vector<Operation>* source_ = nullptr;
  std::string path_;
  std::vector<std::uint64_t> offsets_;
  std::size_t lexed_by_nlohmann_ = 0;
  struct Derived {
    std::mutex mutex;
    std::map<std::type_index, std::shared_ptr<const void>> views;
  };
  std::unique_ptr<Derived> derived_ = std::make_unique<Derived>();
};

// Each invocation among the operations `wanted` accepts, with its
// completion: visit(invoke index, completion index), the completion SIZE_MAX
// for one that never came (the history ended, or its process invoked again,
// which Jepsen's rule says it does not do with an operation in flight).
// Pairs are visited as their completions come, the never-completed at the end.
template <typename Wanted, typename Visit>
void for_each_invocation(const CompactHistory& h, Wanted&& wanted, Visit&& visit) {
  std::unordered_map<std::int64_t, std::size_t> open;  // process -> its invocation
  for (std::size_t i = 0; i < h.size(); ++i) {
    const CompactOp& op = h[i];
    if (!wanted(op)) continue;
    if (op.type == OpType::invoke) {
      auto [it, added] = open.try_emplace(op.process, i);
      if (!added) {
        visit(it->second, SIZE_MAX);
        it->second = i;
      }
    } else if (auto it = open.find(op.process); it != open.end()) {
      visit(it->second, i);
      open.erase(it);
    }
  }
  std::vector<std::size_t> left;
  for (const auto& [process, invoke] : open) left.push_back(invoke);
  std::sort(left.begin(), left.end());  // in history order, whatever the map's
  for (std::size_t invoke : left) visit(invoke, SIZE_MAX);
}

}  // namespace faultline
