#include "controllers/experiment/schema.hpp"

#include <toml++/toml.h>

#include <algorithm>

#include "controllers/checkers/invariant_registry.hpp"
#include "controllers/experiment/client_kinds.hpp"
#include "controllers/experiment/section_keys.hpp"
#include "controllers/experiment/workload_kinds.hpp"
#include "controllers/faults/fault_registry.hpp"
#include "controllers/faults/random_nemesis.hpp"

namespace faultline {

using nlohmann::json;

namespace {

// Durations as the reader takes them ("250ms", "1.5s", "2m"); signed where
// the key's minimum is negative (a clock's offset, "-10s").
constexpr const char* kDurationPattern = "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$";
constexpr const char* kSignedDurationPattern = "^-?[0-9]+(\\.[0-9]+)?(ms|s|m|h)$";

// A TOML literal (a default, a bound) as JSON; null when it is not one.
json toml_value(const std::string& text) {
  try {
    const toml::table t = toml::parse("v = " + text);
    const toml::node& v = *t.get("v");
    if (auto s = v.value_exact<std::string>()) return *s;
    if (auto i = v.value_exact<std::int64_t>()) return *i;
    if (auto d = v.value_exact<double>()) return *d;
    if (auto b = v.value_exact<bool>()) return *b;
    if (const toml::array* a = v.as_array()) {
      json out = json::array();
      for (const auto& item : *a)
        if (auto s = item.value_exact<std::string>()) out.push_back(*s);
      return out;
    }
  } catch (const toml::parse_error&) {
  }
  return nullptr;
}

json key_schema(const KeySpec& key) {
  json s;
  s["description"] = key.description;
  switch (key.type) {
    case KeyType::string:
      s["type"] = "string";
      if (!key.allowed.empty()) s["enum"] = key.allowed;
      break;
    case KeyType::integer:
    case KeyType::number:
      s["type"] = key.type == KeyType::integer ? "integer" : "number";
      if (json lo = toml_value(key.minimum); lo.is_number()) s["minimum"] = lo;
      if (json hi = toml_value(key.maximum); hi.is_number()) s["maximum"] = hi;
      break;
    case KeyType::duration:
      s["type"] = "string";
      s["pattern"] = key.minimum.starts_with("-") ? kSignedDurationPattern : kDurationPattern;
      if (!key.minimum.empty() || !key.maximum.empty())
        s["description"] = key.description + " (a duration, " +
                           (key.minimum.empty() ? "" : "at least " + key.minimum) +
                           (!key.minimum.empty() && !key.maximum.empty() ? ", " : "") +
                           (key.maximum.empty() ? "" : "at most " + key.maximum) + ")";
      break;
    case KeyType::strings:
      s["type"] = "array";
      s["items"] = {{"type", "string"}};
      if (!key.allowed.empty()) s["items"]["enum"] = key.allowed;
      break;
    case KeyType::string_lists:
      s["type"] = "array";
      s["items"] = {{"type", "array"}, {"items", {{"type", "string"}}}};
      break;
    case KeyType::boolean:
      s["type"] = "boolean";
      break;
    case KeyType::range:  // a low and a high bound: ["1s", "4s"], [5, 30]
      s["type"] = "array";
      s["minItems"] = 2;
      s["maxItems"] = 2;
      // Numbers when the bounds are numbers, durations ("1s") otherwise.
      s["items"] = toml_value(key.minimum).is_number()
                       ? json{{"type", "number"}}
                       : json{{"type", "string"},
                              {"pattern", key.minimum.starts_with("-") ? kSignedDurationPattern
                                                                       : kDurationPattern}};
      break;
    case KeyType::table: {
      s["type"] = "object";
      json properties = json::object();
      json required = json::array();
      for (const KeySpec& field : key.fields) {
        properties[field.name] = key_schema(field);
        if (field.required) required.push_back(field.name);
      }
      s["properties"] = properties;
      if (!required.empty()) s["required"] = required;
      s["additionalProperties"] = false;
      break;
    }
  }
  if (json d = toml_value(key.default_value); !d.is_null()) s["default"] = d;
  return s;
}

json table_schema(const std::vector<KeySpec>& keys, const std::string& description) {
  KeySpec table{.name = "", .type = KeyType::table, .description = description, .fields = keys};
  return key_schema(table);
}

// [[fault]] and [[invariant]]: `kind` names a registered kind, and each kind
// allows its own keys (plus `extra`, the keys every kind takes).
template <typename Kind>
json kinds_schema(const std::vector<const Kind*>& kinds, const std::string& description,
                  std::vector<KeySpec> (*extra)(const Kind&)) {
  json names = json::array();
  json cases = json::array();
  for (const Kind* kind : kinds) {
    names.push_back(kind->name);
    std::vector<KeySpec> keys = extra(*kind);
    keys.insert(keys.end(), kind->keys.begin(), kind->keys.end());
    json then = table_schema(keys, kind->summary);
    then["properties"]["kind"] = {{"const", kind->name}};
    then.erase("type");
    cases.push_back({{"if", {{"properties", {{"kind", {{"const", kind->name}}}}}}}, {"then", then}});
  }
  return {{"type", "object"},
          {"description", description},
          {"required", {"kind"}},
          {"properties", {{"kind", {{"description", "the kind"}, {"enum", names}}}}},
          {"allOf", cases}};
}

std::vector<KeySpec> fault_extra(const FaultKind& kind) {
  std::vector<KeySpec> keys;
  for (KeySpec key : fault_common_keys()) {
    if (key.name == "for") {
      if (!kind.lasting) continue;  // a restart is over once applied
      key.required = !kind.for_optional;
    }
    keys.push_back(key);
  }
  return keys;
}

std::vector<KeySpec> no_extra(const InvariantKind&) { return {}; }

json workload_schema() {
  std::vector<KeySpec> keys = workload_section_keys();
  for (KeySpec& key : keys) {
    if (key.name == "kind") key.allowed = workload_kind_names();
    if (key.name == "client") key.allowed = client_kind_names();
  }
  for (const ClientKind* kind : client_kinds())
    if (!kind->keys.empty())
      keys.push_back({.name = kind->name,
                      .type = KeyType::table,
                      .description = "with client = \"" + kind->name + "\": " + kind->summary,
                      .fields = kind->keys});
  return table_schema(keys, "the traffic the run drives and records");
}

}  // namespace

json experiment_schema() {
  json vars = {{"type", "object"},
               {"description",
                "strings used in commands as {vars.NAME}; faultline run --var NAME=VALUE "
                "overrides one"},
               {"additionalProperties", {{"type", "string"}}}};
  json properties = {
      {"experiment", table_schema(experiment_section_keys(), "what the run is called and how long it lasts")},
      {"region",
       {{"type", "array"},
        {"minItems", 1},
        {"description", "the regions, at least one"},
        {"items", table_schema(region_section_keys(), "a region")}}},
      {"vars", vars},
      {"service",
       {{"type", "array"},
        {"description", "the services, each run once in every region"},
        {"items", table_schema(service_section_keys(), "a service")}}},
      {"workload", workload_schema()},
      {"wan", table_schema(wan_section_keys(), "a baseline for every region pair, for the whole run")},
      {"fault",
       {{"type", "array"},
        {"description", "the faults, on the run's timeline"},
        {"items", kinds_schema(fault_kinds(), "a fault", fault_extra)}}},
      {"nemesis",
       {{"type", "array"},
        {"description", "random fault schedules, drawn from the seed into the faults"},
        {"items", table_schema(nemesis_keys(), "a random nemesis")}}},
      {"invariant",
       {{"type", "array"},
        {"description", "what the verdict judges"},
        {"items", kinds_schema(invariant_kinds(), "an invariant", no_extra)}}},
  };
  return {{"$schema", "http://json-schema.org/draft-07/schema#"},
          {"title", "faultline experiment"},
          {"description", "A faultline experiment file (TOML). faultline validate checks what "
                          "this schema cannot: names that refer to each other, overlaps."},
          {"type", "object"},
          {"required", {"experiment", "region"}},
          {"properties", properties},
          {"additionalProperties", false}};
}

}  // namespace faultline
