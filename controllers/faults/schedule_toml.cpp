#include "controllers/faults/schedule_toml.hpp"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "controllers/experiment/units.hpp"
#include "controllers/faults/fault_registry.hpp"

namespace faultline {

namespace {

toml::array strings_of(const std::vector<std::string>& values) {
  toml::array a;
  for (const auto& v : values) a.push_back(v);
  return a;
}

// A program the file names by a path relative to its own folder: the
// schedule lives elsewhere (in the results), so it names the program as found.
void anchor_program(toml::node* command0, const std::string& resolved) {
  if (command0 == nullptr || !command0->is_string()) return;
  const std::string written = *command0->value<std::string>();
  if (written.find('/') == std::string::npos || written.front() == '/') return;
  *command0->as_string() = resolved;
}

}  // namespace

toml::table fault_table(const FaultSpec& f) {
  toml::table t{{"kind", f.kind}, {"at", format_duration(f.at)}};
  if (fault_lasts(f)) t.insert("for", format_duration(f.length));
  if (f.kind == "partition") {
    toml::array groups;
    for (const auto& g : f.groups) groups.push_back(strings_of(g));
    t.insert("groups", groups);
    if (f.one_way) t.insert("direction", "one-way");
  } else if (f.kind == "isolate" || f.kind == "kill" || f.kind == "pause" ||
             f.kind == "restart" || f.kind == "clock-skew") {
    t.insert("region", f.region);
    if (!f.service.empty()) t.insert("service", f.service);
  } else if (f.kind == "delay" || f.kind == "loss") {
    if (!f.between.empty()) t.insert("between", strings_of(f.between));
    if (f.one_way) t.insert("direction", "one-way");
  } else if (f.kind == "slow-db") {
    t.insert("region", f.region);
    t.insert("host", f.host);
    if (f.ports) t.insert("port", static_cast<std::int64_t>(f.ports->low));
  } else if (f.kind == "command") {
    // Programs as found: the schedule is read from the results, not from
    // the experiment's folder.
    const CommandFaultSpec& c = f.command;
    auto argv = [](std::vector<std::string> args, const std::string& program) {
      if (!args.empty()) args[0] = program;
      return strings_of(args);
    };
    t.insert("region", f.region);
    t.insert("host", f.host);
    t.insert("run", argv(c.run, c.program));
    if (!c.at_end.empty()) t.insert("at_end", argv(c.at_end, c.end_program));
    if (c.user != CommandFaultSpec{}.user) t.insert("user", c.user);
    if (c.timeout != CommandFaultSpec{}.timeout) t.insert("timeout", format_duration(c.timeout));
  } else {
    throw std::invalid_argument("a " + f.kind + " fault is not drawn by a nemesis");
  }
  if (f.prohibit) t.insert("mode", "prohibit");
  if (f.kind == "delay" || f.kind == "slow-db") t.insert("delay", format_duration(f.impairment.delay));
  if (f.kind == "loss") t.insert("percent", f.impairment.loss);
  if (f.kind == "clock-skew") {
    t.insert("offset", format_duration(f.offset));
    if (f.drift != 0) t.insert("drift", f.drift);
  }
  return t;
}

toml::table schedule_document(std::string_view original, const Experiment& e) {
  toml::table doc = toml::parse(original, e.path);
  doc.erase("nemesis");
  if (toml::table* experiment = doc["experiment"].as_table())
    experiment->insert_or_assign("seed", static_cast<std::int64_t>(e.seed));
  if (!e.vars.empty()) {
    toml::table vars;
    for (const auto& [name, value] : e.vars) vars.insert(name, value);
    doc.insert_or_assign("vars", vars);
  }
  if (toml::array* services = doc["service"].as_array())
    for (std::size_t i = 0; i < services->size() && i < e.services.size(); ++i)
      if (toml::array* command = (*services)[i].as_table()
                                     ? (*(*services)[i].as_table())["command"].as_array()
                                     : nullptr;
          command != nullptr && !command->empty())
        anchor_program(command->get(0), e.services[i].program);
  if (toml::table* workload = doc["workload"].as_table(); workload && !e.workload.exec.program.empty())
    anchor_program(workload->get("program"), e.workload.exec.program);
  toml::array faults;
  if (const toml::array* written = doc["fault"].as_array()) faults = *written;
  for (const auto& f : e.faults)
    if (f.drawn_by >= 0) faults.push_back(fault_table(f));
  if (faults.empty())
    doc.erase("fault");
  else
    doc.insert_or_assign("fault", faults);
  return doc;
}

std::string render_document(const toml::table& doc, const std::string& heading) {
  std::ostringstream out;
  std::istringstream lines(heading);
  for (std::string line; std::getline(lines, line);) out << "# " << line << "\n";
  static const char* kOrder[] = {"experiment", "region",  "vars",  "service",  "workload",
                                 "wan",        "fault",   "nemesis", "invariant"};
  for (const char* key : kOrder)
    if (const toml::node* node = doc.get(key)) {
      toml::table one;
      one.insert(key, *node);
      out << "\n" << one << "\n";
    }
  return out.str();
}

}  // namespace faultline
