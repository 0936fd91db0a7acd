#!/usr/bin/env python3
"""Writes N SARIF 2.1.0 results files shaped as `shiplint check --format sarif`
writes them, one per repository as an organisation's matrix would upload
them: OUT/repo-NNNNN/shiplint.sarif. Deterministic (no randomness), for
scripts/bench-report.sh.

    scripts/gen-sarif.py OUT --files 5000 [--results 12]
"""
import argparse
import json
import os

RULES = [
    ("oidc-subject-any-repo", "error", "8.1", "a trust admits every repository of an owner"),
    ("oidc-subject-any-ref", "warning", "6.5", "a trust admits every ref of a repository"),
    ("iam-wildcard-action", "error", "7.5", "a policy grants every action of a service"),
    ("curl-pipe-shell", "warning", "5.0", "a build pipes a download into a shell"),
    ("image-tag-mutable", "note", "3.0", "a deployment uses a mutable image tag"),
    ("hardcoded-account-id", "note", "2.0", "an account id is written literally"),
    ("workflow-role-trust-mismatch", "warning", "5.5", "a job can never assume its role"),
]


def run(i, results):
    repo = f"repo-{i:05d}"
    rules = [
        {
            "id": rid,
            "shortDescription": {"text": text},
            "fullDescription": {"text": text + "."},
            "help": {"text": text + ".", "markdown": "# " + rid + "\n\n" + text + "."},
            "helpUri": f"https://github.com/shiplint/shiplint/blob/main/rules/{rid}.md",
            "defaultConfiguration": {"level": level},
            "properties": {"tags": ["security"], "security-severity": score},
        }
        for rid, level, score, text in RULES
    ]
    out = []
    n = (i * 7) % (results + 1)
    for k in range(n):
        r = (i + k) % len(RULES)
        rid, level, _, text = RULES[r]
        line = 3 + (k * 5) % 200
        out.append({
            "ruleId": rid,
            "ruleIndex": r,
            "level": level,
            "message": {"text": f"{text} in {repo} (finding {k})"},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f"infra/stack-{k % 9}.yaml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": line, "startColumn": 7, "endLine": line, "endColumn": 40},
                }
            }],
            "partialFingerprints": {"shiplint/v1": f"{i:08x}{k:08x}"},
        })
    run = {
        "tool": {"driver": {"name": "shiplint", "version": "0.1.0", "semanticVersion": "0.1.0",
                            "informationUri": "https://github.com/shiplint/shiplint", "rules": rules}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": []}],
        "columnKind": "unicodeCodePoints",
        "results": out,
    }
    # Every tenth repository holds roles; the others have workflows that
    # assume them.
    if i % 10 == 0:
        roles = [{
            "name": f"deploy-{i:05d}-{j}",
            "arn": f"arn:aws:iam::210987654321:role/deploy-{i:05d}-{j}",
            "issuers": ["GitHub Actions"],
            "who": [f"environment production of acme/repo-{i + j + 1:05d}"],
            "may": ["s3:PutObject, cloudfront:CreateInvalidation"],
            "admin": False,
            "path": "infra/roles.yaml",
            "line": 10 + 20 * j,
            "column": 58,
        } for j in range(9)]
        run["properties"] = {"shiplint/trustMap": {"roles": roles, "assumptions": []}}
    else:
        base = i - i % 10
        run["properties"] = {"shiplint/trustMap": {"roles": [], "assumptions": [{
            "path": ".github/workflows/deploy.yml", "line": 17, "column": 27, "job": "deploy",
            "role": f"deploy-{base:05d}-{i % 10 - 1}", "account": "210987654321",
        }]}}
    return repo, {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--files", type=int, default=5000)
    p.add_argument("--results", type=int, default=12)
    a = p.parse_args()
    for i in range(a.files):
        repo, log = run(i, a.results)
        d = os.path.join(a.out, repo)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "shiplint.sarif"), "w") as f:
            json.dump(log, f, indent=2)
    print(a.out)


if __name__ == "__main__":
    main()
