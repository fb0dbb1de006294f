#pragma once
// The keys of the experiment file's own sections: [experiment], [[region]],
// [[service]] (and its health table), [workload] and [wan]. Each is
// described, typed and bounded like a fault kind's or an invariant kind's
// keys: the readers refuse any key these tables do not hold, and the JSON
// Schema (schema.hpp) is generated from them, so the two cannot drift apart.
#include <string>
#include <vector>

#include "controllers/experiment/key_spec.hpp"

namespace faultline {

const std::vector<KeySpec>& experiment_section_keys();
const std::vector<KeySpec>& region_section_keys();
const std::vector<KeySpec>& service_section_keys();
// The keys of [workload] every client kind takes, and exec's own (program,
// args, user); the tables [workload.<client>] are the client kinds' keys.
const std::vector<KeySpec>& workload_section_keys();
const std::vector<KeySpec>& wan_section_keys();

std::vector<std::string> key_names(const std::vector<KeySpec>& keys);

}  // namespace faultline
