#pragma once
// report.html's "What each invariant judged" section: per invariant, one
// small chart per Series its checker filled (series.hpp), on the time axis of
// the latency and throughput charts, with the fault windows shaded. Counted
// events are stacked bars per bucket, one colour per label; magnitudes are a
// step line per label.
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/report/svg_chart.hpp"
#include "controllers/report/verdict.hpp"

namespace faultline {

std::string render_series_section(const Experiment& e, const Verdict& verdict,
                                  const std::vector<FaultWindow>& windows, double end_s);

// One series as a chart (svg and its legend), for the section and its tests.
std::string render_series_chart(const Experiment& e, const Series& s,
                                const std::vector<FaultWindow>& windows, double end_s);

}  // namespace faultline
