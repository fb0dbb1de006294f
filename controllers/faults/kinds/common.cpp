#include "controllers/faults/kinds/common.hpp"

#include <cstdio>

#include "controllers/faults/partition_plan.hpp"

namespace faultline::fault_kinds {

KeySpec region_key(std::string description) {
  return {.name = "region",
          .type = KeyType::string,
          .description = std::move(description),
          .required = true};
}

KeySpec service_key(std::string description, bool required) {
  return {.name = "service",
          .type = KeyType::string,
          .description = std::move(description),
          .required = required};
}

KeySpec mode_key() {
  return {.name = "mode",
          .type = KeyType::string,
          .description =
              "blackhole: packets vanish and connections time out; prohibit: the "
              "router rejects them at once",
          .default_value = "\"blackhole\"",
          .allowed = {"blackhole", "prohibit"}};
}

KeySpec direction_key(std::string one_way) {
  return {.name = "direction",
          .type = KeyType::string,
          .description = "both: every way; one-way: " + std::move(one_way),
          .default_value = "\"both\"",
          .allowed = {"both", "one-way"}};
}

KeySpec between_key() {
  return {.name = "between",
          .type = KeyType::strings,
          .description = "two regions: the WAN link between them; omitted: every pair of regions"};
}

std::vector<KeySpec> port_keys(std::string what) {
  return {
      {.name = "port",
       .type = KeyType::integer,
       .description = "narrows " + what + " to packets from or to this port",
       .minimum = "1",
       .maximum = "65535"},
      {.name = "ports",
       .type = KeyType::string,
       .description = "narrows " + what + " to packets from or to a range such as \"8000-8100\""},
      {.name = "protocol",
       .type = KeyType::string,
       .description = "the protocol 'port' or 'ports' are of",
       .default_value = "\"tcp\"",
       .allowed = {"tcp", "udp"}},
  };
}

KeySpec percent_key(std::string description) {
  return {.name = "percent",
          .type = KeyType::number,
          .description = std::move(description),
          .minimum = "0",
          .maximum = "100",
          .required = true};
}

KeySpec correlation_key(std::string description) {
  return {.name = "correlation",
          .type = KeyType::number,
          .description = std::move(description),
          .default_value = "0",
          .minimum = "0",
          .maximum = "100"};
}

std::vector<KeySpec> delay_keys(std::string delay_description, bool correlation) {
  std::vector<KeySpec> keys{
      {.name = "delay",
       .type = KeyType::duration,
       .description = std::move(delay_description),
       .minimum = "0ms",
       .maximum = "60s",
       .required = true},
      {.name = "jitter",
       .type = KeyType::duration,
       .description = "random variation around 'delay', at most 'delay'",
       .default_value = "\"0ms\"",
       .minimum = "0ms",
       .maximum = "60s"},
      correlation_key("percent; how much each packet's jitter follows the previous one's"),
      {.name = "distribution",
       .type = KeyType::string,
       .description = "the shape of the jitter (iproute2's tables); needs 'jitter'",
       .default_value = "\"uniform\"",
       .allowed = {"uniform", "normal", "pareto", "paretonormal"}},
  };
  if (!correlation) keys.erase(keys.begin() + 2);
  return keys;
}

std::vector<KeySpec> keys_of(std::vector<KeySpec> scope, const std::vector<KeySpec>& rest) {
  scope.insert(scope.end(), rest.begin(), rest.end());
  return scope;
}

bool check_region(const FaultTable& in, const toml::node& at, const std::string& name) {
  if (in.experiment.find_region(name) != nullptr) return true;
  std::vector<std::string> names;
  for (const auto& region : in.experiment.regions) names.push_back(region.name);
  std::string msg = "unknown region '" + name + "'";
  if (auto guess = nearest(name, names)) msg += "; did you mean '" + *guess + "'?";
  in.reader.error(at, msg);
  return false;
}

void read_region(const FaultTable& in, FaultSpec& f) {
  if (auto region = in.reader.string(in.table, "region", true))
    if (check_region(in, *in.table.get("region"), *region)) f.region = *region;
}

void read_service(const FaultTable& in, FaultSpec& f, bool required) {
  auto service = in.reader.string(in.table, "service", required);
  if (!service) return;
  if (in.experiment.find_service(*service) == nullptr) {
    std::vector<std::string> names;
    for (const auto& s : in.experiment.services) names.push_back(s.name);
    std::string msg = "unknown service '" + *service + "'";
    if (auto guess = nearest(*service, names)) msg += "; did you mean '" + *guess + "'?";
    in.reader.error(*in.table.get("service"), msg);
  }
  f.service = *service;
}

void read_mode(const FaultTable& in, FaultSpec& f) {
  if (auto mode = in.reader.string(in.table, "mode")) {
    if (*mode == "prohibit")
      f.prohibit = true;
    else if (*mode != "blackhole")
      in.reader.error(
          *in.table.get("mode"),
          "'mode' must be \"blackhole\" (drop silently) or \"prohibit\" (reject at once)");
  }
}

void read_direction(const FaultTable& in, FaultSpec& f) {
  if (auto direction = in.reader.string(in.table, "direction")) {
    if (*direction == "one-way")
      f.one_way = true;
    else if (*direction != "both")
      in.reader.error(*in.table.get("direction"), "'direction' must be \"both\" or \"one-way\"");
  }
}

void read_ports(const FaultTable& in, FaultSpec& f) {
  Reader& r = in.reader;
  const toml::table& t = in.table;
  if (t.contains("port") && t.contains("ports"))
    r.error(*t.get("ports"), "give 'port' or 'ports', not both");
  if (auto port = r.integer(t, "port", 1, 65535))
    f.ports = PortRange{static_cast<std::uint16_t>(*port), static_cast<std::uint16_t>(*port)};
  if (auto ports = r.string(t, "ports")) {
    unsigned lo = 0, hi = 0;
    char dash = 0, extra = 0;
    if (std::sscanf(ports->c_str(), "%u%c%u%c", &lo, &dash, &hi, &extra) != 3 || dash != '-' ||
        lo < 1 || hi > 65535 || lo > hi)
      r.error(*t.get("ports"), "'ports' must be a range such as \"8000-8100\"");
    else
      f.ports = PortRange{static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
  }
  if (auto protocol = r.string(t, "protocol")) {
    if (*protocol == "udp")
      f.protocol = 17;
    else if (*protocol != "tcp")
      r.error(*t.get("protocol"), "'protocol' must be \"tcp\" or \"udp\"");
    if (!t.contains("port") && !t.contains("ports"))
      r.error(*t.get("protocol"), "'protocol' narrows 'port' or 'ports': give one");
  }
}

void read_link(const FaultTable& in, FaultSpec& f) {
  const toml::table& t = in.table;
  if (auto between = in.reader.strings(t, "between")) {
    if (between->size() != 2 || (*between)[0] == (*between)[1])
      in.reader.error(*t.get("between"),
                      "'between' names two different regions: the link between them");
    else if (check_region(in, *t.get("between"), (*between)[0]) &&
             check_region(in, *t.get("between"), (*between)[1]))
      f.between = *between;
  } else if (f.one_way) {
    in.reader.error(*t.get("direction"),
                    "a one-way fault needs 'between' to say which way: from the first region to "
                    "the second");
  }
}

std::optional<double> read_percent(const FaultTable& in, const FaultSpec& f) {
  auto p = in.reader.number(in.table, "percent", 0, 100);
  if (!p && !in.table.contains("percent"))
    in.reader.error(f.where, "a " + f.kind + " fault needs 'percent'");
  return p;
}

std::vector<PlanStep> plan_cut(const FaultPlanning& at, const FaultSpec& f) {
  std::vector<PlanStep> steps;
  if (f.ports) {
    // Routes cannot see ports: drop rules in the routers' nf_tables.
    for (auto& change : plan_port_partition(at.topology, f.groups, f.one_way, *f.ports, f.protocol))
      steps.push_back(DropRuleStep{change.netns, change.dev, std::move(change.spec.matches)});
    return steps;
  }
  const auto drop = f.prohibit ? injector::RouteType::prohibit : injector::RouteType::blackhole;
  for (auto& change :
       plan_partition(at.topology, f.groups, f.one_way, drop, partition_metric(at.index)))
    steps.push_back(RouteStep{change.netns, std::move(change.route)});
  return steps;
}

bool cut_needs_nftables(const FaultSpec& f) { return f.ports.has_value(); }

std::vector<PlanStep> shape_steps(std::vector<ShapingChange> changes) {
  std::vector<PlanStep> steps;
  for (auto& change : changes) steps.push_back(ShapeStep{std::move(change)});
  return steps;
}

std::string describe_ports(const PortRange& ports) {
  return std::to_string(ports.low) +
         (ports.high != ports.low ? "-" + std::to_string(ports.high) : "");
}

std::string describe_on_link(const FaultSpec& f) {
  std::string text = f.kind;
  text += f.between.empty() ? " every region pair"
                            : " " + f.between[0] + (f.one_way ? " -> " : " <-> ") + f.between[1];
  if (f.ports) text += " port " + describe_ports(*f.ports);
  return text;
}

std::string describe_in_region(const FaultSpec& f) {
  std::string text = f.kind + " " + f.region;
  if (!f.service.empty()) text += "/" + f.service;
  return text;
}

}  // namespace faultline::fault_kinds
