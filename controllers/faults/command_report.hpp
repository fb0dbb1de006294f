#pragma once
// How a command fault's program is reported in the history: its exit status
// and the start of what it wrote, as fields of the nemesis operation's value
// ({"exit": 0, "output": "promoted\n"}), and whether it failed. Pure: the
// actuator runs the program (controllers/run/command_run.hpp) and hands the
// outcome here.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/faults/actuator.hpp"

namespace faultline {

// What of a command's output the history keeps; the whole of it is in the
// command's log in the results folder.
inline constexpr std::size_t kCommandOutputLimit = 4096;

struct CommandOutcome {
  std::optional<int> exit;  // none when a signal ended it (the timeout's kill among them)
  std::string output;       // stdout and stderr, interleaved as written
  std::string ended;        // "exit status 3", "killed by signal 9 (SIGKILL)"
  bool timed_out = false;
  Duration timeout{0};
  std::chrono::nanoseconds ran{0};  // from its start to its end, output read
};

// At most `limit` bytes of `raw`, cut at a character boundary, with every
// byte that is not UTF-8 replaced by U+FFFD: the history is JSON, which
// holds text only.
std::string bounded_output(std::string_view raw, std::size_t limit = kCommandOutputLimit);

// `which` names the program in the failure ("the command", "the at_end
// command"). A non-zero exit, a signal or the timeout is a failure.
StepReport command_report(const CommandOutcome& outcome, const std::string& which);

// The argv with the run's results folder where the plan left {results}.
std::vector<std::string> with_results(const std::vector<std::string>& argv,
                                      const std::string& results);

}  // namespace faultline
