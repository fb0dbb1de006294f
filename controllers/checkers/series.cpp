#include "controllers/checkers/series.hpp"

#include <algorithm>

#include "controllers/history/compact_history.hpp"

namespace faultline {

const char* series_fold_name(SeriesFold f) { return f == SeriesFold::sum ? "sum" : "max"; }

std::int64_t series_bucket_ms(std::int64_t end_ns) {
  const std::int64_t end_ms = std::max<std::int64_t>(0, end_ns / 1000000);
  const auto buckets = static_cast<std::int64_t>(kSeriesBuckets);
  const std::int64_t wanted = (end_ms + buckets - 1) / buckets;
  const std::int64_t steps = (wanted + kSeriesMinBucketMs - 1) / kSeriesMinBucketMs;
  return std::max<std::int64_t>(1, steps) * kSeriesMinBucketMs;
}

std::int64_t history_end_ns(const CompactHistory& history) {
  std::int64_t end = 0;
  for (const auto& op : history.ops()) end = std::max(end, op.time);
  return end;
}

nlohmann::json to_json(const Series& s) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& line : s.lines) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& [t, v] : line.points) points.push_back({t, v});
    lines.push_back({{"label", line.label}, {"total", line.total}, {"points", points}});
  }
  nlohmann::json marks = nlohmann::json::array();
  for (const auto& m : s.marks) marks.push_back({{"t_ms", m.t_ms}, {"label", m.label}});
  nlohmann::json j = {{"title", s.title}, {"unit", s.unit},   {"bucket_ms", s.bucket_ms},
                      {"fold", series_fold_name(s.fold)},     {"lines", lines},
                      {"marks", marks}};
  if (s.marks_left_off > 0) j["marks_left_off"] = s.marks_left_off;
  if (!s.total_what.empty()) j["total_what"] = s.total_what;
  return j;
}

SeriesBuilder::SeriesBuilder(std::string title, std::string unit, std::int64_t end_ns,
                             SeriesFold fold) {
  head_.title = std::move(title);
  head_.unit = std::move(unit);
  head_.bucket_ms = series_bucket_ms(end_ns);
  head_.fold = fold;
}

void SeriesBuilder::fold_into(std::map<std::int64_t, double>& buckets, std::int64_t bucket,
                              double value) const {
  auto [it, added] = buckets.try_emplace(bucket, value);
  if (added) return;
  it->second = head_.fold == SeriesFold::sum ? it->second + value : std::max(it->second, value);
}

void SeriesBuilder::add(std::string_view label, std::int64_t t_ns, double value) {
  auto it = lines_.find(label);
  if (it == lines_.end()) it = lines_.emplace(std::string(label), std::map<std::int64_t, double>{}).first;
  fold_into(it->second, std::max<std::int64_t>(0, t_ns / 1000000) / head_.bucket_ms, value);
}

void SeriesBuilder::hold(std::string_view label, std::int64_t from_ns, std::int64_t to_ns,
                         double value) {
  auto it = lines_.find(label);
  if (it == lines_.end()) it = lines_.emplace(std::string(label), std::map<std::int64_t, double>{}).first;
  const std::int64_t first = std::max<std::int64_t>(0, from_ns / 1000000) / head_.bucket_ms;
  const std::int64_t last = std::max<std::int64_t>(0, to_ns / 1000000) / head_.bucket_ms;
  // A held value is a level, not an event: it never adds up with itself.
  for (std::int64_t b = first; b <= last; ++b) {
    auto [at, added] = it->second.try_emplace(b, value);
    if (!added) at->second = std::max(at->second, value);
  }
}

void SeriesBuilder::mark(std::int64_t t_ns, std::string label) {
  if (marks_.size() < kSeriesMarks)
    marks_.push_back({std::max<std::int64_t>(0, t_ns / 1000000), std::move(label)});
  ++marks_seen_;
}

Series SeriesBuilder::build() const {
  Series s = head_;
  auto total = [&](const std::map<std::int64_t, double>& buckets) {
    double t = 0;
    for (const auto& [b, v] : buckets) t = head_.fold == SeriesFold::sum ? t + v : std::max(t, v);
    return t;
  };
  std::vector<std::pair<double, const std::pair<const std::string, std::map<std::int64_t, double>>*>>
      ranked;
  for (const auto& line : lines_) ranked.emplace_back(total(line.second), &line);
  // The largest first; ties by label, so a verdict is the same run to run.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  const std::size_t kept = ranked.size() <= kSeriesLines ? ranked.size() : kSeriesLines - 1;
  std::map<std::int64_t, double> others;
  for (std::size_t i = kept; i < ranked.size(); ++i)
    for (const auto& [b, v] : ranked[i].second->second) fold_into(others, b, v);
  auto emit = [&](std::string label, const std::map<std::int64_t, double>& buckets) {
    SeriesLine line;
    line.label = std::move(label);
    line.total = total(buckets);
    for (const auto& [b, v] : buckets) line.points.emplace_back(b * head_.bucket_ms, v);
    s.lines.push_back(std::move(line));
  };
  // Kept lines in label order (regions keep their order run to run).
  std::vector<const std::pair<const std::string, std::map<std::int64_t, double>>*> shown;
  for (std::size_t i = 0; i < kept; ++i) shown.push_back(ranked[i].second);
  std::sort(shown.begin(), shown.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* line : shown) emit(line->first, line->second);
  if (kept < ranked.size())
    emit(std::to_string(ranked.size() - kept) + " others", others);
  s.marks = marks_;
  std::sort(s.marks.begin(), s.marks.end(),
            [](const SeriesMark& a, const SeriesMark& b) { return a.t_ms < b.t_ms; });
  s.marks_left_off = marks_seen_ - marks_.size();
  return s;
}

}  // namespace faultline
