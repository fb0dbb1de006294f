#pragma once
// A generator decides what a session does next, as in Jepsen's generator
// protocol: it knows the workload's data model (keys, values, customers) and
// nothing of the protocol that carries an operation, nor of the clock that
// paces it (the runner does both). Deterministic: the same experiment seed
// and session number give the same sequence of operations.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controllers/history/history.hpp"

namespace faultline {

// What a generator may know of the session it drives.
struct SessionState {
  std::int64_t session = 0;  // stable for the session's life
  std::int64_t process = 0;  // the session's current process (changes after info)
  std::string region;        // where the session's client runs
};

class Generator {
 public:
  virtual ~Generator() = default;
  // The next operation to invoke: its f and value (the runner fills in type,
  // process, session and region). nullopt when the session has no more.
  virtual std::optional<Operation> next(const SessionState& session) = 0;
  // How the last operation ended, for generators that react to results.
  virtual void update(const SessionState& /*session*/, const Operation& /*completion*/) {}
};

// One session of a workload: its number, its region, its generator.
struct SessionPlan {
  std::int64_t session = 0;
  std::string region;
  std::unique_ptr<Generator> generator;
};

struct WorkloadPlan {
  std::vector<SessionPlan> sessions;
  // Sessions the workload has room for, including any left idle (a region
  // with more client slots than customers). Process numbers step by it after
  // an info, and the rate is spread over it, so leaving a session idle
  // changes no other session's numbers or pace.
  std::int64_t session_slots = 0;
};

}  // namespace faultline
