#pragma once
// The narrower versions of one fault that `faultline shrink` tries (its step
// 5), apart from running anything. A narrowing proposes, from the fault as it
// now is, alternatives in order; the search keeps the first that still fails
// and, while the narrowing has rounds left, asks it again from there. Each
// alternative costs a run, so they are few. In the order they are tried, per
// fault:
//
//   1. a region out of a group of several (partition; an isolate as the
//      partition it is: the region against all others);
//   2. one pair of regions for a link fault on every pair (delay, loss, ...),
//      at most three pairs tried, in the regions' order: each costs a run;
//   3. one way, then the other way (partition, isolate as a partition, link
//      faults with `between`; slow-db shapes one host's egress, so it has no
//      direction to narrow);
//   4. the fault's strength halved, at most three times: `delay` of delay and
//      slow-db (to 10 ms at least; `jitter` and what hangs on it dropped),
//      `percent` of loss, duplicate, reorder and corrupt and `loss` of slow-db
//      (to 1 at least), `offset` of clock-skew toward zero, its sign kept (to
//      100 ms at least).
//
// An isolate is narrowed only by becoming a partition, which the fault model
// takes as the same cut written out (`groups` = [[region], [the others]],
// mode and ports alike), so the narrower candidates are ordinary partitions;
// an isolate no narrower version of which fails stays as it was written.
// Kill, pause, restart, command faults and bandwidth have no scope or strength
// to narrow here.
#include <functional>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace faultline {

struct NarrowerFault {
  toml::table fault;
  std::string change;  // "without ap-south-1", "delay 50ms"
};

struct Narrowing {
  // How often it is asked at most, each time from the last narrower fault
  // that still failed; it ends sooner when none of its alternatives fails.
  int rounds = 1;
  std::function<std::vector<NarrowerFault>(const toml::table&)> alternatives;
};

// The narrowings every fault goes through, in order; those that do not apply
// to a fault's kind propose nothing. `regions` are the experiment's, in its
// order (an isolate's "others" and an every-pair link's pairs need them;
// without them those narrowings propose nothing).
std::vector<Narrowing> narrowings(const std::vector<std::string>& regions);

}  // namespace faultline
