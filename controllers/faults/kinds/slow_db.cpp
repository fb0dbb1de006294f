// slow-db: what a region's database host sends from its port leaves later,
// so every query takes that much longer and nothing else in the region
// changes (it shapes the host's own egress, not a WAN link).
#include <algorithm>

#include "controllers/experiment/sections.hpp"
#include "controllers/faults/kinds/common.hpp"

namespace faultline {

namespace {

using namespace fault_kinds;

constexpr std::uint16_t kPostgresPort = 5432;

void read(const FaultTable& in, FaultSpec& f) {
  Reader& r = in.reader;
  const toml::table& t = in.table;
  const Experiment& e = in.experiment;
  read_region(in, f);
  read_delay(r, t, f.impairment, true);
  if (auto p = r.number(t, "loss", 0, 100)) f.impairment.loss = *p;
  if (auto host = r.string(t, "host")) {
    if (std::find(e.hosts.begin(), e.hosts.end(), *host) == e.hosts.end())
      r.error(*t.get("host"), "unknown host '" + *host + "'");
    f.host = *host;
  } else if (std::find(e.hosts.begin(), e.hosts.end(), "db") == e.hosts.end()) {
    r.error(f.where,
            "slow-db acts on the 'db' host, which this experiment's hosts lack: give 'host'");
  }
  if (auto port = r.integer(t, "port", 1, 65535))
    f.ports = PortRange{static_cast<std::uint16_t>(*port), static_cast<std::uint16_t>(*port)};
  if (!f.ports) f.ports = PortRange{kPostgresPort, kPostgresPort};
}

std::vector<PlanStep> plan(const FaultPlanning& at, const FaultSpec& f) {
  return shape_steps(plan_host_egress_fault(at.topology, f));
}

std::string describe(const FaultSpec& f) {
  return describe_in_region(f) + "/" + f.host + " port " + std::to_string(f.ports->low);
}

}  // namespace

const FaultKind& slow_db_fault() {
  static const FaultKind kind{
      .name = "slow-db",
      .summary = "what a region's database sends leaves later: every query takes longer",
      .keys = keys_of({region_key("the region whose database is slow"),
                       {.name = "host",
                        .type = KeyType::string,
                        .description = "the database's host (one of [experiment] hosts)",
                        .default_value = "\"db\""},
                       {.name = "port",
                        .type = KeyType::integer,
                        .description = "the port whose answers are slowed",
                        .default_value = std::to_string(kPostgresPort),
                        .minimum = "1",
                        .maximum = "65535"}},
                      keys_of(delay_keys("how much later each answer leaves", false),
                              {{.name = "loss",
                                .type = KeyType::number,
                                .description = "the percentage of the answers dropped",
                                .default_value = "0",
                                .minimum = "0",
                                .maximum = "100"}})),
      .family = FaultFamily::traffic,
      .shapes = ShapedPath::host_egress,
      .read = read,
      .plan = plan,
      .describe = describe,
  };
  return kind;
}

}  // namespace faultline
