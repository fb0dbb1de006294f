#include "controllers/faults/plan_json.hpp"

namespace faultline {

using nlohmann::json;

namespace {

template <typename T>
T field(const json& j, const char* key, const char* kind) {
  auto it = j.find(key);
  if (it == j.end()) throw PlanJsonError(std::string(kind) + " step: missing \"" + key + "\"");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw PlanJsonError(std::string(kind) + " step: \"" + key + "\" has the wrong type");
  }
}

template <typename T>
std::optional<T> optional_field(const json& j, const char* key, const char* kind) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return field<T>(j, key, kind);
}

const char* route_type(injector::RouteType t) { return injector::route_type_name(t); }

injector::RouteType route_type_of(const std::string& name) {
  for (auto t : {injector::RouteType::unicast, injector::RouteType::blackhole,
                 injector::RouteType::prohibit})
    if (name == injector::route_type_name(t)) return t;
  throw PlanJsonError("route step: unknown route type \"" + name + "\"");
}

json port_json(const injector::PortMatch& p) { return {{"value", p.value}, {"mask", p.mask}}; }

injector::PortMatch port_of(const json& j) {
  return {field<std::uint16_t>(j, "value", "port match"),
          field<std::uint16_t>(j, "mask", "port match")};
}

json match_json(const injector::PacketMatch& m) {
  json j = {{"family", m.family}, {"protocol", m.protocol}};
  if (m.dst) j["dst"] = *m.dst;
  if (m.src) j["src"] = *m.src;
  if (m.sport) j["sport"] = port_json(*m.sport);
  if (m.dport) j["dport"] = port_json(*m.dport);
  return j;
}

injector::PacketMatch match_of(const json& j) {
  injector::PacketMatch m;
  m.family = field<int>(j, "family", "packet match");
  m.protocol = field<std::uint8_t>(j, "protocol", "packet match");
  m.dst = optional_field<std::string>(j, "dst", "packet match");
  m.src = optional_field<std::string>(j, "src", "packet match");
  if (j.contains("sport")) m.sport = port_of(j.at("sport"));
  if (j.contains("dport")) m.dport = port_of(j.at("dport"));
  return m;
}

json matches_json(const std::vector<injector::PacketMatch>& ms) {
  json out = json::array();
  for (const auto& m : ms) out.push_back(match_json(m));
  return out;
}

std::vector<injector::PacketMatch> matches_of(const json& j, const char* kind) {
  std::vector<injector::PacketMatch> out;
  for (const auto& m : field<json>(j, "matches", kind)) out.push_back(match_of(m));
  return out;
}

json netem_json(const injector::NetemSpec& n) {
  return {{"delay_us", n.delay_us},
          {"jitter_us", n.jitter_us},
          {"delay_correlation", n.delay_correlation},
          {"distribution", n.distribution},
          {"loss", n.loss},
          {"loss_correlation", n.loss_correlation},
          {"duplicate", n.duplicate},
          {"reorder", n.reorder},
          {"reorder_correlation", n.reorder_correlation},
          {"corrupt", n.corrupt},
          {"limit", n.limit}};
}

injector::NetemSpec netem_of(const json& j) {
  const char* k = "netem";
  injector::NetemSpec n;
  n.delay_us = field<std::uint32_t>(j, "delay_us", k);
  n.jitter_us = field<std::uint32_t>(j, "jitter_us", k);
  n.delay_correlation = field<double>(j, "delay_correlation", k);
  n.distribution = field<std::string>(j, "distribution", k);
  n.loss = field<double>(j, "loss", k);
  n.loss_correlation = field<double>(j, "loss_correlation", k);
  n.duplicate = field<double>(j, "duplicate", k);
  n.reorder = field<double>(j, "reorder", k);
  n.reorder_correlation = field<double>(j, "reorder_correlation", k);
  n.corrupt = field<double>(j, "corrupt", k);
  n.limit = field<std::uint32_t>(j, "limit", k);
  return n;
}

const char* action_name(ProcessAction a) {
  switch (a) {
    case ProcessAction::kill:
      return "kill";
    case ProcessAction::pause:
      return "pause";
    case ProcessAction::restart:
      return "restart";
  }
  return "kill";
}

ProcessAction action_of(const std::string& name) {
  if (name == "kill") return ProcessAction::kill;
  if (name == "pause") return ProcessAction::pause;
  if (name == "restart") return ProcessAction::restart;
  throw PlanJsonError("process step: unknown action \"" + name + "\" (kill, pause or restart)");
}

}  // namespace

json step_to_json(const PlanStep& step) {
  if (const auto* s = std::get_if<RouteStep>(&step)) {
    json route = {{"destination", s->route.destination},
                  {"type", route_type(s->route.type)},
                  {"metric", s->route.metric},
                  {"protocol", s->route.protocol}};
    if (s->route.gateway) route["gateway"] = *s->route.gateway;
    return {{"kind", "route"}, {"netns", s->netns}, {"route", route}};
  }
  if (const auto* s = std::get_if<DropRuleStep>(&step))
    return {{"kind", "drop-rule"},
            {"netns", s->netns},
            {"dev", s->dev},
            {"matches", matches_json(s->matches)}};
  if (const auto* s = std::get_if<ShapeStep>(&step)) {
    const ShapingChange& c = s->change;
    json j = {{"kind", "shape"},
              {"netns", c.netns},
              {"dev", c.dev},
              {"band", c.band},
              {"netem", netem_json(c.spec.netem)},
              {"matches", matches_json(c.spec.matches)}};
    if (c.spec.rate_bits_per_second) j["rate_bits_per_second"] = *c.spec.rate_bits_per_second;
    return j;
  }
  if (const auto* s = std::get_if<ProcessStep>(&step))
    return {{"kind", "process"},
            {"action", action_name(s->action)},
            {"region", s->region},
            {"service", s->service}};
  if (const auto* s = std::get_if<ClockStep>(&step))
    return {{"kind", "clock"},
            {"region", s->region},
            {"service", s->service},
            {"offset_ms", s->offset.count()},
            {"drift", s->drift}};
  const auto& s = std::get<CommandStep>(step);
  return {{"kind", "command"},  {"fault", s.fault}, {"region", s.region},
          {"host", s.host},     {"netns", s.netns}, {"run", s.run},
          {"at_end", s.at_end}, {"user", s.user},   {"timeout_ms", s.timeout.count()}};
}

PlanStep step_from_json(const json& j) {
  if (!j.is_object()) throw PlanJsonError("a plan step must be a JSON object");
  const std::string kind = field<std::string>(j, "kind", "plan");
  if (kind == "route") {
    const json route = field<json>(j, "route", "route");
    RouteStep s;
    s.netns = field<std::string>(j, "netns", "route");
    s.route.destination = field<std::string>(route, "destination", "route");
    s.route.gateway = optional_field<std::string>(route, "gateway", "route");
    s.route.type = route_type_of(field<std::string>(route, "type", "route"));
    s.route.metric = field<std::uint32_t>(route, "metric", "route");
    s.route.protocol = field<std::uint8_t>(route, "protocol", "route");
    return s;
  }
  if (kind == "drop-rule")
    return DropRuleStep{field<std::string>(j, "netns", "drop-rule"),
                        field<std::string>(j, "dev", "drop-rule"), matches_of(j, "drop-rule")};
  if (kind == "shape") {
    ShapeStep s;
    s.change.netns = field<std::string>(j, "netns", "shape");
    s.change.dev = field<std::string>(j, "dev", "shape");
    s.change.band = field<int>(j, "band", "shape");
    s.change.spec.rate_bits_per_second =
        optional_field<std::uint64_t>(j, "rate_bits_per_second", "shape");
    s.change.spec.netem = netem_of(field<json>(j, "netem", "shape"));
    s.change.spec.matches = matches_of(j, "shape");
    return s;
  }
  if (kind == "process")
    return ProcessStep{action_of(field<std::string>(j, "action", "process")),
                       field<std::string>(j, "region", "process"),
                       field<std::string>(j, "service", "process")};
  if (kind == "clock")
    return ClockStep{
        field<std::string>(j, "region", "clock"), field<std::string>(j, "service", "clock"),
        Duration(field<std::int64_t>(j, "offset_ms", "clock")), field<double>(j, "drift", "clock")};
  if (kind == "command") {
    CommandStep s;
    s.fault = field<std::size_t>(j, "fault", "command");
    s.region = field<std::string>(j, "region", "command");
    s.host = field<std::string>(j, "host", "command");
    s.netns = field<std::string>(j, "netns", "command");
    s.run = field<std::vector<std::string>>(j, "run", "command");
    s.at_end = field<std::vector<std::string>>(j, "at_end", "command");
    s.user = field<std::string>(j, "user", "command");
    s.timeout = Duration(field<std::int64_t>(j, "timeout_ms", "command"));
    return s;
  }
  throw PlanJsonError("unknown plan step kind \"" + kind +
                      "\" (route, drop-rule, shape, process, clock or command)");
}

}  // namespace faultline
