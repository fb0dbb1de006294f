#include "controllers/agent/agent_core.hpp"

#include <spdlog/spdlog.h>

#include "controllers/agent/agent_client.hpp"
#include "controllers/faults/plan_json.hpp"

namespace faultline::agent {

using nlohmann::json;

namespace {

// A request that cannot be served; its message is the answer's "error".
class Refusal : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string describe_step(const PlanStep& step) {
  if (const auto* s = std::get_if<RouteStep>(&step))
    return "route " + injector::describe(s->route) + " in " + s->netns;
  if (const auto* s = std::get_if<DropRuleStep>(&step))
    return "drop rules on " + s->dev + " in " + s->netns;
  if (const auto* s = std::get_if<ShapeStep>(&step))
    return "shaping on " + s->change.dev + " in " + s->change.netns;
  if (const auto* s = std::get_if<ProcessStep>(&step))
    return step_to_json(step).at("action").get<std::string>() + " of " + s->service + "@" +
           s->region;
  return step_to_json(step).at("kind").get<std::string>() + " step";
}

class Undo final : public AppliedStep {
 public:
  explicit Undo(std::function<void()> fn) : fn_(std::move(fn)) {}
  std::vector<std::string> revert() override {
    if (!fn_) return {};
    auto fn = std::exchange(fn_, nullptr);
    try {
      fn();
    } catch (const std::exception& e) {
      return {e.what()};
    }
    return {};
  }

 private:
  std::function<void()> fn_;
};

// A process step on a container of this node: the controller named it by id.
class ContainerStep final : public PreparedStep {
 public:
  ContainerStep(NodeBackend& backend, ProcessAction action, std::string id)
      : backend_(backend), action_(action), id_(std::move(id)) {}
  std::unique_ptr<AppliedStep> commit() override {
    NodeBackend& b = backend_;
    const std::string id = id_;
    switch (action_) {
      case ProcessAction::kill:
        b.container("kill", id);
        return std::make_unique<Undo>([&b, id] { b.container("start", id); });
      case ProcessAction::pause:
        b.container("pause", id);
        return std::make_unique<Undo>([&b, id] { b.container("resume", id); });
      case ProcessAction::restart:
        b.container("restart", id);
        return nullptr;
    }
    return nullptr;
  }

 private:
  NodeBackend& backend_;
  ProcessAction action_;
  std::string id_;
};

std::uint64_t handle_field(const json& request, const char* key) {
  if (!request.contains(key) || !request.at(key).is_number_integer() ||
      request.at(key).get<std::int64_t>() < 0)
    throw Refusal(std::string("missing \"") + key + "\" (a step's number)");
  return request.at(key).get<std::uint64_t>();
}

}  // namespace

AgentCore::AgentCore(NodeBackend& backend, std::string node, Clock clock)
    : backend_(backend), node_(std::move(node)), clock_(std::move(clock)) {}

AgentCore::~AgentCore() {
  // The agent is stopping (SIGTERM): it leaves nothing applied.
  std::lock_guard lock(mutex_);
  for (auto& [id, run] : runs_) revert_all(id, run, "the agent is stopping");
  runs_.clear();
}

json AgentCore::handle(Session& session, const json& request) {
  json answer = json::object();
  const json id = request.contains("id") ? request.at("id") : json();
  try {
    if (!request.contains("op") || !request.at("op").is_string()) throw Refusal("missing \"op\"");
    std::lock_guard lock(mutex_);
    const auto start = clock_();
    try {
      answer = dispatch(session, request.at("op").get<std::string>(), request);
    } catch (...) {
      excuse(session, start);
      throw;
    }
    excuse(session, start);
  } catch (const std::exception& e) {
    answer = {{"error", e.what()}};
  }
  answer["id"] = id;
  return answer;
}

// While one request is served (a container restart takes seconds) no other
// is heard: that time counts against no lease, and the asking run was heard
// as it ended.
void AgentCore::excuse(const Session& session, std::chrono::steady_clock::time_point start) {
  const auto end = clock_();
  for (auto& [id, run] : runs_) run.heard = id == session.run ? end : run.heard + (end - start);
}

AgentCore::Run& AgentCore::run_of(const Session& session) {
  if (session.run.empty()) throw Refusal("say hello first: no run on this connection");
  auto it = runs_.find(session.run);
  if (it == runs_.end())
    throw Refusal("the lease of run " + session.run +
                  " expired and its faults were reverted; say hello again");
  return it->second;
}

json AgentCore::dispatch(Session& session, const std::string& op, const json& request) {
  const auto now = clock_();
  // Any request of a greeted run renews its lease, before anything else.
  if (!session.run.empty())
    if (auto it = runs_.find(session.run); it != runs_.end()) it->second.heard = now;

  if (op == "hello") {
    const std::string run = request.value("run", "");
    if (run.empty()) throw Refusal("hello needs a \"run\"");
    if (!session.run.empty() && session.run != run)
      throw Refusal("this connection belongs to run " + session.run);
    const auto lease = std::chrono::milliseconds(request.value("lease_ms", kDefaultLease.count()));
    if (lease < std::chrono::milliseconds(100))
      throw Refusal("lease_ms must be at least 100, not " + std::to_string(lease.count()));
    const std::string engine = request.value("engine", "auto");
    if (engine != "auto" && engine != "netem" && engine != "nfqueue")
      throw Refusal("engine must be auto, netem or nfqueue, not \"" + engine + "\"");
    const bool resumed = runs_.count(run) > 0;
    if (resumed && runs_.at(run).engine != engine)
      throw Refusal("run " + run + " holds its lease with engine " + runs_.at(run).engine);
    Run& r = runs_[run];
    if (!r.actuator) {
      try {
        r.actuator = backend_.actuator(engine, request.value("seed", std::uint64_t(1)));
      } catch (...) {
        runs_.erase(run);
        throw;
      }
      r.engine = engine;
    }
    r.lease = lease;
    r.heard = now;
    session.run = run;
    spdlog::info("run {} from {}: {} lease of {} ms", run, session.peer,
                 resumed ? "resumed its" : "holds a", lease.count());
    return {{"node", node_}, {"agent_version", kAgentVersion}};
  }
  if (op == "renew") {
    run_of(session);
    return json::object();
  }
  if (op == "inventory") return backend_.inventory();
  if (op == "sweep") {
    // A sweep is for what dead runs left: a live lease's faults are its
    // run's to revert (or the lease's, when it runs out).
    if (!runs_.empty())
      throw Refusal("run " + runs_.begin()->first +
                    " holds a lease here; sweep once it ended (bye, or its lease ran out)");
    auto removed = backend_.sweep();
    for (const auto& line : removed) spdlog::info("sweep: removed {}", line);
    return {{"removed", removed}};
  }
  if (op == "container") {
    const std::string action = request.value("action", "");
    const std::string id = request.value("container", "");
    if (id.empty()) throw Refusal("container needs a \"container\" id");
    if (action != "kill" && action != "pause" && action != "resume" && action != "restart" &&
        action != "start")
      throw Refusal("unknown container action \"" + action +
                    "\" (kill, pause, resume, restart, start)");
    backend_.container(action, id);
    return json::object();
  }
  if (op == "prepare") {
    Run& run = run_of(session);
    if (!request.contains("step")) throw Refusal("prepare needs a \"step\"");
    const PlanStep step = step_from_json(request.at("step"));
    std::unique_ptr<PreparedStep> prepared;
    if (const auto* s = std::get_if<ProcessStep>(&step)) {
      const std::string container = request.value("container", "");
      if (container.empty()) throw Refusal("a process step needs the \"container\" it acts on");
      prepared = std::make_unique<ContainerStep>(backend_, s->action, container);
    } else if (std::holds_alternative<ClockStep>(step) ||
               std::holds_alternative<CommandStep>(step)) {
      throw Refusal("clock and command steps are not offered through the agent");
    } else {
      prepared = run.actuator->prepare(step);
    }
    const std::uint64_t handle = next_handle_++;
    run.prepared[handle] = std::move(prepared);
    run.what[handle] = describe_step(step);
    return {{"handle", handle}};
  }
  if (op == "commit") {
    Run& run = run_of(session);
    const std::uint64_t handle = handle_field(request, "handle");
    auto it = run.prepared.find(handle);
    if (it == run.prepared.end())
      throw Refusal("no prepared step " + std::to_string(handle) + " in this run");
    auto prepared = std::move(it->second);
    run.prepared.erase(it);
    std::unique_ptr<AppliedStep> applied;
    try {
      applied = prepared->commit();
    } catch (...) {
      run.what.erase(handle);
      throw;
    }
    if (!applied) {
      run.what.erase(handle);
      return {{"applied", 0}};
    }
    run.applied[handle] = std::move(applied);
    return {{"applied", handle}};
  }
  if (op == "revert") {
    Run& run = run_of(session);
    const std::uint64_t handle = handle_field(request, "applied");
    auto it = run.applied.find(handle);
    if (it == run.applied.end())
      throw Refusal("no applied step " + std::to_string(handle) + " in this run");
    auto problems = it->second->revert();
    run.applied.erase(it);
    run.what.erase(handle);
    return {{"problems", problems}};
  }
  if (op == "bye") {
    Run& run = run_of(session);
    std::vector<std::string> problems;
    revert_all(session.run, run, "said bye", &problems);
    runs_.erase(session.run);
    session.run.clear();
    return {{"problems", problems}};
  }
  throw Refusal("unknown op \"" + op + "\"");
}

std::vector<std::string> AgentCore::revert_all(const std::string& id, Run& run,
                                               const std::string& why,
                                               std::vector<std::string>* problems_out) {
  std::vector<std::string> lines;
  for (auto it = run.applied.rbegin(); it != run.applied.rend(); ++it) {
    const std::string& what = run.what[it->first];
    auto problems = it->second->revert();
    lines.push_back("run " + id + " (" + why + "): reverted " + what);
    spdlog::info("{}", lines.back());
    for (auto& p : problems) {
      if (problems_out) problems_out->push_back(what + ": " + p);
      lines.push_back("run " + id + ": could not revert " + what + ": " + p);
      spdlog::warn("{}", lines.back());
    }
  }
  run.applied.clear();
  run.prepared.clear();
  return lines;
}

std::vector<std::string> AgentCore::expire() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> lines;
  const auto now = clock_();
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (now - it->second.heard < it->second.lease) {
      ++it;
      continue;
    }
    const auto silent =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.heard);
    const std::string head = "run " + it->first + ": lease expired (controller silent for " +
                             std::to_string(silent.count()) + " ms, lease " +
                             std::to_string(it->second.lease.count()) + " ms); reverting " +
                             std::to_string(it->second.applied.size()) + " applied step(s)";
    spdlog::warn("{}", head);
    lines.push_back(head);
    for (auto& l : revert_all(it->first, it->second, "lease expired"))
      lines.push_back(std::move(l));
    it = runs_.erase(it);
  }
  return lines;
}

std::map<std::string, std::size_t> AgentCore::runs() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::size_t> out;
  for (const auto& [id, run] : runs_) out[id] = run.applied.size();
  return out;
}

}  // namespace faultline::agent
