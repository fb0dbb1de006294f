#pragma once
// A list-append history (Elle's) as the transactional checkers read it: one
// row per transaction, its micro-operations in one flat table, and per key
// the version order, the longest list any read returned.
//
// Reads are not kept. Each ok read is compared, as it is taken in, with the
// key's order so far: a prefix of it confirms it, a longer list that extends
// it becomes the order, anything else is an incompatible order (kept whole,
// for its witness). Since the order only grows by reads that extend it,
// every read not reported incompatible is a prefix of the final order, and a
// read is then fully described by its length. A 1M-transaction history takes
// tens of bytes per micro-operation instead of every list read.
//
// Built from a CompactHistory (its txn values as JSON) or straight from
// history.jsonl with a scanner that never builds JSON (for long runs: the
// JSON of a million transactions takes gigabytes). Both number operations
// as the CompactHistory does, so witnesses come back through it.
#include <cstdint>
#include <string>
#include <vector>

#include "controllers/history/compact_history.hpp"

namespace faultline {

inline constexpr std::uint32_t kNoTxn = UINT32_MAX;

enum class TxnOutcome : std::uint8_t {
  ok,
  fail,     // did not commit
  info,     // may or may not have committed
  pending,  // invoked, never completed in the history: as info
};

enum class MopKind : std::uint8_t { append, read, unread /* a read whose result is unknown */ };

struct Mop {
  std::int64_t value = 0;  // append: the value; read: the last element read (length > 0)
  std::uint32_t txn = kNoTxn;
  std::uint32_t key = 0;
  std::uint32_t length = 0;  // read: how many elements it returned
  // read: the index into TxnTable::incompatible of a read that is not a
  // prefix of the order; kNoTxn for a read that is
  std::uint32_t incompatible = kNoTxn;
  MopKind kind = MopKind::append;
  bool external = false;     // read: the txn's first look at the key, before any append of its own
  bool last_append = false;  // append: the txn's last append to the key
};

struct Txn {
  std::int64_t invoke_time = 0;
  std::int64_t end_time = INT64_MAX;  // of the completion; none for info and pending
  std::int64_t process = 0;
  std::uint64_t invoke_index = 0, end_index = 0;  // operation indexes (CompactHistory's)
  std::uint32_t first_mop = 0, mop_count = 0;
  TxnOutcome outcome = TxnOutcome::pending;
  bool committed_maybe() const { return outcome != TxnOutcome::fail; }
};

// A read that disagrees with the key's order at `diverges_at`, which the
// read of `order_reader` (a txn whose read holds the order there) shows.
struct IncompatibleRead {
  std::uint32_t mop = 0;
  std::uint32_t order_reader = kNoTxn;
  std::uint32_t diverges_at = 0;
  std::vector<std::int64_t> elements;
};

// A txn whose reads contradict its own earlier micro-operations: a read of a
// key it appended to must end with those appends, and equal what it read
// before plus them.
struct InternalInconsistency {
  std::uint32_t mop = 0;               // the read
  std::vector<std::int64_t> expected;  // what the txn's own operations imply (a suffix when
  bool expected_is_suffix = false;     // it had not read the key before)
  std::vector<std::int64_t> read;
};

struct KeyOrder {
  std::vector<std::int64_t> elements;  // the longest list read
  std::uint32_t longest_reader = kNoTxn;
};

class TxnTable {
 public:
  static TxnTable from(const CompactHistory& history);
  // Scans history.jsonl for txn operations alone; throws on a malformed one,
  // naming its line.
  static TxnTable read(const std::string& path);

  const std::vector<Txn>& txns() const { return txns_; }
  const std::vector<Mop>& mops() const { return mops_; }
  const std::vector<KeyOrder>& orders() const { return orders_; }
  const std::vector<IncompatibleRead>& incompatible() const { return incompatible_; }
  const std::vector<InternalInconsistency>& internal() const { return internal_; }
  const std::string& key_name(std::uint32_t key) const { return key_names_[key]; }
  std::size_t key_count() const { return key_names_.size(); }
  // Appends whose value another append also wrote (values must be unique).
  const std::vector<std::uint32_t>& duplicate_appends() const { return duplicate_appends_; }
  // The append mop that wrote `value`, or kNoTxn (garbage: nobody did).
  std::uint32_t append_of(std::int64_t value) const {
    const AppendSlot* a = find_append(value);
    return a == nullptr ? kNoTxn : a->mop;
  }
  // Its mop with the key and txn beside it: one memory access where the
  // analysis does millions.
  struct AppendSlot {
    std::int64_t value = INT64_MIN;  // INT64_MIN: empty
    std::uint32_t mop = kNoTxn, key = 0, txn = kNoTxn;
  };
  const AppendSlot* find_append(std::int64_t value) const;
  // The elements a read returned: a prefix of the order, or its own list.
  std::vector<std::int64_t> read_elements(const Mop& read) const;

  // --- Building, one operation at a time (both readers use it) ---
  struct MopInput {
    MopKind kind = MopKind::append;
    std::string_view key;
    std::int64_t value = 0;              // append
    std::uint32_t first = 0, count = 0;  // read: its elements in the scratch
  };
  // The scratch a caller fills before each invoke/complete: the operation's
  // micro-operations and the elements of its reads.
  std::vector<MopInput> scratch_mops;
  std::vector<std::int64_t> scratch_elements;
  void invoke(std::int64_t process, std::uint64_t index, std::int64_t time);
  void complete(std::int64_t process, std::uint64_t index, std::int64_t time, OpType type);

 private:
  std::uint32_t intern_key(std::string_view key);
  void take_read(std::uint32_t mop, const std::int64_t* elements, std::uint32_t count);
  void check_internal(std::uint32_t txn);
  void index_appends(std::uint32_t txn);
  // After the last operation: the txns still pending, then the value index.
  void finish();
  // Room for a history of `bytes` of list-append lines.
  void reserve_for(std::size_t bytes);
  // The txn `process` has in flight (kNoTxn: none), to read or set.
  std::uint32_t& pending_of(std::int64_t process);

  std::vector<Txn> txns_;
  std::vector<Mop> mops_;
  std::vector<KeyOrder> orders_;
  std::vector<IncompatibleRead> incompatible_;
  std::vector<InternalInconsistency> internal_;
  std::vector<std::uint32_t> duplicate_appends_;
  // What a txn being checked has seen of each key it touched: the last
  // list it read (if any) and its own appends since (reused: no allocation
  // per txn).
  struct Seen {
    std::uint32_t key = 0;
    bool read = false;
    std::vector<std::int64_t> base, own;
  };
  std::vector<Seen> seen_;
  std::vector<std::string> key_names_;
  // key -> id, open addressing (4M lookups in a 1M-txn history: a
  // std::unordered_map<std::string> took a std::string and a node per key).
  // A slot holds the id + 1 (0: empty), the key's size and its first eight
  // bytes: a short key is compared without reading its name.
  struct KeySlot {
    std::uint64_t head = 0;
    std::uint32_t id_plus_one = 0, size = 0;
  };
  std::vector<KeySlot> key_slots_;
  // process -> its txn in flight (kNoTxn: none), open addressing; a process
  // stays once seen, as few do (Jepsen's number a crashed one's successor)
  struct PendingSlot {
    std::int64_t process = 0;
    std::uint32_t txn = kNoTxn;
    bool used = false;
  };
  std::vector<PendingSlot> pending_;
  std::size_t processes_ = 0;
  // The append mops in the order their txns ended, indexed by finish() in one
  // pass over a table sized once (inserts as they came cost a cache miss each)
  std::vector<std::uint32_t> appended_;
  // value -> append mop, open addressing (values are dense integers; a
  // std::unordered_map of 2M entries costs five times the memory and time)
  std::vector<AppendSlot> slots_;
  std::size_t slots_used_ = 0;
  void insert_value(std::size_t slot, std::uint32_t mop);
};

}  // namespace faultline
