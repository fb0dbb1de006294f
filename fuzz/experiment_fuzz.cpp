// libFuzzer target: the experiment parser and validator on arbitrary bytes.
//
// Whatever the input, parse_experiment either returns an Experiment or throws
// ExperimentError (with file:line:col diagnostics). Any other exception, a
// crash, a hang or a sanitizer report is a bug. Programs resolve to
// themselves, so the fuzzer never touches the file system.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "controllers/experiment/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const faultline::ProgramResolver any = [](const std::string& program, const std::string&) {
    return std::optional<std::string>(program);
  };
  try {
    faultline::Experiment e = faultline::parse_experiment(text, "fuzz.toml", any, {{"extra", "1"}});
    (void)e.needs_netem();
    (void)e.has_traffic_faults();
  } catch (const faultline::ExperimentError& err) {
    if (err.diagnostics().empty()) {
      std::fprintf(stderr, "ExperimentError without a diagnostic\n");
      std::abort();
    }
  }
  return 0;
}
