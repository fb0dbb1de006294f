#pragma once
// What an invariant judged over time, for a person to see where in the run
// it happened: stale reads per region, failed operations per customer, lost
// writes at their acknowledgement. One Series is one small chart in
// report.html, drawn on the latency chart's time axis, and an entry of
// verdict.json's "series".
//
// Bucketed and capped, so a million-operation history still makes a small
// verdict.json: at most kSeriesBuckets buckets (250 ms each, wider for long
// runs), kSeriesLines lines (the rest folded into one "others" line) and
// kSeriesMarks marks.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline {

inline constexpr std::int64_t kSeriesMinBucketMs = 250;
inline constexpr std::size_t kSeriesBuckets = 240;
inline constexpr std::size_t kSeriesLines = 8;
inline constexpr std::size_t kSeriesMarks = 20;

// How a bucket folds what happened in it: counted events (stale reads, failed
// operations) add up; magnitudes (how stale, how many keys differ) keep the
// largest.
enum class SeriesFold { sum, max };

struct SeriesLine {
  std::string label;  // a region, a customer, a key; "" when the series has one line
  // (t_ms of the bucket's start, value), ascending; a bucket not listed is 0.
  std::vector<std::pair<std::int64_t, double>> points;
  double total = 0;  // the fold over the whole run, unless the checker set its own
};

// An instant worth pointing at: the first violation, a lost write's ack.
struct SeriesMark {
  std::int64_t t_ms = 0;
  std::string label;
};

struct Series {
  std::string title;  // "stale reads per region"
  std::string unit;   // the y axis: "stale reads", "ms stale", "failed ops"
  std::int64_t bucket_ms = kSeriesMinBucketMs;
  SeriesFold fold = SeriesFold::sum;
  std::vector<SeriesLine> lines;
  // What a line's total counts, when not the unit summed or the largest
  // value: failover-time's "ms failing, the longest window".
  std::string total_what;
  std::vector<SeriesMark> marks;
  std::size_t marks_left_off = 0;  // past kSeriesMarks
};

class CompactHistory;

nlohmann::json to_json(const Series& s);
const char* series_fold_name(SeriesFold f);

// The bucket width for a run that ends at end_ns: 250 ms, or the multiple
// of it that keeps the run within kSeriesBuckets buckets.
std::int64_t series_bucket_ms(std::int64_t end_ns);
// When the history's last operation happened: where a series' time axis ends.
std::int64_t history_end_ns(const CompactHistory& history);

// Builds a Series from events as a checker meets them, in any order.
class SeriesBuilder {
 public:
  SeriesBuilder(std::string title, std::string unit, std::int64_t end_ns,
                SeriesFold fold = SeriesFold::sum);
  // One event (value 1) or magnitude at t_ns (since the run's start).
  void add(std::string_view label, std::int64_t t_ns, double value = 1);
  // A value held from `from_ns` to `to_ns` (a customer failing, keys
  // differing): every bucket it overlaps gets it.
  void hold(std::string_view label, std::int64_t from_ns, std::int64_t to_ns, double value = 1);
  void mark(std::int64_t t_ns, std::string label);
  bool empty() const { return lines_.empty() && marks_.empty(); }
  // Lines by label, then capped: the kSeriesLines - 1 largest by total kept,
  // the others folded into one. A builder that met nothing gives a series with
  // no lines: "nothing happened" is worth a flat chart too.
  Series build() const;

 private:
  void fold_into(std::map<std::int64_t, double>& buckets, std::int64_t bucket, double value) const;

  Series head_;
  std::map<std::string, std::map<std::int64_t, double>, std::less<>> lines_;
  std::vector<SeriesMark> marks_;
  std::size_t marks_seen_ = 0;
};

}  // namespace faultline
