// partition: regions in different groups cannot reach each other (routes in
// their routers, or nf_tables drop rules when narrowed to ports).
#include <set>

#include "controllers/faults/kinds/common.hpp"

namespace faultline {

namespace {

using namespace fault_kinds;

void read_groups(const FaultTable& in, FaultSpec& f) {
  Reader& r = in.reader;
  const toml::node* gnode = in.table.get("groups");
  const toml::array* groups = gnode ? gnode->as_array() : nullptr;
  if (gnode == nullptr) {
    r.error(f.where,
            "a partition needs 'groups', e.g. groups = [[\"us-east-1\"], [\"eu-west-1\"]]");
    return;
  }
  if (groups == nullptr || groups->size() < 2) {
    r.error(*gnode, "'groups' must be an array of at least two arrays of region names");
    return;
  }
  std::set<std::string> seen;
  for (const auto& g : *groups) {
    const toml::array* group = g.as_array();
    if (group == nullptr || group->empty()) {
      r.error(g, "each group must be a non-empty array of region names");
      continue;
    }
    std::vector<std::string> names;
    for (const auto& item : *group) {
      auto name = item.value<std::string>();
      if (!item.is_string() || !name) {
        r.error(item, "region names must be strings");
        continue;
      }
      if (!check_region(in, item, *name)) continue;
      if (!seen.insert(*name).second)
        r.error(item, "region '" + *name + "' is in more than one group");
      names.push_back(*name);
    }
    f.groups.push_back(names);
  }
}

void read(const FaultTable& in, FaultSpec& f) {
  read_mode(in, f);
  read_direction(in, f);
  read_groups(in, f);
  read_ports(in, f);
  if (f.ports && f.prohibit)
    in.reader.error(*in.table.get("mode"),
                    "a partition narrowed to ports drops packets: remove 'mode = \"prohibit\"'");
}

std::string describe(const FaultSpec& f) {
  std::string text = f.kind + " ";
  if (f.ports) text += "port " + describe_ports(*f.ports) + " ";
  for (size_t g = 0; g < f.groups.size(); ++g) {
    if (g) text += f.one_way ? " -/-> " : " | ";
    text += "[";
    for (size_t i = 0; i < f.groups[g].size(); ++i) text += (i ? "," : "") + f.groups[g][i];
    text += "]";
  }
  return text;
}

}  // namespace

const FaultKind& partition_fault() {
  static const FaultKind kind{
      .name = "partition",
      .summary = "regions in different groups cannot reach each other",
      .keys =
          keys_of({{.name = "groups",
                    .type = KeyType::string_lists,
                    .description = "at least two groups of regions, each cut off from the others",
                    .required = true},
                   direction_key("only the first group's packets to the others are dropped"),
                   mode_key()},
                  port_keys("the cut")),
      .family = FaultFamily::network,
      .needs_nftables = cut_needs_nftables,
      .read = read,
      .plan = plan_cut,
      .describe = describe,
  };
  return kind;
}

}  // namespace faultline
