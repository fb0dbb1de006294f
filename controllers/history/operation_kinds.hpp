#pragma once
// The vocabulary of a history, in one place: the names of operations (`f`)
// and the ranges of process numbers, shared by the workloads that record
// them and the checkers and reports that read them back. A history file is
// an interface between runs and offline tools, so none of these may change
// without old histories becoming unreadable.
#include <cstdint>
#include <string>
#include <string_view>

namespace faultline {

// --- Operation names ---------------------------------------------------------
// Client operations on the workload's data; value [key, value].
inline constexpr const char* kReadF = "read";
inline constexpr const char* kWriteF = "write";
// The register workload's compare-and-set; value [key, [expected, new]]. An
// ok cas wrote `new` (expected null: the key held nothing); a failed one
// wrote nothing.
inline constexpr const char* kCasF = "cas";
// The set workload's add; value [key, element]. Its reads are kReadF with
// value [key, [elements...]].
inline constexpr const char* kAddF = "add";
// The list-append workload's transaction; value a list of micro-operations
// [["append", key, v], ["r", key, null], ...], each "r" completed with the
// list it read (Elle's format).
inline constexpr const char* kTxnF = "txn";
inline constexpr const char* kAppendMop = "append";
inline constexpr const char* kReadMop = "r";
// After the heal, each region read directly for every key it should hold;
// value [key, value].
inline constexpr const char* kFinalReadF = "final-read";
// A customer's sign-up (global routing data); value {"customer", "home"}.
inline constexpr const char* kRegisterF = "register";
// During sign-up only, never recorded: whether a region knows a customer's
// registration yet (global data replicates asynchronously). Value
// {"customer"}.
inline constexpr const char* kRegistrationReadF = "read-registration";
// A state probe (a region's database asked directly); value {"customers": [...]}.
inline constexpr const char* kProbeF = "probe";
// The nemesis: "heal" reverts every fault; each fault is a "start-<kind>" and
// a "stop-<kind>" with value {"fault": index, "what": ...}.
inline constexpr const char* kHealF = "heal";
inline constexpr std::string_view kNemesisStartPrefix = "start-";
inline constexpr std::string_view kNemesisStopPrefix = "stop-";

inline std::string nemesis_start_f(std::string_view fault_kind) {
  return std::string(kNemesisStartPrefix) + std::string(fault_kind);
}
inline std::string nemesis_stop_f(std::string_view fault_kind) {
  return std::string(kNemesisStopPrefix) + std::string(fault_kind);
}
inline bool is_nemesis_start(std::string_view f) { return f.starts_with(kNemesisStartPrefix); }
inline bool is_nemesis_stop(std::string_view f) { return f.starts_with(kNemesisStopPrefix); }
// Operations on the workload's data by the workload's own sessions.
inline bool is_client_data_op(std::string_view f) { return f == kReadF || f == kWriteF; }
// Every operation that reads a key (a session's read or a final read).
inline bool is_key_read(std::string_view f) { return f == kReadF || f == kFinalReadF; }

// --- Process numbers ---------------------------------------------------------
// Jepsen's rule: a process has one operation in flight at a time, and after
// an indeterminate (info) completion it may still be acting, so its session
// continues under a fresh process number. Ranges keep each kind of actor
// apart:
//   [0, kFinalReaderProcessBase)   client sessions: session s starts as
//                                  process s and steps by the number of
//                                  session slots after each info;
//   kFinalReaderProcessBase + i    the final reader of the i-th region;
//   kRegisterProcess               customer sign-up;
//   kProbeProcess                  state probes;
//   kNemesisProcess                the nemesis (written "nemesis" in the file,
//                                  as Jepsen's :nemesis).
inline constexpr std::int64_t kNemesisProcess = -1;
inline constexpr std::int64_t kFinalReaderProcessBase = 1000000;
inline constexpr std::int64_t kRegisterProcess = 2000000;
inline constexpr std::int64_t kProbeProcess = 3000000;

constexpr std::int64_t final_reader_process(std::size_t region_index) {
  return kFinalReaderProcessBase + static_cast<std::int64_t>(region_index);
}
constexpr std::int64_t process_after_info(std::int64_t process, std::int64_t session_slots) {
  return process + session_slots;
}

// Written values are unique across a run: process * kValuesPerProcess + the
// session's count of writes (process numbers never repeat).
inline constexpr std::int64_t kValuesPerProcess = 1000000;
constexpr std::int64_t unique_write_value(std::int64_t process, std::int64_t nth_write) {
  return process * kValuesPerProcess + nth_write;
}

}  // namespace faultline
