#pragma once
// Running one program of a command fault to its end, in a host: started as
// a service is (ServiceProcess: the host's network namespace, the user, a
// process group of its own, PR_SET_PDEATHSIG), stdout and stderr into a log
// in the results folder, waited for up to its timeout and then killed with
// its process group. The thread waits: the fault's operation completes when
// the program has (a later fault due meanwhile starts late, and says so).
#include <string>
#include <vector>

#include "controllers/faults/command_report.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

struct CommandRun {
  std::vector<std::string> argv;  // argv[0]: the program's absolute path
  std::string user = "nobody";
  Duration timeout{30000};
  std::string log_path;
  std::string label;  // "fault 2 (command)", for messages
};

// Throws when the program cannot be started (no such user, no fork), and
// Interrupted on Ctrl-C, having killed the program's process group first.
CommandOutcome run_command(const CommandRun& run, const injector::NamespaceFd& netns);

}  // namespace faultline
