#pragma once
// report.html: one self-contained page (inline CSS and SVG, no script, no
// network at view time) for a person deciding whether a release ships: the
// verdict, each invariant with its witness operations, per-region latency
// and throughput over time with the fault windows shaded and violations
// marked, and what the experiment and its topology were.
#include <functional>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/history/history.hpp"
#include "controllers/report/verdict.hpp"

namespace faultline {

// Visits every operation of a history, in order; may be called more than once
// (the report reads the history twice without holding it).
using OperationSource = std::function<void(const std::function<void(const Operation&)>&)>;

std::string render_html(const Experiment& e, const Verdict& verdict, const OperationSource& history);
std::string render_html(const Experiment& e, const Verdict& verdict,
                        const std::vector<Operation>& history);

// The colour each region's series is drawn in, by the region's position.
const char* region_colour(std::size_t index);

}  // namespace faultline
