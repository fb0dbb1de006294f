#pragma once
// Which of the privileges a run needs this process lacks, read from its
// effective capability set (/proc/self/status), so `faultline run` can say
// exactly what is missing, and how to get it, before it creates anything.
#include <string>
#include <vector>

namespace faultline::injector {

struct Privilege {
  const char* capability;  // "CAP_NET_ADMIN"
  const char* name;        // for setcap: "cap_net_admin"
  const char* why;         // "links, routes, qdiscs and nf_tables rules"
};

// The effective capability mask of this process (bit n = capability n).
unsigned long long effective_capabilities();

// The privileges a run needs (the compose provider needs fewer: it creates no
// namespace and starts no process) that `effective` lacks.
std::vector<Privilege> missing_privileges(unsigned long long effective, bool compose);

// One line: what is missing and the two ways to get it.
std::string describe_missing(const std::vector<Privilege>& missing, const std::string& program);

}  // namespace faultline::injector
