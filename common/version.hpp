#pragma once
// The version faultline was built as (the project's, from CMakeLists.txt) and
// the commit it was built from ("unknown" outside a git checkout, with
// "-dirty" when tracked files had changes): what `faultline --version` says.
// Only the faultline executable links it, so a new commit relinks one binary.
namespace faultline {
const char* version();
const char* commit();
}  // namespace faultline
