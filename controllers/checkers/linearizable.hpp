#pragma once
// Linearizability of registers (read, write, compare-and-set), key by key:
// a history of independent keys is linearizable exactly when each key's is
// (Herlihy and Wing's locality, "P-compositionality"), so each key is
// searched alone and a 1M-operation history becomes a thousand small ones.
//
// The search is Wing and Gong's, with Lowe's memoization (as Porcupine does
// it): the operations' calls and returns in time order in a linked list;
// repeatedly linearize a call that comes before the first pending return and
// is legal in the current state, backtracking when a return is reached whose
// operation is not yet linearized; a cache of (set of operations linearized,
// register state) prunes every configuration already explored.
//
// What each outcome means for the search (Jepsen's rules):
//   ok    it took effect once, between its invocation and its completion;
//   fail  it did not take effect: left out;
//   info  it may have taken effect at any point after its invocation, or
//         never: a call with no return, which the search may linearize or
//         leave out. An info read observed nothing and is left out; an info
//         write (or cas) whose value nobody ever observed is left out too,
//         since if it took effect it was overwritten before anyone looked,
//         and leaving it out changes no one's view.
//
// The budget (time and memory) is checked between search steps, not only
// between keys, so a pathological key ends as `unknown` within it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

// A register's value: kNoValue before any write.
inline constexpr std::int64_t kNoValue = INT64_MIN;

enum class RegisterF : std::uint8_t { read, write, cas };

// One operation on one key, as the search sees it.
struct RegisterOp {
  RegisterF f = RegisterF::read;
  std::int64_t value = kNoValue;     // read: what it read; write: what it wrote; cas: expected
  std::int64_t new_value = kNoValue;  // cas: what it wrote
  std::uint64_t call = 0;             // positions in the history (its order is real time)
  std::uint64_t ret = 0;              // UINT64_MAX: no return (info)
  std::size_t invoke_index = 0;       // in the history, for witnesses
  std::size_t completion_index = SIZE_MAX;
  std::int64_t process = 0;
  bool info = false;  // its completion was info (or never came)
  // No return the search must respect: it may be linearized at any point
  // after its call, or never.
  bool unbounded() const { return ret == UINT64_MAX; }
};

struct LinearizabilityBudget {
  std::chrono::steady_clock::duration time = std::chrono::seconds(30);
  std::uint64_t memory_bytes = 1ULL << 30;  // the search caches' size, all keys
};

enum class KeyVerdict { linearizable, not_linearizable, unknown };

// Why a key is not linearizable: the operation the search could not place
// (its return came while no order of the operations before it was legal),
// the register states the search could reach just before it, and the window
// of the history that shows it: the operation, the operations concurrent
// with it, and the writes of the states it could have seen.
struct KeyWitness {
  const RegisterOp* culprit = nullptr;
  std::vector<std::int64_t> could_have_seen;  // states (kNoValue: empty)
  std::vector<const RegisterOp*> window;      // in call order
};

struct KeySearch {
  KeyVerdict verdict = KeyVerdict::unknown;
  KeyWitness witness;           // when not linearizable
  std::string why_unknown;      // when unknown: which budget ran out
  std::uint64_t steps = 0;      // calls linearized, backtracks included
  std::uint64_t cache_bytes = 0;
};

// Searches one key's operations (in any order; they are sorted by call).
// `spent_bytes` is what other keys' caches took of the memory budget;
// `deadline` is the whole check's.
KeySearch check_register_key(std::vector<RegisterOp>& ops, std::chrono::steady_clock::time_point deadline,
                             std::uint64_t memory_bytes);

// The register operations of every key of a history (reads, writes, cas and
// final reads of kv operations; the nemesis and sign-ups left out), with
// info and failed operations treated as above. Keys in symbol order.
struct KeyHistory {
  std::uint32_t key = kNoSymbol;
  std::vector<RegisterOp> ops;
};
std::vector<KeyHistory> register_histories(const CompactHistory& history);

// The whole check: holds when every key is linearizable; violated with the
// first non-linearizable key's witness (and every such key counted) when any
// is; otherwise unknown, naming the keys the budget did not cover.
CheckResult check_linearizable(const CompactHistory& history, const LinearizabilityBudget& budget);

}  // namespace faultline
