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
  // The witness's shrink may take this fraction of `time` (within it).
  double shrink_fraction = 0.1;
  std::size_t shrink_checks = 100000;  // candidate windows searched, at most
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

// How a witness was shrunk (see shrink_witness): the operations it started
// from, the candidate windows searched, and whether the result is
// 1-minimal or the budget (`cut`, naming which) stopped the shrink first.
struct WitnessShrink {
  std::size_t from = 0;
  std::size_t checks = 0;
  bool one_minimal = false;
  std::string cut;  // empty: not cut
  std::chrono::steady_clock::duration took{};
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

// The smallest window of a non-linearizable key's operations (`ops` as
// check_register_key left them) that is still not linearizable, searched:
// from `heuristic` (or, when that window alone is linearizable, the key's
// operations called before the culprit's return, or all of them), delta
// debugging removes chunks, then single operations, keeping a removal
// whenever the rest is still not linearizable, until no single operation
// can go (1-minimal) or `deadline` or `max_checks` cuts it. A window keeps
// the write of every value it reads (so a stale read stays a stale read,
// not a read of a value nobody wrote); 1-minimal is under that rule. Each candidate
// is judged as a history of its own: an info write observed only by a
// removed read is unbounded again. The culprit and its states are the ones
// the search finds on the final window (a removed write can move them); the
// window's pointers are into `ops`.
KeyWitness shrink_witness(const std::vector<RegisterOp>& ops, const KeyWitness& heuristic,
                          std::chrono::steady_clock::time_point deadline,
                          std::uint64_t memory_bytes, std::size_t max_checks, WitnessShrink& stats);

// An info write (or cas) observed by an operation that completed
// definitely (an ok read, an ok cas) happened (values are unique) before
// the first such observer returned: it gets that return as its own. One
// nobody definitely observed keeps no return.
void bound_info_writes(std::vector<RegisterOp>& ops);

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
