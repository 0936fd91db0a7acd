#!/usr/bin/env python3
"""Runs checkov and shiplint on the same trust-policy fixtures and prints a
Markdown table of what each reports per file.

Fixture files are named for what they must do: `fire-*` files hold a defect,
`silent-*` files are correct configuration. The table marks where checkov
misses a defect (nothing reported on a `fire-*` file) or raises a false alarm
(something reported on a `silent-*` file), and what shiplint says instead.

Usage:
    pip install checkov            # in a virtualenv
    cargo build --release
    scripts/compare-checkov.py [--checkov PATH] [--shiplint PATH] > comparison.md

checkov reads Terraform and CloudFormation but not standalone policy JSON
documents, so only the CloudFormation and Terraform fixtures are compared.

With `--checkov-repo PATH` (a checkout of https://github.com/bridgecrewio/checkov,
e.g. `git clone --depth 1 https://github.com/bridgecrewio/checkov /tmp/checkov`;
not vendored here) it also runs both tools on checkov's own GitHub OIDC test
fixtures (CKV_AWS_358 on `aws_iam_policy_document` data sources, CKV_AWS_393
on `aws_iam_role`) and prints, per resource, what checkov's own test expects,
what checkov reports and what shiplint reports, then what each flags that the
other does not.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = [
    ("testdata/fixtures/oidc-cloudformation", "cloudformation"),
    ("testdata/fixtures/oidc-terraform", "terraform"),
]


def checkov_results(checkov, directory, framework):
    out = subprocess.run(
        [checkov, "-d", directory, "--framework", framework, "-o", "json", "--quiet", "--compact"],
        capture_output=True, text=True, cwd=ROOT,
    )
    found = defaultdict(set)
    if not out.stdout.strip():
        return found
    data = json.loads(out.stdout)
    for run in data if isinstance(data, list) else [data]:
        for check in run.get("results", {}).get("failed_checks", []):
            found[os.path.basename(check["file_path"])].add(check["check_id"])
    return found


def shiplint_results(shiplint, directory):
    out = subprocess.run(
        [shiplint, "--no-config", "--format", "json", "--fail-on", "never", directory],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    found = defaultdict(list)
    for f in json.loads(out.stdout)["findings"]:
        found[os.path.basename(f["path"])].append(f"{f['rule']} ({f['severity']}): {f['message']}")
    return found


# checkov's own OIDC fixtures: (directory, test module), relative to its checkout.
CHECKOV_OWN = [
    ("tests/terraform/checks/data/aws/example_GithubActionsOIDCTrustPolicy",
     "tests/terraform/checks/data/aws/test_GithubActionsOIDCTrustPolicy.py"),
    ("tests/terraform/checks/resource/aws/example_GithubActionsOIDCTrustPolicyOnRole",
     "tests/terraform/checks/resource/aws/test_GithubActionsOIDCTrustPolicyOnRole.py"),
]
OIDC_CHECKS = {"CKV_AWS_358", "CKV_AWS_393"}


def expected_by_test(test_file):
    """{resource: "pass"|"fail"} from the test's passing_/failing_resources sets."""
    text = open(test_file).read()
    out = {}
    for kind, body in re.findall(r"(passing|failing)_resources = \{(.*?)\}", text, re.S):
        for name in re.findall(r'"([^"]+)"', body):
            out.setdefault(name, "pass" if kind == "passing" else "fail")
    return out


def blocks(tf_file):
    """[(resource address as checkov names it, first line, last line)]."""
    lines = open(tf_file).read().split("\n")
    starts = []
    for i, line in enumerate(lines, 1):
        m = re.match(r'\s*(data|resource)\s+"([^"]+)"\s+"([^"]+)"', line)
        if m:
            starts.append((f"{m.group(2)}.{m.group(3)}", i))
    return [(name, start, (starts[k + 1][1] - 1) if k + 1 < len(starts) else len(lines))
            for k, (name, start) in enumerate(starts)]


def compare_checkov_own(checkov, shiplint, repo):
    print("\n### On checkov's own GitHub OIDC fixtures\n")
    print("| resource | checkov's test expects | checkov | shiplint |")
    print("|---|---|---|---|")
    only_shiplint, only_checkov = [], []
    for directory, test in CHECKOV_OWN:
        path = os.path.join(repo, directory)
        expected = expected_by_test(os.path.join(repo, test))
        out = subprocess.run(
            [checkov, "-d", path, "--framework", "terraform", "-o", "json", "--quiet", "--compact"],
            capture_output=True, text=True,
        )
        failed = set()
        if out.stdout.strip():
            data = json.loads(out.stdout)
            for run in data if isinstance(data, list) else [data]:
                for check in run.get("results", {}).get("failed_checks", []):
                    if check["check_id"] in OIDC_CHECKS:
                        failed.add(check["resource"])
        sl = subprocess.run(
            [shiplint, "--no-config", "--format", "json", "--fail-on", "never", path],
            capture_output=True, text=True, check=True,
        )
        findings = json.loads(sl.stdout)["findings"]
        for tf in sorted(f for f in os.listdir(path) if f.endswith(".tf")):
            for name, first, last in blocks(os.path.join(path, tf)):
                short = name.split(".", 1)[1] if name.startswith("aws_iam_policy_document") else name
                key = f"aws_iam_policy_document.{short}" if name.startswith("aws_iam_policy_document") else name
                # Only the trust families: checkov's checks here are about trust.
                ours = [f"{f['rule']}: {f['message']}" for f in findings
                        if os.path.basename(f["path"]) == tf
                        and f["rule"].startswith(("oidc-", "trust-"))
                        and first <= f["start"]["line"] <= last]
                ck = "FAILED" if key in failed else "passed"
                print(f"| `{key}` | {expected.get(key, '-')} | {ck} | {cell('<br>'.join(ours) or 'nothing')} |")
                if ours and key not in failed:
                    only_shiplint.append(key)
                if not ours and key in failed:
                    only_checkov.append(key)
    print(f"\nshiplint flags, checkov passes ({len(only_shiplint)}): "
          + (", ".join(f"`{k}`" for k in only_shiplint) or "none"))
    print(f"\ncheckov fails, shiplint silent ({len(only_checkov)}): "
          + (", ".join(f"`{k}`" for k in only_checkov) or "none"))


def cell(text):
    return text.replace("|", "\\|").replace("\n", "<br>")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", default="checkov")
    parser.add_argument("--shiplint", default=os.path.join(ROOT, "target", "release", "shiplint"))
    parser.add_argument("--checkov-repo", help="a checkout of bridgecrewio/checkov, to compare on its own OIDC fixtures")
    args = parser.parse_args()
    version = subprocess.run([args.checkov, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"checkov {version} vs shiplint, on the same fixtures\n")
    print("| fixture | expected | checkov | shiplint |")
    print("|---|---|---|---|")
    misses = alarms = 0
    for directory, framework in FIXTURES:
        checkov = checkov_results(args.checkov, directory, framework)
        shiplint = shiplint_results(args.shiplint, directory)
        for name in sorted(os.listdir(os.path.join(ROOT, directory))):
            if not name.startswith(("fire-", "silent-")):
                continue
            expected = "defect" if name.startswith("fire-") else "clean"
            ck = ", ".join(sorted(checkov.get(name, ()))) or "nothing"
            verdict = ""
            if expected == "defect" and ck == "nothing":
                verdict, misses = " **(missed)**", misses + 1
            if expected == "clean" and ck != "nothing":
                verdict, alarms = " **(false alarm)**", alarms + 1
            sl = "<br>".join(shiplint.get(name, [])) or "nothing"
            print(f"| `{framework}/{name}` | {expected} | {cell(ck)}{verdict} | {cell(sl)} |")
    print(f"\ncheckov: {misses} defects missed, {alarms} false alarms on correct files.")
    if args.checkov_repo:
        compare_checkov_own(args.checkov, args.shiplint, args.checkov_repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
