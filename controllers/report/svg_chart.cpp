#include "controllers/report/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "controllers/report/junit.hpp"

namespace faultline {

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

Chart::Chart(std::string title, std::string y_label, double x_max, double y_max, int height,
             bool counts)
    : title_(std::move(title)), y_label_(std::move(y_label)), x_max_(std::max(x_max, 1.0)),
      y_max_(y_max > 0 ? y_max : 1), height_(height) {
  // Ticks a person reads at a glance: round numbers apart (1, 1.2, 1.5, 2, 2.5, ... times a
  // power of ten).
  const double step = y_max_ / ticks();
  const double magnitude = std::pow(10.0, std::floor(std::log10(step)));
  for (double nice : {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0})
    if (nice * magnitude >= step * (1 - 1e-9) &&
        (!counts || nice * magnitude == std::floor(nice * magnitude))) {
      y_max_ = nice * magnitude * ticks();
      break;
    }
}

double Chart::x(double t) const {
  return kLeft + kPlotW * std::clamp((t - x_min_) / (x_max_ - x_min_), 0.0, 1.0);
}
double Chart::y(double v) const {
  return kTop + plot_h() * (1 - std::clamp(v / y_max_, 0.0, 1.0));
}

void Chart::shade(const FaultWindow& w) {
  const double x0 = x(w.start_s), x1 = x(w.stop_s < 0 ? x_max_ : w.stop_s);
  body_ << "<rect class=\"fault\" x=\"" << fmt(x0) << "\" y=\"" << kTop << "\" width=\""
        << fmt(std::max(1.0, x1 - x0)) << "\" height=\"" << plot_h() << "\"><title>"
        << xml_escape(w.what) << "</title></rect>\n";
}

void Chart::line(const std::vector<std::pair<double, double>>& points, const char* colour,
                 const std::string& name, bool dashed) {
  if (points.empty()) return;
  body_ << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2.5\""
        << (dashed ? " stroke-dasharray=\"5 3\"" : "") << " points=\"";
  for (const auto& [px, py] : points) body_ << fmt(x(px)) << "," << fmt(y(py)) << " ";
  body_ << "\"><title>" << xml_escape(name) << "</title></polyline>\n";
}

void Chart::bar(double x0, double x1, double y0, double y1, const char* colour,
                const std::string& name) {
  const double left = x(x0), right = x(x1), top = y(y1), bottom = y(y0);
  body_ << "<rect class=\"bar\" x=\"" << fmt(left) << "\" y=\"" << fmt(top) << "\" width=\""
        << fmt(std::max(1.0, right - left)) << "\" height=\"" << fmt(std::max(1.0, bottom - top))
        << "\" fill=\"" << colour << "\"><title>" << xml_escape(name) << "</title></rect>\n";
}

void Chart::mark(double t, const std::string& label) {
  body_ << "<line class=\"violation\" x1=\"" << fmt(x(t)) << "\" x2=\"" << fmt(x(t)) << "\" y1=\""
        << kTop << "\" y2=\"" << kTop + plot_h() << "\"><title>" << xml_escape(label)
        << "</title></line>\n";
}

std::string Chart::svg() const {
  std::ostringstream out;
  out << "<svg class=\"chart\" viewBox=\"0 0 " << kWidth << " " << height_ << "\" width=\""
      << kWidth << "\" height=\"" << height_ << "\" role=\"img\" aria-label=\""
      << xml_escape(title_) << "\">\n"
      << "<text x=\"" << kLeft << "\" y=\"18\" class=\"title\">" << xml_escape(title_)
      << "</text>\n";
  // Axes and grid.
  for (int i = 0; i <= ticks(); ++i) {
    const double v = y_max_ * i / ticks(), py = y(v);
    out << "<line class=\"grid\" x1=\"" << kLeft << "\" x2=\"" << kLeft + kPlotW << "\" y1=\""
        << fmt(py) << "\" y2=\"" << fmt(py) << "\"/>"
        << "<text class=\"tick\" x=\"" << kLeft - 6 << "\" y=\"" << fmt(py + 4)
        << "\" text-anchor=\"end\">" << fmt(v, v == std::floor(v) ? 0 : v * 10 == std::floor(v * 10) ? 1 : 2)
        << "</text>\n";
  }
  const double span = x_max_ - x_min_;
  const double step = span <= 2    ? 0.2
                      : span <= 5  ? 0.5
                      : span <= 20 ? 2
                      : span <= 60 ? 5
                      : span <= 300 ? 30
                                    : 60;
  double first = std::ceil(x_min_ / step - 1e-9) * step;
  if (first == 0) first = 0;  // not -0, which prints as "-0s"
  for (double t = first; t <= x_max_ + 1e-9; t += step)
    out << "<text class=\"tick\" x=\"" << fmt(x(t)) << "\" y=\"" << kTop + plot_h() + 16
        << "\" text-anchor=\"middle\">" << fmt(t, step < 1 ? 1 : 0) << "s</text>\n";
  out << "<text class=\"tick\" transform=\"translate(14 " << kTop + plot_h() / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(y_label_) << "</text>\n"
      << body_.str() << "<rect class=\"frame\" x=\"" << kLeft << "\" y=\"" << kTop
      << "\" width=\"" << kPlotW << "\" height=\"" << plot_h() << "\"/>\n</svg>\n";
  return out.str();
}

}  // namespace faultline
