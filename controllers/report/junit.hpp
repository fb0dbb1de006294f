#pragma once
// junit.xml: one testcase per invariant, so CI systems (GitLab, Jenkins,
// GitHub's test reporters) show a run's verdict natively. The suite's
// properties carry what a reader needs to reproduce the run: the seed, the
// commit under test, the fault schedule.
#include <string>

#include "controllers/report/verdict.hpp"

namespace faultline {

// The commit under test: $FAULTLINE_COMMIT, $GITHUB_SHA or $CI_COMMIT_SHA,
// else "unknown".
std::string commit_under_test();

std::string render_junit(const Verdict& verdict);

std::string xml_escape(const std::string& text);

}  // namespace faultline
