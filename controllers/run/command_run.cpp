#include "controllers/run/command_run.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "controllers/run/interrupt.hpp"
#include "controllers/services/service_process.hpp"

namespace faultline {

namespace {

std::string head_of(const std::string& path, std::size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text(bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(bytes));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

}  // namespace

CommandOutcome run_command(const CommandRun& run, const injector::NamespaceFd& netns) {
  const std::vector<std::string> args(run.argv.begin() + 1, run.argv.end());
  ServiceProcess process(run.label, run.argv.at(0), args, netns, run.log_path);
  if (run.user != "root") {
    try {
      process.run_as(run.user);
    } catch (const std::exception&) {
      throw std::runtime_error(run.label + ": no user '" + run.user +
                               "' on this machine; create it or choose another 'user'");
    }
  }
  // Enough for what the history keeps, and a bound on a chatty program.
  process.limit_log(1 << 20);
  CommandOutcome outcome;
  outcome.timeout = run.timeout;
  process.start();
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + run.timeout;
  while (process.running()) {
    if (interrupt_requested()) {
      process.kill();
      throw Interrupted();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      process.kill();  // the process group: what it started goes too
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  process.running();  // the log is whole once its pump has stopped
  outcome.exit = process.exit_code();
  outcome.ended = process.exit_status();
  // A little more than the history keeps, so that the cut falls on a
  // character boundary of the program's text, not of the file.
  outcome.output = head_of(run.log_path, kCommandOutputLimit + 4);
  // Everything after the start, so that what the nemesis counts as late is
  // only what came before it.
  outcome.ran = std::chrono::steady_clock::now() - started;
  return outcome;
}

}  // namespace faultline
