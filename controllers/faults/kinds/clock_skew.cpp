// clock-skew: the clocks of a region's services (or of one) are off and drift,
// through libfaketime, which faultline preloads into services it starts.
#include "controllers/experiment/units.hpp"
#include "controllers/faults/kinds/common.hpp"

namespace faultline {

namespace {

using namespace fault_kinds;

// At most a year either way: further than any clock a service would meet.
constexpr Duration kMaxOffset{365LL * 24 * 3600 * 1000};

void read(const FaultTable& in, FaultSpec& f) {
  Reader& r = in.reader;
  const toml::table& t = in.table;
  read_region(in, f);
  read_service(in, f, false);
  if (const toml::node* node = t.get("offset")) {
    auto text = node->value<std::string>();
    const bool negative = text && !text->empty() && (*text)[0] == '-';
    auto d = text && node->is_string() ? parse_duration(negative ? text->substr(1) : *text)
                                       : std::nullopt;
    if (!d || *d > kMaxOffset)
      r.error(*node, "'offset' must be a duration such as \"-10s\" or \"2m\", at most a year");
    else
      f.offset = negative ? -*d : *d;
  }
  if (auto drift = r.number(t, "drift", -0.5, 10)) f.drift = *drift;
  if (!t.contains("offset") && !t.contains("drift"))
    r.error(f.where, "a clock-skew fault needs 'offset', 'drift' or both");
}

std::vector<PlanStep> plan(const FaultPlanning&, const FaultSpec& f) {
  return {ClockStep{f.region, f.service, f.offset, f.drift}};
}

}  // namespace

const FaultKind& clock_skew_fault() {
  static const FaultKind kind{
      .name = "clock-skew",
      .summary = "a region's clocks are off and drift while the fault lasts",
      .keys = {region_key("the region whose services' clocks are off"),
               service_key("only this service's clock; omitted: every service of the region",
                           false),
               {.name = "offset",
                .type = KeyType::duration,
                .description = "how far the clocks are off; negative is behind (\"-10s\")",
                .default_value = "\"0s\"",
                .minimum = "-8760h",
                .maximum = "8760h"},
               {.name = "drift",
                .type = KeyType::number,
                .description = "how much faster the clocks run: 0.001 is 0.1% fast; needed "
                               "unless 'offset' is given",
                .default_value = "0",
                .minimum = "-0.5",
                .maximum = "10"}},
      .family = FaultFamily::clock,
      // Its clock is libfaketime's, preloaded into the services as they start.
      .needs_own_services = true,
      .read = read,
      .plan = plan,
      .describe = describe_in_region,
  };
  return kind;
}

}  // namespace faultline
