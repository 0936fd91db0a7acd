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
"""

import argparse
import json
import os
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


def cell(text):
    return text.replace("|", "\\|").replace("\n", "<br>")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", default="checkov")
    parser.add_argument("--shiplint", default=os.path.join(ROOT, "target", "release", "shiplint"))
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
