#pragma once
// The charts of report.html: inline SVG with time in seconds on x, drawn by
// string building alone (no script, nothing fetched). Every chart of a report
// shares one time axis (0 to the run's end) and one width, so a fault window
// or a violation lines up from the latency chart down to each invariant's.
#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace faultline {

std::string fmt(double v, int decimals = 1);

struct FaultWindow {
  std::string what;
  double start_s = 0, stop_s = -1;  // stop < 0: never healed
};

class Chart {
 public:
  static constexpr int kTall = 280, kSmall = 190;
  // `counts`: y counts whole things (reads, customers), so its ticks are whole.
  Chart(std::string title, std::string y_label, double x_max, double y_max, int height = kTall,
        bool counts = false);

  // Shows only [from_s, x_max] (a close-up of a moment the shared axis
  // squeezes into a few pixels).
  void zoom(double from_s) { x_min_ = std::min(from_s, x_max_ - 0.1); }
  void shade(const FaultWindow& w);
  void line(const std::vector<std::pair<double, double>>& points, const char* colour,
            const std::string& name, bool dashed = false);
  // A bar from x0 to x1 (seconds), from y0 up to y1 (stacked bars start above 0).
  void bar(double x0, double x1, double y0, double y1, const char* colour, const std::string& name);
  void mark(double t, const std::string& label);
  std::string svg() const;

 private:
  static constexpr int kWidth = 900, kLeft = 60, kTop = 30, kPlotW = 820;
  int plot_h() const { return height_ - 70; }
  int ticks() const { return height_ < kTall ? 2 : 4; }
  double x(double t) const;
  double y(double v) const;

  std::string title_, y_label_;
  double x_min_ = 0, x_max_, y_max_;
  int height_;
  std::ostringstream body_;
};

}  // namespace faultline
