#include "controllers/workload/exec_client.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>

#include "controllers/experiment/experiment.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/services/command.hpp"
#include "controllers/topology/plan.hpp"

namespace faultline {

namespace {

// Operations on one key carry it apart from their value; anything else
// (micro-operations of a transaction) goes as its value whole.
bool is_key_op(const Operation& op) {
  return op.value.is_array() && op.value.size() == 2 && op.value[0].is_string();
}

std::string quote(const std::string& line) {
  constexpr std::size_t kShown = 200;
  return line.size() <= kShown ? line : line.substr(0, kShown) + "...";
}

}  // namespace

std::string exec_request(const Operation& op, std::int64_t id) {
  nlohmann::json request = {{"id", id}, {"f", op.f == kFinalReadF ? kReadF : op.f}};
  if (is_key_op(op)) {
    request["key"] = op.value[0];
    request["value"] = op.value[1];
  } else {
    request["value"] = op.value;
  }
  request["process"] = op.process;
  return request.dump();
}

std::optional<Operation> exec_completion(const Operation& op, std::int64_t id,
                                         const std::string& line, std::string& problem) {
  const auto answer = nlohmann::json::parse(line, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) {
    problem = "not a JSON object";
    return std::nullopt;
  }
  const auto at_id = answer.find("id");
  if (at_id == answer.end() || !at_id->is_number_integer()) {
    problem = "no integer \"id\"";
    return std::nullopt;
  }
  if (at_id->get<std::int64_t>() != id) {
    problem = "answers id " + std::to_string(at_id->get<std::int64_t>()) + ", was asked id " +
              std::to_string(id);
    return std::nullopt;
  }
  const auto at_type = answer.find("type");
  const std::string type = at_type != answer.end() && at_type->is_string() ? at_type->get<std::string>() : "";
  Operation done = op;
  if (type == "ok")
    done.type = OpType::ok;
  else if (type == "fail")
    done.type = OpType::fail;
  else if (type == "info")
    done.type = OpType::info;
  else {
    problem = "\"type\" must be \"ok\", \"fail\" or \"info\"";
    return std::nullopt;
  }
  // A read's answer is what it read (null: the key is empty); other
  // operations keep what was asked (a cas's [expected, new]).
  if (done.type == OpType::ok && is_key_read(op.f) && is_key_op(op))
    done.value[1] = answer.value("value", nlohmann::json());
  else if (done.type == OpType::ok && !is_key_op(op) && answer.contains("value"))
    done.value = answer["value"];  // micro-operations with what they read
  if (auto e = answer.find("error"); e != answer.end())
    done.error = e->is_string() ? e->get<std::string>() : e->dump();
  if (auto s = answer.find("served_by"); s != answer.end() && s->is_string())
    done.served_by = s->get<std::string>();
  return done;
}

ExecClient::ExecClient(ExecProgram program) : spec_(std::move(program)) {
  // A program that exits makes writes to its stdin fail with EPIPE; the
  // signal that comes with it is kept pending on this thread (the only one
  // that writes to this client's programs) instead of ending faultline.
  sigset_t pipe_signal, old;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &old);
  sigpipe_was_blocked_ = sigismember(&old, SIGPIPE) == 1;
}

ExecClient::~ExecClient() {
  program_.reset();
  if (sigpipe_was_blocked_) return;
  // Drop any SIGPIPE left pending, then unblock it.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  const timespec now{0, 0};
  while (sigtimedwait(&pipe_signal, nullptr, &now) == SIGPIPE) {
  }
  pthread_sigmask(SIG_UNBLOCK, &pipe_signal, nullptr);
}

Operation ExecClient::abandon(Operation done, const std::string& why, const std::string& quoted) {
  done.type = OpType::info;
  done.error = "client " + why;
  std::string status;
  if (program_) {
    program_->stop(std::chrono::milliseconds(0));
    status = program_->exit_status();
  }
  spdlog::warn("exec client (pid {}, log {}): {}{}{}; operation {} is info, the client starts again",
               program_ ? program_->pid() : -1, spec_.log_path, why,
               quoted.empty() ? "" : ": '" + quote(quoted) + "'",
               status.empty() ? "" : " (" + status + ")", done.f);
  program_.reset();
  return done;
}

Operation ExecClient::invoke(const Operation& op) {
  if (!program_) {
    program_ = std::make_unique<ClientProgram>(spec_.program, spec_.args, spec_.user, spec_.log_path);
    ++starts_;
  }
  const std::int64_t id = next_id_++;
  const auto deadline = std::chrono::steady_clock::now() + spec_.timeout;
  if (!program_->send(exec_request(op, id) + "\n", deadline))
    return abandon(op, program_->exit_status() == "running" ? "took no operation in time" : "exited",
                   "");
  std::string line;
  switch (program_->read_line(line, deadline)) {
    case ClientProgram::Read::line:
      break;
    case ClientProgram::Read::timeout:
      return abandon(op, "did not answer within " + std::to_string(spec_.timeout.count()) + " ms", "");
    case ClientProgram::Read::closed:
      return abandon(op, "exited", line);
    case ClientProgram::Read::too_long:
      return abandon(op, "wrote a line over 1 MiB", line);
  }
  std::string problem;
  if (auto done = exec_completion(op, id, line, problem)) return *done;
  return abandon(op, "wrote an invalid answer (" + problem + ")", line);
}

ExecClientFactory::ExecClientFactory(std::string program,
                                     std::map<std::string, std::vector<std::string>> args,
                                     ProgramUser user, std::string log_prefix,
                                     std::chrono::milliseconds timeout)
    : program_(std::move(program)),
      args_by_region_(std::move(args)),
      user_(user),
      log_prefix_(std::move(log_prefix)),
      timeout_(timeout) {
  std::filesystem::create_directories(std::filesystem::path(log_prefix_).parent_path());
}

std::unique_ptr<Client> ExecClientFactory::open(const std::string& region) {
  auto args = args_by_region_.find(region);
  if (args == args_by_region_.end())
    throw std::logic_error("no client arguments for region " + region);
  // One log per client opened (a session, or a region's final reader).
  const std::string log = log_prefix_ + region + "-" + std::to_string(opened_++) + ".log";
  return std::make_unique<ExecClient>(ExecProgram{program_, args->second, user_, log, timeout_});
}

std::unique_ptr<ExecClientFactory> exec_client_factory(const Experiment& e, const TopologyPlan& plan,
                                                        const std::string& results_dir,
                                                        const std::string& use) {
  std::map<std::string, std::vector<std::string>> args;
  for (const auto& region : plan.regions)
    args[region.name] = expand_command(e.workload.exec.args, plan, region.name, "client", results_dir);
  const ProgramUser user =
      e.workload.exec.user == "root" ? ProgramUser{} : lookup_user(e.workload.exec.user);
  return std::make_unique<ExecClientFactory>(e.workload.exec.program, std::move(args), user,
                                             results_dir + "/clients/" + use + "-",
                                             e.workload.timeout);
}

}  // namespace faultline
