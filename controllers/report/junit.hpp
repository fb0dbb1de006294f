#pragma once
// junit.xml: one testcase per invariant, so CI systems (GitLab, Jenkins,
// GitHub's test reporters) show a run's verdict natively. The suite's
// properties carry what a reader needs to reproduce the run: the seed, the
// commit under test, the fault schedule.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "controllers/report/verdict.hpp"

namespace faultline {

// The commit under test: $FAULTLINE_COMMIT, $GITHUB_SHA or $CI_COMMIT_SHA,
// else "unknown".
std::string commit_under_test();

// The whole junit.xml of one run: <testsuites> around render_junit_testsuite.
std::string render_junit(const Verdict& verdict);

// What a run's testsuite counts: a testcase per invariant; a violated one is
// a failure, an unknown one a failure too unless the experiment lets unknown
// pass (then skipped).
struct JunitCounts {
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t skipped = 0;
};
JunitCounts junit_counts(const Verdict& verdict);

// One run's <testsuite> element (indented for a <testsuites> document), so a
// suite of runs (`faultline run DIR`) writes one file of them. `extra` adds
// properties (the experiment's file).
std::string render_junit_testsuite(
    const Verdict& verdict, double seconds,
    const std::vector<std::pair<std::string, std::string>>& extra = {});

std::string xml_escape(const std::string& text);

}  // namespace faultline
