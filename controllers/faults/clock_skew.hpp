#pragma once
// Clock faults. Every network namespace shares the host's one system clock,
// so a region's clock is skewed inside its processes instead: its services
// run with libfaketime preloaded, reading their offset from a file that the
// controller rewrites when a clock-skew fault starts and ends. Monotonic
// clocks stay real, so timeouts inside the services keep working.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

// libfaketime's thread-safe library, or nothing when it is not installed.
std::optional<std::string> find_libfaketime();

// The environment a service needs to follow `clock_file`.
std::vector<std::pair<std::string, std::string>> faketime_environment(
    const std::string& library, const std::string& clock_file);

// libfaketime's spec for an offset and drift: "-10.000 x1.000000".
std::string faketime_spec(Duration offset, double drift);

// Replaces the file's content atomically (write, then rename), so a service
// never reads half a spec.
void write_clock_file(const std::string& path, const std::string& spec);

}  // namespace faultline
