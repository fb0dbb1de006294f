#include "controllers/report/series_charts.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "controllers/report/html_report.hpp"
#include "controllers/report/junit.hpp"

namespace faultline {

namespace {

// Labels that are not regions (customers, keys) take these, by position; the
// folded "N others" line is grey.
constexpr const char* kLabelPalette[] = {"#0f766e", "#c2410c", "#7c3aed", "#be123c",
                                         "#4d7c0f", "#0369a1", "#a16207", "#6b21a8"};
constexpr const char* kOthersColour = "#9ca3af";

std::vector<const char*> colours_of(const Experiment& e, const Series& s) {
  std::vector<const char*> colours;
  std::size_t other = 0;
  for (const auto& line : s.lines) {
    const char* colour = nullptr;
    for (std::size_t r = 0; r < e.regions.size(); ++r)
      if (e.regions[r].name == line.label) colour = region_colour(r);
    if (colour == nullptr)
      colour = line.label.ends_with(" others")
                   ? kOthersColour
                   : kLabelPalette[other++ % (sizeof kLabelPalette / sizeof kLabelPalette[0])];
    colours.push_back(colour);
  }
  return colours;
}

std::string bucket_text(std::int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

std::string value_text(double v) {
  return fmt(v, v >= 10 || v == static_cast<double>(static_cast<long long>(v)) ? 0 : 1);
}

// Lines of regions in the experiment's order, then the others by label, the
// folded "N others" last.
Series in_region_order(const Experiment& e, Series s) {
  auto rank = [&](const SeriesLine& line) {
    for (std::size_t r = 0; r < e.regions.size(); ++r)
      if (e.regions[r].name == line.label) return r;
    return line.label.ends_with(" others") ? e.regions.size() + 1 : e.regions.size();
  };
  std::stable_sort(s.lines.begin(), s.lines.end(),
                   [&](const SeriesLine& a, const SeriesLine& b) { return rank(a) < rank(b); });
  return s;
}

// The series' lines on a chart: stacked bars per bucket for counted events, a
// step line per label for magnitudes.
void draw_lines(const Series& s, const std::vector<const char*>& colours, Chart& chart) {
  const bool sum = s.fold == SeriesFold::sum;
  const double bucket_s = s.bucket_ms / 1000.0;
  if (sum) {
    std::map<std::int64_t, double> base;
    for (std::size_t i = 0; i < s.lines.size(); ++i)
      for (const auto& [t, v] : s.lines[i].points) {
        double& below = base[t];
        const double t_s = t / 1000.0;
        chart.bar(t_s, t_s + bucket_s, below, below + v, colours[i],
                  (s.lines[i].label.empty() ? "" : s.lines[i].label + ": ") + value_text(v) + " " +
                      s.unit + " at " + fmt(t_s, 2) + "s");
        below += v;
      }
  } else {
    // A step line across each run of consecutive buckets; 0 between runs.
    for (std::size_t i = 0; i < s.lines.size(); ++i) {
      const auto& points = s.lines[i].points;
      std::vector<std::pair<double, double>> run;
      for (std::size_t p = 0; p < points.size(); ++p) {
        const double t_s = points[p].first / 1000.0;
        run.emplace_back(t_s, points[p].second);
        run.emplace_back(t_s + bucket_s, points[p].second);
        if (p + 1 == points.size() || points[p + 1].first != points[p].first + s.bucket_ms) {
          chart.line(run, colours[i],
                     (s.lines[i].label.empty() ? "" : s.lines[i].label + ": ") + "up to " +
                         value_text(s.lines[i].total) + " " + s.unit);
          run.clear();
        }
      }
    }
  }
}

}  // namespace

std::string render_series_chart(const Experiment& e, const Series& unordered,
                                const std::vector<FaultWindow>& windows, double end_s) {
  const Series s = in_region_order(e, unordered);
  // Nothing happened (no line, or only zeros): a sentence says it in less
  // room than an empty chart, with the instants it would have marked.
  bool all_zero = true;
  for (const auto& line : s.lines) all_zero = all_zero && line.total == 0;
  if (all_zero) {
    std::string marks;
    for (const auto& m : s.marks)
      marks += (marks.empty() ? " (" : "; ") + m.label + " at " + fmt(m.t_ms / 1000.0, 3) + "s";
    if (!marks.empty()) marks += ")";
    return "<p class=\"quiet\" data-series=\"" + xml_escape(s.title) + "\">" + xml_escape(s.title) +
           ": none over the whole run" + xml_escape(marks) + ".</p>\n";
  }
  const bool sum = s.fold == SeriesFold::sum;
  // The y axis: the tallest stack (events) or the largest value (magnitudes).
  std::map<std::int64_t, double> stacks;
  double y_max = 0;
  for (const auto& line : s.lines)
    for (const auto& [t, v] : line.points) {
      if (sum) y_max = std::max(y_max, stacks[t] += v);
      else y_max = std::max(y_max, v);
    }
  const std::string title =
      s.title + (sum ? " (per " : " (the largest per ") + bucket_text(s.bucket_ms) + ")";
  const std::vector<const char*> colours = colours_of(e, s);
  auto draw = [&](Chart& chart) {
    for (const auto& w : windows) chart.shade(w);
    draw_lines(s, colours, chart);
    for (const auto& m : s.marks)
      chart.mark(m.t_ms / 1000.0, m.label + " at " + fmt(m.t_ms / 1000.0, 3) + "s");
  };
  Chart chart(title, s.unit, end_s, y_max > 0 ? y_max * 1.1 : 1, Chart::kSmall, sum);
  draw(chart);
  // All of it within a tenth of a long run (convergence in the final reads, a
  // burst of lost writes): a close-up beside the shared axis, or it is a sliver.
  double lo = end_s, hi = 0;
  for (const auto& line : s.lines)
    for (const auto& [t, v] : line.points) {
      lo = std::min(lo, t / 1000.0);
      hi = std::max(hi, (t + s.bucket_ms) / 1000.0);
    }
  for (const auto& m : s.marks) {
    lo = std::min(lo, m.t_ms / 1000.0);
    hi = std::max(hi, m.t_ms / 1000.0);
  }
  std::string close_up;
  if (end_s >= 10 && hi > lo && hi - lo < end_s / 10) {
    const double pad = std::max(0.5, (hi - lo) * 0.25);
    Chart close(s.title + ", close up: " + fmt(std::max(0.0, lo - pad), 1) + "s to " +
                    fmt(hi + pad, 1) + "s",
                s.unit, hi + pad, y_max > 0 ? y_max * 1.1 : 1, Chart::kSmall, sum);
    close.zoom(std::max(0.0, lo - pad));
    draw(close);
    close_up = close.svg();
  }
  std::ostringstream out;
  out << chart.svg() << close_up;
  if (!s.lines.empty() || !s.marks.empty()) {
    out << "<p class=\"legend\">";
    for (std::size_t i = 0; i < s.lines.size(); ++i)
      out << "<span><i class=\"swatch\" style=\"background:" << colours[i] << "\"></i>"
          << (s.lines[i].label.empty() ? "" : xml_escape(s.lines[i].label) + ": ")
          << (sum || !s.total_what.empty() ? "" : "up to ") << value_text(s.lines[i].total) << " "
          << xml_escape(s.total_what.empty() ? s.unit : s.total_what)
          << "</span>";
    if (!s.marks.empty()) {
      out << "<span><i class=\"swatch\" style=\"background:#dc2626\"></i>";
      for (std::size_t m = 0; m < s.marks.size() && m < 3; ++m)
        out << (m ? "; " : "") << xml_escape(s.marks[m].label) << " at "
            << fmt(s.marks[m].t_ms / 1000.0, 3) << "s";
      const std::size_t more = s.marks.size() - std::min<std::size_t>(3, s.marks.size()) + s.marks_left_off;
      if (more > 0) out << "; " << more << " more";
      out << "</span>";
    }
    out << "</p>\n";
  }
  return out.str();
}

std::string render_series_section(const Experiment& e, const Verdict& verdict,
                                  const std::vector<FaultWindow>& windows, double end_s) {
  bool any = false;
  for (const auto& r : verdict.results) any = any || !r.series.empty();
  if (!any) return "";
  std::ostringstream out;
  out << "<h2>What each invariant judged, over time</h2>\n"
         "<p>On the time axis of the charts above, the fault windows shaded; bars count events "
         "per bucket, stacked by region or customer, and lines show the largest value in each "
         "bucket.</p>\n";
  for (const auto& r : verdict.results) {
    if (r.series.empty()) continue;
    out << "<div class=\"judged\" data-invariant=\"" << xml_escape(r.invariant) << "\">\n<h3>"
        << xml_escape(r.invariant) << " <span class=\"badge " << validity_name(r.validity) << "\">"
        << validity_name(r.validity) << "</span></h3>\n<p>" << xml_escape(r.summary) << "</p>\n";
    for (const auto& s : r.series) out << render_series_chart(e, s, windows, end_s);
    out << "</div>\n";
  }
  return out.str();
}

}  // namespace faultline
