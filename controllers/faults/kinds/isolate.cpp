// isolate: one region cut off from all others, both ways: a partition whose
// groups are the region and everyone else.
#include "controllers/faults/kinds/common.hpp"

namespace faultline {

namespace {

using namespace fault_kinds;

void read(const FaultTable& in, FaultSpec& f) {
  read_mode(in, f);
  read_region(in, f);
  if (!f.region.empty()) {
    const Experiment& e = in.experiment;
    if (e.regions.size() < 2)
      in.reader.error(f.where, "isolating a region needs at least two regions");
    std::vector<std::string> others;
    for (const auto& region : e.regions)
      if (region.name != f.region) others.push_back(region.name);
    f.groups = {{f.region}, others};
  }
  read_ports(in, f);
  if (f.ports && f.prohibit)
    in.reader.error(*in.table.get("mode"),
                    "a partition narrowed to ports drops packets: remove 'mode = \"prohibit\"'");
}

}  // namespace

const FaultKind& isolate_fault() {
  static const FaultKind kind{
      .name = "isolate",
      .summary = "one region cannot reach any other, nor they it",
      .keys = keys_of({region_key("the region cut off from all others"), mode_key()},
                      port_keys("the cut")),
      .family = FaultFamily::network,
      .needs_nftables = cut_needs_nftables,
      .read = read,
      .plan = plan_cut,
      .describe = describe_in_region,
  };
  return kind;
}

}  // namespace faultline
