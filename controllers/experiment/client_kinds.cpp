#include "controllers/experiment/client_kinds.hpp"

#include <algorithm>

#include "controllers/experiment/sections.hpp"

namespace faultline {

namespace {

// client = "exec": the user's own program (docs/clients.md). Its keys live in
// [workload] itself, as they did before client kinds had tables.
void read_exec(const ClientTable& in, WorkloadSpec& w) {
  Reader& r = in.reader;
  const toml::table& t = in.workload;
  if (auto program = r.string(t, "program", true)) {
    if (auto found = in.resolver(*program, in.base_dir))
      w.exec.program = *found;
    else
      r.error(*t.get("program"),
              "client program '" + *program +
                  "' not found (looked next to faultline and on PATH; a path with '/' is "
                  "relative to the experiment file): build it or fix the path");
  }
  if (auto args = r.strings(t, "args")) {
    const toml::node& at = *t.get("args");
    for (auto& arg : *args) arg = substitute_vars(r, at, arg, in.experiment);
    check_placeholders(r, at, *args, in.experiment, "args");
    w.exec.args = *args;
  }
  if (auto user = r.string(t, "user")) w.exec.user = *user;
}

// The user's program finds the system from its arguments: it needs only
// something to talk to.
std::vector<std::string> validate_exec(const Experiment& e) {
  if (e.services.empty() && e.workload.written) return {"a workload needs a [[service]] to talk to"};
  return {};
}

// The reference store's HTTP API: the workload's service in each region, the
// state service for final reads and customer sign-up.
std::vector<std::string> validate_kv_http(const Experiment& e) {
  const WorkloadSpec& w = e.workload;
  std::vector<std::string> problems;
  if (!e.services.empty() && e.find_service(w.service) == nullptr) {
    if (w.written)
      problems.push_back("workload targets unknown service '" + w.service + "'");
    else
      problems.push_back("the workload talks to service '" + w.service +
                         "' by default, and there is none: name one in [workload] service = "
                         "\"...\"");
  }
  if (!w.state_service.empty() && e.find_service(w.state_service) == nullptr)
    problems.push_back("workload 'state_service' names unknown service '" + w.state_service + "'");
  if (w.written && e.services.empty()) problems.push_back("a workload needs a [[service]] to talk to");
  return problems;
}

}  // namespace

bool ClientKind::carries(std::string_view workload) const {
  return std::find(workloads.begin(), workloads.end(), workload) != workloads.end();
}

const std::vector<const ClientKind*>& client_kinds() {
  static const ClientKind kv_http{
      .name = "kv-http",
      .summary = "the reference store's HTTP API (PUT and GET /kv/{key}, session tokens)",
      .workloads = {"kv"},
      .validate = validate_kv_http,
  };
  static const ClientKind exec{
      .name = "exec",
      .summary = "your own client program, any language, over JSON lines (docs/clients.md)",
      .workloads = {"kv", "register", "set", "list-append"},
      .workload_keys = {"program", "args", "user"},
      .read = read_exec,
      .validate = validate_exec,
  };
  static const std::vector<const ClientKind*> kinds{&kv_http, &exec};
  return kinds;
}

const ClientKind* find_client_kind(std::string_view name) {
  for (const ClientKind* kind : client_kinds())
    if (kind->name == name) return kind;
  return nullptr;
}

std::vector<std::string> client_kind_names() {
  std::vector<std::string> names;
  for (const ClientKind* kind : client_kinds()) names.push_back(kind->name);
  return names;
}

}  // namespace faultline
