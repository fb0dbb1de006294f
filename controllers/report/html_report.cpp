#include "controllers/report/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <unordered_map>

#include "controllers/experiment/parse.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/report/junit.hpp"
#include "controllers/report/series_charts.hpp"
#include "controllers/report/svg_chart.hpp"

namespace faultline {

namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#e4572e", "#17a34a", "#9333ea",
                                    "#0891b2", "#ca8a04", "#db2777", "#4b5563"};

double median(std::vector<double>& v) {
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// A witness window (the linearizable checker's) as a person reasons about
// it: one row per process, each operation a bar from its invocation to its
// completion (an info one runs off the right edge: it may take effect any
// time after), the operation with no legal place in red.
std::string interval_timeline_svg(const nlohmann::json& window) {
  if (!window.is_array() || window.empty()) return "";
  std::map<std::int64_t, int> rows;
  double lo = 1e300, hi = -1e300;
  for (const auto& op : window) {
    rows.emplace(op.value("process", std::int64_t{0}), 0);
    const double start = op.value("invoked_ns", 0.0);
    lo = std::min(lo, start);
    hi = std::max(hi, op["completed_ns"].is_number() ? op["completed_ns"].get<double>() : start);
  }
  int row = 0;
  for (auto& [process, r] : rows) r = row++;
  const double span = std::max(hi - lo, 1.0) * 1.15;
  constexpr int kLabel = 90, kWidth = 900, kRow = 28;
  auto x = [&](double ns) { return kLabel + (ns - lo) / span * (kWidth - kLabel - 10); };
  std::ostringstream svg;
  const int height = row * kRow + 30;
  svg << "<svg class=\"chart\" viewBox=\"0 0 " << kWidth << " " << height << "\" width=\"" << kWidth
      << "\" height=\"" << height << "\" role=\"img\" aria-label=\"witness timeline\">\n";
  for (const auto& [process, r] : rows)
    svg << "<text x=\"4\" y=\"" << r * kRow + 19 << "\">process " << process << "</text>\n";
  for (const auto& op : window) {
    const int r = rows[op.value("process", std::int64_t{0})];
    const double x0 = x(op.value("invoked_ns", 0.0));
    const bool open = !op["completed_ns"].is_number();
    const double x1 = open ? kWidth - 4 : std::max(x(op["completed_ns"].get<double>()), x0 + 3);
    const bool culprit = op.value("culprit", false);
    std::string label = op.value("f", std::string());
    auto text = [](const nlohmann::json& v) { return v.is_null() ? std::string("nil") : v.dump(); };
    if (label == "cas")
      label += " " + text(op["value"]) + "\u2192" + text(op["new"]);
    else
      label += " " + text(op["value"]);
    svg << "<rect x=\"" << fmt(x0, 1) << "\" y=\"" << r * kRow + 5 << "\" width=\"" << fmt(x1 - x0, 1)
        << "\" height=\"18\" rx=\"3\" fill=\"" << (culprit ? "#dc2626" : open ? "#e5e7eb" : "#93c5fd")
        << "\"" << (open ? " stroke=\"#6b7280\" stroke-dasharray=\"4 3\"" : "") << "><title>"
        << xml_escape(label) << (open ? " (info: may take effect any time after)" : "") << "</title></rect>\n"
        << "<text x=\"" << fmt(x0 + 3, 1) << "\" y=\"" << r * kRow + 18 << "\" font-size=\"11\">"
        << xml_escape(label) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace


const char* region_colour(std::size_t index) {
  return kPalette[index % (sizeof kPalette / sizeof kPalette[0])];
}

std::string render_html(const Experiment& e, const Verdict& verdict,
                        const std::vector<Operation>& history) {
  return render_html(e, verdict, [&](const std::function<void(const Operation&)>& visit) {
    for (const auto& op : history) visit(op);
  });
}

std::string render_html(const Experiment& e, const Verdict& verdict, const OperationSource& history) {
  std::map<std::string, std::size_t> region_index;
  for (std::size_t i = 0; i < e.regions.size(); ++i) region_index[e.regions[i].name] = i;

  // Fault windows from the nemesis records; an info completion (a command
  // fault's program that failed) happened too.
  std::vector<FaultWindow> windows;
  std::map<std::int64_t, std::size_t> open;
  double end_s = e.duration.count() / 1000.0;
  history([&](const Operation& op) {
    end_s = std::max(end_s, op.time / 1e9);
    if (op.process != kNemesisProcess || (op.type != OpType::ok && op.type != OpType::info) ||
        !op.value.is_object())
      return;
    const auto index = op.value.value("fault", std::int64_t{-1});
    if (is_nemesis_start(op.f)) {
      open[index] = windows.size();
      windows.push_back({op.value.value("what", op.f), op.time / 1e9, -1});
    } else if (is_nemesis_stop(op.f)) {
      if (auto it = open.find(index); it != open.end()) windows[it->second].stop_s = op.time / 1e9;
    }
  });

  // Latency (ms, by invocation time, 250 ms buckets) and throughput (per 1 s).
  constexpr double kLatencyBucket = 0.25;
  const std::size_t regions = e.regions.size();
  const std::size_t lat_buckets = static_cast<std::size_t>(end_s / kLatencyBucket) + 1;
  const std::size_t tput_buckets = static_cast<std::size_t>(end_s) + 1;
  std::vector<std::vector<std::vector<double>>> latency(
      regions, std::vector<std::vector<double>>(lat_buckets));
  std::vector<std::vector<double>> ok_per_s(regions, std::vector<double>(tput_buckets));
  std::vector<std::vector<double>> err_per_s(regions, std::vector<double>(tput_buckets));
  std::unordered_map<std::int64_t, std::int64_t> invoked;
  std::vector<double> all_latencies;
  history([&](const Operation& op) {
    if (op.process == kNemesisProcess || !is_client_data_op(op.f)) return;
    if (op.type == OpType::invoke) {
      invoked[op.process] = op.time;
      return;
    }
    auto r = region_index.find(op.region);
    auto inv = invoked.find(op.process);
    if (r == region_index.end() || inv == invoked.end()) return;
    const double at = inv->second / 1e9;
    const auto second = std::min(tput_buckets - 1, static_cast<std::size_t>(at));
    if (op.type == OpType::ok) {
      const double ms = (op.time - inv->second) / 1e6;
      latency[r->second][std::min(lat_buckets - 1, static_cast<std::size_t>(at / kLatencyBucket))]
          .push_back(ms);
      all_latencies.push_back(ms);
      ok_per_s[r->second][second] += 1;
    } else {
      err_per_s[r->second][second] += 1;
    }
  });
  double y_latency = 1;
  if (!all_latencies.empty()) {
    std::sort(all_latencies.begin(), all_latencies.end());
    y_latency = all_latencies[std::min(all_latencies.size() - 1, all_latencies.size() * 99 / 100)];
    y_latency = std::max(1.0, y_latency * 1.15);
  }
  double y_tput = 1;
  for (std::size_t r = 0; r < regions; ++r)
    for (std::size_t s = 0; s < tput_buckets; ++s)
      y_tput = std::max({y_tput, ok_per_s[r][s], err_per_s[r][s]});

  Chart lat("Latency: median per 250 ms, by region", "ms", end_s, y_latency);
  Chart tput("Throughput: successful (solid) and failed (dashed) operations per second", "ops/s",
             end_s, y_tput * 1.1);
  for (const auto& w : windows) {
    lat.shade(w);
    tput.shade(w);
  }
  for (std::size_t r = 0; r < regions; ++r) {
    std::vector<std::pair<double, double>> lp, op, ep;
    for (std::size_t b = 0; b < lat_buckets; ++b)
      if (!latency[r][b].empty()) lp.emplace_back((b + 0.5) * kLatencyBucket, median(latency[r][b]));
    for (std::size_t s = 0; s < tput_buckets; ++s) {
      op.emplace_back(s + 0.5, ok_per_s[r][s]);
      if (err_per_s[r][s] > 0 || (s > 0 && err_per_s[r][s - 1] > 0)) ep.emplace_back(s + 0.5, err_per_s[r][s]);
    }
    const std::string name = e.regions[r].name;
    lat.line(lp, region_colour(r), name);
    tput.line(op, region_colour(r), name + " ok");
    tput.line(ep, region_colour(r), name + " failed", true);
  }
  for (const auto& result : verdict.results)
    if (result.validity == Validity::violated)
      for (const auto& op : result.witness) {
        lat.mark(op.time / 1e9, result.invariant + ": " + to_json(op).dump());
        tput.mark(op.time / 1e9, result.invariant);
      }

  const Validity overall = verdict.overall();
  const char* overall_class = overall == Validity::holds      ? "holds"
                              : overall == Validity::violated ? "violated"
                                                              : "unknown";
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>faultline: " << xml_escape(e.name) << " " << validity_name(overall) << "</title>\n"
      << "<style>\n"
         "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:940px;color:#1f2937}\n"
         "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
         ".badge{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}\n"
         ".holds{background:#15803d}.violated{background:#b91c1c}.unknown{background:#b45309}\n"
         "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e5e7eb;"
         "padding:4px 6px;text-align:left;vertical-align:top}\n"
         "code,pre{font:12px ui-monospace,monospace}pre{white-space:pre-wrap;background:#f9fafb;"
         "padding:6px;margin:4px 0}\n"
         ".chart .fault{fill:#fbbf24;fill-opacity:.28}.chart .violation{stroke:#dc2626;"
         "stroke-width:1.5;stroke-dasharray:3 2}\n"
         ".chart .grid{stroke:#e5e7eb}.chart .frame{fill:none;stroke:#9ca3af}"
         ".chart .tick{font-size:11px;fill:#4b5563}.chart .title{font-size:13px;font-weight:600}\n"
         ".chart .note{font-size:12px;fill:#6b7280}h3 .badge{font-size:12px}.quiet{color:#6b7280}\n"
         ".legend span{display:inline-block;margin-right:14px}.swatch{display:inline-block;"
         "width:14px;height:4px;margin-right:4px;vertical-align:middle}\n"
         "</style>\n</head>\n<body>\n";
  out << "<h1>" << xml_escape(e.name) << " <span class=\"badge " << overall_class << "\">"
      << validity_name(overall) << "</span></h1>\n"
      << "<p>" << xml_escape(e.description) << "</p>\n"
      << "<p>run <code>" << xml_escape(verdict.run_id) << "</code>, seed " << verdict.seed
      << ", duration " << format_duration(e.duration) << ", exit code " << verdict.exit_code();
  if (verdict.run.contains("engine") && verdict.run["engine"] != "none")
    out << ", traffic faults by <code>" << xml_escape(verdict.run["engine"].get<std::string>())
        << "</code>";
  out << ", commit <code>" << xml_escape(commit_under_test()) << "</code></p>\n";

  out << "<h2>Invariants</h2>\n<table>\n<tr><th>invariant</th><th>result</th><th>summary</th><th>judged</th></tr>\n";
  for (const auto& r : verdict.results)
    out << "<tr><td>" << xml_escape(r.invariant) << "</td><td><span class=\"badge "
        << validity_name(r.validity) << "\">" << validity_name(r.validity) << "</span></td><td>"
        << xml_escape(r.summary) << "</td><td>" << xml_escape(judged_text(r)) << "</td></tr>\n";
  out << "</table>\n";

  out << "<h2>Over time</h2>\n<p class=\"legend\">";
  for (std::size_t r = 0; r < regions; ++r)
    out << "<span><i class=\"swatch\" style=\"background:" << region_colour(r) << "\"></i>"
        << xml_escape(e.regions[r].name) << "</span>";
  out << "<span><i class=\"swatch\" style=\"background:#fbbf24;height:10px;opacity:.5\"></i>fault"
         "</span><span><i class=\"swatch\" style=\"background:#dc2626\"></i>witness of a "
         "violation</span></p>\n"
      << lat.svg() << tput.svg() << render_series_section(e, verdict, windows, end_s);

  bool any_witness = false;
  for (const auto& r : verdict.results)
    if (r.validity == Validity::violated && !r.witness.empty()) {
      if (!any_witness) out << "<h2>Witnesses</h2>\n";
      any_witness = true;
      out << "<h3>" << xml_escape(r.invariant) << "</h3>\n<p>" << xml_escape(r.summary) << "</p>\n";
      if (r.details.is_object() && r.details.contains("witness") && r.details["witness"].is_object() &&
          r.details["witness"].contains("window"))
        out << interval_timeline_svg(r.details["witness"]["window"]);
      out << "<table>\n<tr><th>time</th><th>region</th><th>process</th><th>type</th>"
             "<th>f</th><th>value</th><th>served by</th><th>error</th></tr>\n";
      for (const auto& op : r.witness)
        out << "<tr><td>" << fmt(op.time / 1e9, 3) << "s</td><td>" << xml_escape(op.region)
            << "</td><td>" << (op.process == kNemesisProcess ? "nemesis" : std::to_string(op.process))
            << "</td><td>" << op_type_name(op.type) << "</td><td>" << xml_escape(op.f)
            << "</td><td><code>" << xml_escape(op.value.dump()) << "</code></td><td>"
            << xml_escape(op.served_by) << "</td><td>" << xml_escape(op.error) << "</td></tr>\n";
      out << "</table>\n";
    }

  out << "<h2>Faults</h2>\n<table>\n<tr><th>fault</th><th>from</th><th>to</th></tr>\n";
  for (const auto& w : windows)
    out << "<tr><td>" << xml_escape(w.what) << "</td><td>" << fmt(w.start_s, 3) << "s</td><td>"
        << (w.stop_s < 0 ? std::string(kHealF) : fmt(w.stop_s, 3) + "s") << "</td></tr>\n";
  if (windows.empty()) out << "<tr><td colspan=\"3\">none</td></tr>\n";
  out << "</table>\n";

  out << "<h2>Topology</h2>\n<table>\n<tr><th>region</th><th>geo</th><th>failover</th>"
         "<th>services</th></tr>\n";
  std::string services;
  for (const auto& s : e.services) services += (services.empty() ? "" : ", ") + s.name + " on " + s.host;
  for (std::size_t r = 0; r < regions; ++r)
    out << "<tr><td><i class=\"swatch\" style=\"background:" << region_colour(r) << "\"></i>"
        << xml_escape(e.regions[r].name) << "</td><td>" << xml_escape(e.regions[r].geo)
        << "</td><td>" << xml_escape(e.regions[r].failover) << "</td><td>" << xml_escape(services)
        << "</td></tr>\n";
  out << "</table>\n<p>Region <i>i</i> is 198.18.<i>i</i>.0/24 and 2001:2:0:<i>i</i>::/64; "
         "the regions meet on a backbone, 198.19.0.0/24. Workload: "
      << e.workload.clients_per_region << " clients per region, " << fmt(e.workload.rate, 0)
      << " operations/s in all, "
      << (e.workload.data == WorkloadData::customers ? "customers' data" : "global keys")
      << ".</p>\n</body>\n</html>\n";
  return out.str();
}

}  // namespace faultline
