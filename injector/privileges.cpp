#include "injector/privileges.hpp"

#include <linux/capability.h>

#include <fstream>
#include <string>

namespace faultline::injector {

namespace {

struct Need {
  int bit;
  Privilege privilege;
  bool compose;  // also needed by the compose provider
};

const Need kNeeds[] = {
    {CAP_SYS_ADMIN, {"CAP_SYS_ADMIN", "cap_sys_admin", "to create and enter network namespaces"}, true},
    {CAP_NET_ADMIN, {"CAP_NET_ADMIN", "cap_net_admin", "for links, routes, qdiscs and nf_tables rules"}, true},
    {CAP_SYS_PTRACE, {"CAP_SYS_PTRACE", "cap_sys_ptrace", "to open other users' /proc/PID/ns/net"}, true},
    {CAP_DAC_OVERRIDE, {"CAP_DAC_OVERRIDE", "cap_dac_override", "to write /run/netns and /run/faultline"}, true},
    {CAP_SETUID, {"CAP_SETUID", "cap_setuid", "to start services as an unprivileged user"}, false},
    {CAP_SETGID, {"CAP_SETGID", "cap_setgid", "to start services with that user's group"}, false},
    {CAP_KILL, {"CAP_KILL", "cap_kill", "to stop, pause and kill those services"}, false},
    {CAP_CHOWN, {"CAP_CHOWN", "cap_chown", "to give a service its working folder"}, false},
};

}  // namespace

unsigned long long effective_capabilities() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

std::vector<Privilege> missing_privileges(unsigned long long effective, bool compose) {
  std::vector<Privilege> missing;
  for (const auto& need : kNeeds)
    if ((!compose || need.compose) && (effective & (1ULL << need.bit)) == 0)
      missing.push_back(need.privilege);
  return missing;
}

std::string describe_missing(const std::vector<Privilege>& missing, const std::string& program) {
  std::string list, names;
  for (const auto& p : missing) {
    list += (list.empty() ? "" : ", ") + std::string(p.capability) + " (" + p.why + ")";
    names += (names.empty() ? "" : ",") + std::string(p.name);
  }
  return "faultline run lacks " + list +
         "; nothing was created. Run it as root (sudo " + program +
         " run ...), or grant the program what it lacks (sudo setcap " + names + "+ep " + program +
         ")";
}

}  // namespace faultline::injector
