// The traffic-control faults on WAN links: delay, loss, duplicate, reorder,
// corrupt and bandwidth. Each shapes the links `between` names (or every
// pair), narrowed to ports if asked; they share that scope and differ in the
// impairment they read.
#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/units.hpp"
#include "controllers/faults/kinds/common.hpp"

namespace faultline {

namespace {

using namespace fault_kinds;

// between, direction, port, ports, protocol: the keys every link fault takes.
std::vector<KeySpec> link_keys(const std::vector<KeySpec>& impairment) {
  return keys_of(
      keys_of({between_key(), direction_key("only traffic from the first region of 'between' to "
                                            "the second")},
              port_keys("the fault")),
      impairment);
}

// The scope, read the same for every link fault, then the impairment.
template <void (*read_impairment)(const FaultTable&, FaultSpec&)>
void read(const FaultTable& in, FaultSpec& f) {
  read_direction(in, f);
  read_ports(in, f);
  read_link(in, f);
  read_impairment(in, f);
}

std::vector<PlanStep> plan(const FaultPlanning& at, const FaultSpec& f) {
  return shape_steps(plan_link_fault(at.topology, f, at.experiment.wan));
}

FaultKind link_fault(std::string name, std::string summary, std::vector<KeySpec> impairment) {
  return {.name = std::move(name),
          .summary = std::move(summary),
          .keys = link_keys(impairment),
          .family = FaultFamily::traffic,
          .shapes = ShapedPath::wan_links,
          .plan = plan,
          .describe = describe_on_link};
}

void read_delay_impairment(const FaultTable& in, FaultSpec& f) {
  read_delay(in.reader, in.table, f.impairment, true);
}

void read_loss(const FaultTable& in, FaultSpec& f) {
  if (auto p = read_percent(in, f)) f.impairment.loss = *p;
  if (auto c = in.reader.number(in.table, "correlation", 0, 100))
    f.impairment.loss_correlation = *c;
}

void read_duplicate(const FaultTable& in, FaultSpec& f) {
  f.impairment.duplicate = read_percent(in, f).value_or(0);
}

void read_reorder(const FaultTable& in, FaultSpec& f) {
  if (auto p = read_percent(in, f)) f.impairment.reorder = *p;
  if (auto c = in.reader.number(in.table, "correlation", 0, 100))
    f.impairment.reorder_correlation = *c;
  // netem reorders by sending some packets at once while it delays the rest.
  if (auto d = in.reader.duration(in.table, "delay", Duration(1), Duration(60000), true))
    f.impairment.delay = *d;
}

void read_corrupt(const FaultTable& in, FaultSpec& f) {
  f.impairment.corrupt = read_percent(in, f).value_or(0);
}

void read_rate(const FaultTable& in, FaultSpec& f) {
  if (auto rate = in.reader.string(in.table, "rate", true)) {
    if (auto bits = parse_rate(*rate))
      f.impairment.rate_bits = *bits;
    else
      in.reader.error(*in.table.get("rate"),
                      "'rate' = \"" + *rate +
                          "\" is not a rate; write e.g. \"10mbit\", \"500kbit\" or \"1gbit\"");
  }
}

}  // namespace

const FaultKind& delay_fault() {
  static const FaultKind kind = [] {
    FaultKind k = link_fault("delay", "packets on the link wait 'delay', give or take 'jitter'",
                             delay_keys("how long each packet waits"));
    k.read = read<read_delay_impairment>;
    return k;
  }();
  return kind;
}

const FaultKind& loss_fault() {
  static const FaultKind kind = [] {
    FaultKind k = link_fault(
        "loss", "packets on the link are dropped at random",
        {percent_key("the percentage of packets dropped"),
         correlation_key("percent; how much each packet's fate follows the previous one's")});
    k.read = read<read_loss>;
    return k;
  }();
  return kind;
}

const FaultKind& duplicate_fault() {
  static const FaultKind kind = [] {
    FaultKind k = link_fault("duplicate", "packets on the link are sent twice",
                             {percent_key("the percentage of packets sent twice")});
    k.read = read<read_duplicate>;
    // The NFQUEUE engine can hold and drop packets but not copy them.
    k.netem_only = true;
    return k;
  }();
  return kind;
}

const FaultKind& reorder_fault() {
  static const FaultKind kind = [] {
    FaultKind k = link_fault(
        "reorder", "some packets on the link overtake others, which wait 'delay'",
        {percent_key("the percentage of packets sent at once, overtaking the delayed rest"),
         correlation_key("percent; how much each packet's fate follows the previous one's"),
         {.name = "delay",
          .type = KeyType::duration,
          .description = "how long the packets that are not sent at once wait",
          .minimum = "1ms",
          .maximum = "60s",
          .required = true}});
    k.read = read<read_reorder>;
    return k;
  }();
  return kind;
}

const FaultKind& corrupt_fault() {
  static const FaultKind kind = [] {
    FaultKind k = link_fault("corrupt", "a random bit of packets on the link flips",
                             {percent_key("the percentage of packets corrupted")});
    k.read = read<read_corrupt>;
    // The NFQUEUE engine can hold and drop packets but not rewrite them.
    k.netem_only = true;
    return k;
  }();
  return kind;
}

const FaultKind& bandwidth_fault() {
  static const FaultKind kind = [] {
    FaultKind k = link_fault("bandwidth", "the link is held to a rate",
                             {{.name = "rate",
                               .type = KeyType::string,
                               .description = "the link's rate in tc's units: \"64kbit\", "
                                              "\"10mbit\", \"1gbit\"",
                               .required = true}});
    k.read = read<read_rate>;
    return k;
  }();
  return kind;
}

}  // namespace faultline
