#pragma once
// The exec client: the user's own client program, in any language, as a
// Client (client.hpp). One program per session, started in the region's
// client host as the experiment's user; faultline writes one operation per
// line on its stdin and reads one answer per line from its stdout
// (newline-delimited JSON; the protocol is docs/clients.md):
//
//   -> {"id":7,"f":"write","key":"k3","value":4000001,"process":4}
//   <- {"id":7,"type":"ok","served_by":"us-east-1"}
//
// How an operation completes when the program does not answer it properly:
//   no answer by the operation's timeout               info
//   a line that is not an answer, or an answer to
//   another id, or the program exits                   info, the line quoted
//                                                      in the run's log
// and in each case the program is killed and the next operation starts a
// new one (the session goes on under a new process number, as after any
// info). An answer of "info" from the program itself keeps it running.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controllers/workload/client.hpp"
#include "controllers/workload/client_program.hpp"

namespace faultline {

struct Experiment;
struct TopologyPlan;

// The protocol's two halves, pure (tests drive them without a program).
// The request line for `op` (without the '\n'): final reads go out as reads.
std::string exec_request(const Operation& op, std::int64_t id);
// `op` completed by the answer `line` to request `id`, or nullopt with
// `problem` saying why the line is not a valid answer to it.
std::optional<Operation> exec_completion(const Operation& op, std::int64_t id,
                                         const std::string& line, std::string& problem);

struct ExecProgram {
  std::string program;            // absolute
  std::vector<std::string> args;  // placeholders already filled in
  ProgramUser user;
  std::string log_path;  // its stderr, appended across restarts
  std::chrono::milliseconds timeout{1000};
};

class ExecClient final : public Client {
 public:
  explicit ExecClient(ExecProgram program);
  ~ExecClient() override;
  Operation invoke(const Operation& invoke) override;
  // Programs started so far (1 + restarts), for tests and the log.
  int starts() const { return starts_; }

 private:
  Operation abandon(Operation done, const std::string& why, const std::string& quoted);

  ExecProgram spec_;
  std::unique_ptr<ClientProgram> program_;  // null: start one at the next operation
  std::int64_t next_id_ = 1;
  int starts_ = 0;
  bool sigpipe_was_blocked_ = false;
};

// Opens an ExecClient per session, with each region's arguments.
class ExecClientFactory final : public ClientFactory {
 public:
  ExecClientFactory(std::string program, std::map<std::string, std::vector<std::string>> args,
                    ProgramUser user, std::string log_prefix, std::chrono::milliseconds timeout);
  std::unique_ptr<Client> open(const std::string& region) override;

 private:
  std::string program_;
  std::map<std::string, std::vector<std::string>> args_by_region_;
  ProgramUser user_;
  std::string log_prefix_;  // a log's path up to "<region>-<n>.log"
  std::chrono::milliseconds timeout_;
  std::atomic<int> opened_{0};
};

// The experiment's exec client: [workload] program, args filled in for each
// region's client host (service placeholders), user; logs under
// <results>/clients/<use>-<region>-<n>.log (use: "session", "final-read").
std::unique_ptr<ExecClientFactory> exec_client_factory(const Experiment& e, const TopologyPlan& plan,
                                                        const std::string& results_dir,
                                                        const std::string& use);

}  // namespace faultline
