#!/usr/bin/env python3
"""The CI recipes (packaging/ci/github-actions.yml, packaging/ci/gitlab-ci.yml)
read the way each platform reads them, so a test can run what they say.

  ci_recipe.py lint SOURCE_DIR
      docs/ci.md embeds each recipe as it is, and each recipe stays one the
      test can run: its shell lines use no platform expression (`${{ }}`),
      the install step takes the .deb from $FAULTLINE_DEB, the test report
      and the artifacts are kept when the suite fails.
  ci_recipe.py paste SOURCE_DIR
      writes each recipe into docs/ci.md again: the ```yaml block after the
      paragraph that starts with its path.
  ci_recipe.py extract github|gitlab RECIPE OUT
      OUT/env.sh       the recipe's variables, as exports
      OUT/steps/NN.sh  its shell, one file per step as the platform runs them
      OUT/reports      the JUnit files it feeds the test report, one a line
      OUT/artifacts    the files it keeps, one glob a line
      OUT/deb          the default of FAULTLINE_DEB
  ci_recipe.py results WORKSPACE OUT COMMIT EXPERIMENTS [FAILING...]
      after a run: every report and artifact glob matches a file in
      WORKSPACE, one report.html and one history.jsonl per experiment, and
      the JUnit report has one testsuite per experiment, each naming COMMIT
      (the platform's GITHUB_SHA or CI_COMMIT_SHA) as the commit under test,
      whose failures are exactly FAILING (each suite/invariant, e.g.
      faultline.bug-stale-session/read-your-writes).

Only the shell is run: `uses:` steps (checkout, the download, the report and
the upload) are the platform's, and their paths are checked instead.
"""
import glob
import os
import re
import shlex
import sys
import xml.etree.ElementTree as ET

import yaml

# What both platforms do with a job's shell: GitHub runs each step as
# `bash --noprofile --norc -eo pipefail FILE` under `shell: bash`; GitLab
# runs before_script and script as one bash script that stops at the first
# failing line, with that line's exit code as the job's.
PRELUDE = "set -eo pipefail\n"


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def github_job(recipe):
    jobs = recipe["jobs"]
    if len(jobs) != 1:
        sys.exit(f"github-actions.yml: one job expected, found {sorted(jobs)}")
    return next(iter(jobs.values()))


def gitlab_job(recipe):
    jobs = {k: v for k, v in recipe.items() if isinstance(v, dict) and "script" in v}
    if len(jobs) != 1:
        sys.exit(f"gitlab-ci.yml: one job expected, found {sorted(jobs)}")
    return next(iter(jobs.values()))


def github(recipe):
    """(env, [step shell], [report globs], [artifact globs], [problems])."""
    job = github_job(recipe)
    env = {**(recipe.get("env") or {}), **(job.get("env") or {})}
    problems = []
    shell = (job.get("defaults") or {}).get("run", {}).get("shell")
    if shell != "bash":
        problems.append("github-actions.yml: the job's steps need `defaults: run: shell: bash`")
    steps, reports, artifacts = [], [], []
    for step in job["steps"]:
        name = step.get("name", step.get("uses", "?"))
        if "run" in step:
            if step.get("env"):
                problems.append(f"github-actions.yml: step {name!r}: keep variables in the job's env")
            steps.append(step["run"])
            continue
        uses, given = step.get("uses", ""), step.get("with") or {}
        if uses.startswith("mikepenz/action-junit-report"):
            reports += given["report_paths"].split()
        elif uses.startswith("actions/upload-artifact"):
            artifacts += given["path"].split()
        else:
            continue
        if step.get("if") != "always()":
            problems.append(f"github-actions.yml: step {name!r} needs `if: always()`, "
                            "or a failing suite loses its report")
    return env, steps, reports, artifacts, problems


def gitlab(recipe):
    job = gitlab_job(recipe)
    env = {**(recipe.get("variables") or {}), **(job.get("variables") or {})}
    problems = []
    kept = job.get("artifacts") or {}
    if kept.get("when") != "always":
        problems.append("gitlab-ci.yml: artifacts need `when: always`, "
                        "or a failing suite loses its report")
    reports = (kept.get("reports") or {}).get("junit") or []
    reports = [reports] if isinstance(reports, str) else reports
    lines = (job.get("before_script") or []) + job["script"]
    return env, ["\n".join(lines) + "\n"], reports, kept.get("paths") or [], problems


def read(platform, path):
    return (github if platform == "github" else gitlab)(load(path))


RECIPES = (("github", "github-actions.yml"), ("gitlab", "gitlab-ci.yml"))


def paste(source):
    doc_path = os.path.join(source, "docs/ci.md")
    with open(doc_path) as f:
        doc = f.read()
    for _, name in RECIPES:
        with open(os.path.join(source, "packaging/ci", name)) as f:
            text = f.read()
        block = re.compile(r"(^`packaging/ci/" + re.escape(name) + r"`.*?^```yaml\n).*?(^```$)",
                           re.S | re.M)
        doc, n = block.subn(lambda m: m.group(1) + text + m.group(2), doc, count=1)
        if n != 1:
            print(f"docs/ci.md: no paragraph starting with `packaging/ci/{name}` "
                  "followed by a ```yaml block", file=sys.stderr)
            return 1
    with open(doc_path, "w") as f:
        f.write(doc)
    return 0


def lint(source):
    problems = []
    with open(os.path.join(source, "docs/ci.md")) as f:
        doc = f.read()
    blocks = re.findall(r"^```yaml\n(.*?)^```$", doc, re.S | re.M)
    for platform, name in RECIPES:
        path = os.path.join(source, "packaging/ci", name)
        with open(path) as f:
            text = f.read()
        if text not in blocks:
            problems.append(f"docs/ci.md: no ```yaml block is packaging/ci/{name} as it is: "
                            "write it there again with tests/package/ci_recipe.py paste .")
        env, steps, reports, artifacts, found = read(platform, path)
        problems += found
        for key in ("FAULTLINE_DEB", "FAULTLINE_SUITE", "FAULTLINE_RESULTS"):
            if key not in env:
                problems.append(f"{name}: no {key} among its variables")
        shell = "".join(steps)
        if "${{" in shell:
            problems.append(f"{name}: a step's shell uses `${{{{ }}}}`: pass it through the env")
        installs = [line for line in shell.splitlines() if "apt-get install" in line]
        if installs != [line for line in installs if '"$FAULTLINE_DEB"' in line] or not installs:
            problems.append(f"{name}: the install step must be one `apt-get install ... "
                            '"$FAULTLINE_DEB"`, so a test can point it at a local file')
        if not reports:
            problems.append(f"{name}: no JUnit report for the platform's test report")
        stray = [p for p in reports + artifacts if not p.startswith(f"{env.get('FAULTLINE_RESULTS')}/")]
        if stray:
            problems.append(f"{name}: {', '.join(stray)} not in FAULTLINE_RESULTS "
                            f"({env.get('FAULTLINE_RESULTS')})")
        for wanted in ("report.html", "history.jsonl"):
            if not any(a.endswith(wanted) for a in artifacts):
                problems.append(f"{name}: the artifacts keep no {wanted}")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def extract(platform, path, out):
    env, steps, reports, artifacts, problems = read(platform, path)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    os.makedirs(os.path.join(out, "steps"), exist_ok=True)
    with open(os.path.join(out, "env.sh"), "w") as f:
        for key, value in env.items():
            f.write(f"export {key}={shlex.quote(str(value))}\n")
    for i, shell in enumerate(steps):
        with open(os.path.join(out, "steps", f"{i:02}.sh"), "w") as f:
            f.write(PRELUDE + shell)
    for name, lines in (("reports", reports), ("artifacts", artifacts), ("deb", [env["FAULTLINE_DEB"]])):
        with open(os.path.join(out, name), "w") as f:
            f.write("".join(line + "\n" for line in lines))
    return 0


def results(workspace, out, commit, experiments, failing):
    problems = []

    def lines(name):
        with open(os.path.join(out, name)) as f:
            return f.read().split()

    for pattern in lines("reports") + lines("artifacts"):
        found = glob.glob(os.path.join(workspace, pattern))
        if not found:
            problems.append(f"{pattern}: no such file after the job")
        for wanted in ("report.html", "history.jsonl"):
            if pattern.endswith(wanted) and len(found) not in (0, experiments):
                problems.append(f"{pattern}: {len(found)} files for {experiments} experiments")
    suites, failed = 0, set()
    for pattern in lines("reports"):
        for path in glob.glob(os.path.join(workspace, pattern)):
            for suite in ET.parse(path).getroot().iter("testsuite"):
                suites += 1
                named = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
                if named.get("commit") != commit:
                    problems.append(f"testsuite {suite.get('name')}: commit {named.get('commit')}, "
                                    f"the platform's is {commit}")
                for case in suite.iter("testcase"):
                    if case.find("failure") is not None:
                        failed.add(f"{suite.get('name')}/{case.get('name')}")
    if suites != experiments:
        problems.append(f"the JUnit report has {suites} testsuites for {experiments} experiments")
    if failed != set(failing):
        problems.append(f"the JUnit report fails {sorted(failed) or 'nothing'}, "
                        f"expected {sorted(failing) or 'nothing'}")
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"  {suites} testsuites, failing: {', '.join(sorted(failed)) or 'none'}")
    return 1 if problems else 0


def main(argv):
    if argv[:1] == ["lint"] and len(argv) == 2:
        return lint(argv[1])
    if argv[:1] == ["paste"] and len(argv) == 2:
        return paste(argv[1])
    if argv[:1] == ["extract"] and len(argv) == 4 and argv[1] in ("github", "gitlab"):
        return extract(argv[1], argv[2], argv[3])
    if argv[:1] == ["results"] and len(argv) >= 5:
        return results(argv[1], argv[2], argv[3], int(argv[4]), argv[5:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
