// residency: a customer's data stays in its home geo, as served and as each
// region's database holds it (see ../residency.hpp).
#include <map>
#include <string>

#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/checkers/residency.hpp"

namespace faultline {

namespace {

const InvariantKind& kind();

void read(const InvariantTable& in, InvariantSpec& spec) {
  Reader& r = in.reader;
  const toml::node* pnode = in.table.get("probe");
  if (pnode == nullptr) {
    // The default probe asks the 'db' host; without one it has nowhere to go.
    if (!in.experiment.has_host(spec.probe_host))
      r.error(spec.where, "residency probes each region's 'db' host, which this experiment lacks: "
                          "give probe = { host = ..., port = ... }");
    return;
  }
  const toml::table* probe = pnode->as_table();
  if (probe == nullptr) {
    r.error(*pnode, "'probe' must be a table such as { host = \"db\", port = 5432 }");
    return;
  }
  Keys fields;
  for (const KeySpec& field : kind().find_key("probe")->fields) fields.push_back(field.name);
  r.check_keys(*probe, "invariant probe", fields);
  if (auto user = r.string(*probe, "user")) spec.probe_user = *user;
  if (auto database = r.string(*probe, "database")) spec.probe_database = *database;
  if (auto host = r.string(*probe, "host")) {
    if (!in.experiment.has_host(*host)) r.error(*probe->get("host"), "unknown host '" + *host + "'");
    spec.probe_host = *host;
  }
  if (auto port = r.integer(*probe, "port", 1, 65535))
    spec.probe_port = static_cast<std::uint16_t>(*port);
  if (auto query = r.string(*probe, "query")) spec.probe_query = *query;
}

CheckResult check(const InvariantSpec&, const Experiment& e, const CompactHistory& history) {
  std::map<std::string, std::string> geo;
  for (const auto& r : e.regions) geo[r.name] = r.geo;
  return check_residency(history, geo);
}

KeySpec probe_key() {
  const InvariantSpec defaults;
  return {.name = "probe",
          .type = KeyType::table,
          .description = "where each region's database answers which customers it holds",
          .fields = {
              {.name = "host",
               .type = KeyType::string,
               .description = "the host of each region the database runs on (one of [experiment] hosts)",
               .default_value = '"' + defaults.probe_host + '"'},
              {.name = "port",
               .type = KeyType::integer,
               .description = "the database's PostgreSQL port",
               .default_value = std::to_string(defaults.probe_port),
               .minimum = "1",
               .maximum = "65535"},
              {.name = "query",
               .type = KeyType::string,
               .description = "SQL returning one customer per row: those whose data it holds",
               .default_value = '"' + defaults.probe_query + '"'},
              {.name = "user",
               .type = KeyType::string,
               .description = "the database user the probe connects as",
               .default_value = '"' + defaults.probe_user + '"'},
              {.name = "database",
               .type = KeyType::string,
               .description = "the database the probe connects to",
               .default_value = '"' + defaults.probe_database + '"'},
          }};
}

const InvariantKind& kind() {
  static const InvariantKind kind{
      .name = "residency",
      .summary = "a customer's data is served and held only by regions of its home geo",
      .keys = {probe_key()},
      .per_customer = true,
      .workloads = {"kv"},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace

const InvariantKind& residency_invariant() { return kind(); }

}  // namespace faultline
