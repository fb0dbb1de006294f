#pragma once
// The history of a run in Jepsen's operation schema (index, time, type,
// process, f, value, error) plus the fields regions need (region, served_by).
// One JSON object per line in history.jsonl, so Jepsen-family tools can re-check
// it offline.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

enum class OpType { invoke, ok, fail, info };

struct Operation {
  std::uint64_t index = 0;
  std::int64_t time = 0;  // nanoseconds since the run started
  OpType type = OpType::invoke;
  std::int64_t process = 0;
  std::string f;          // an operation name of operation_kinds.hpp
  nlohmann::json value;   // kv operations: [key, value]; null when unknown
  std::string error;      // why a fail or info
  std::string region;     // where the client ran
  std::string served_by;  // the region that answered, if it said
  std::int64_t session = -1;  // the client session; -1 for none (nemesis, final reads)
  std::string version;        // the version the server reported, if any ("ts@region")
  // A client's retry of an operation that failed or timed out: the index of
  // the first attempt's invocation (-1: a first attempt). Each attempt is an
  // operation of its own, judged as such.
  std::int64_t retry_of = -1;
  std::string cell;           // the cell of its region that served it, if it said
};

const char* op_type_name(OpType type);
nlohmann::json to_json(const Operation& op);
// Appends to_json(op).dump() to `out`, without building the JSON object (the
// recorder writes every operation this way).
void append_json_line(std::string& out, const Operation& op);
Operation operation_from_json(const nlohmann::json& line);  // throws on a malformed line
std::vector<Operation> read_history(const std::string& path);
// Streams history.jsonl one operation at a time (memory does not grow with it).
void for_each_operation(const std::string& path, const std::function<void(const Operation&)>& visit);

// Records operations from many threads, stamping index and time, and streams
// them to history.jsonl as they come. It keeps none of them: a run's memory
// does not grow with its length. The checkers and the report read the file
// back once the run is over (streamed, see compact_history.hpp).
class HistoryRecorder {
 public:
  using Clock = std::chrono::steady_clock;
  HistoryRecorder(const std::string& path, Clock::time_point start);
  Operation record(Operation op);
  std::uint64_t count() const;  // operations recorded so far
  std::int64_t now_ns() const;
  Clock::time_point start() const { return start_; }  // time 0 of the history
  const std::string& path() const { return path_; }
  void flush();

 private:
  Clock::time_point start_;
  std::string path_;
  mutable std::mutex mutex_;
  std::uint64_t count_ = 0;
  std::ofstream out_;
  std::string line_;  // reused for every operation's line
};

}  // namespace faultline
