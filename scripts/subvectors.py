#!/usr/bin/env python3
"""Runs shiplint over the public "subvectors" OIDC trust-condition vectors
(https://github.com/Dashtid/subvectors, CC-licensed test vectors; not
vendored here) and prints how many of the AWS vectors graded `dangerous`
and `safe` shiplint flags.

Each AWS vector (`vectors/*-aws.json`) is a trust condition (StringEquals /
StringLike on one claim, or an AND of several) with a human grade. The script
turns each graded vector into a role trust policy for its issuer (GitHub,
GitLab, Bitbucket, CircleCI, HCP Terraform), pins the audience when the
vector does not constrain it (the vectors judge the subject, not the
audience), scans them all at once, and counts a vector as flagged when any
OIDC or trust rule reports it.

A few vectors grade a fragment: a condition on a claim that names no
workload (only `aud`, or only `environment`), which their own reasons say is
ANDed with a subject pin. For those the script adds that pin, StringEquals
on `sub` = the vector's own subject, and marks them `(+sub)` with `-v`.

Usage:
    git clone https://github.com/Dashtid/subvectors /tmp/subvectors
    cargo build
    scripts/subvectors.py /tmp/subvectors [--shiplint target/debug/shiplint] [-v]
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCOUNT = "111111111111"
CIRCLECI_ORG = "2a3b4c5d-1111-2222-3333-444455556666"

ISSUERS = {
    "github": ("token.actions.githubusercontent.com", "sts.amazonaws.com"),
    "gitlab": ("gitlab.com", "https://gitlab.com"),
    "bitbucket": (
        "api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc",
        "ari:cloud:bitbucket::workspace/922e118c-f34f-4226-a897-0e0afbec553d",
    ),
    "terraform-cloud": ("app.terraform.io", "aws.workload.identity"),
}


def issuer_of(vector):
    kind = vector["issuer"]
    if kind == "circleci":
        match = re.match(r"org/([^/]+)/", vector.get("subject", ""))
        org = match.group(1) if match else CIRCLECI_ORG
        return f"oidc.circleci.com/org/{org}", org
    return ISSUERS[kind]


def leaves(condition):
    if condition["consumer"] == "aws-all":
        for part in condition["of"]:
            yield from leaves(part)
    else:
        yield condition


# Claims that identify the workload (owner, repository or project).
IDENTITY = {
    "sub", "repository", "repository_id", "repository_owner", "repository_owner_id",
    "job_workflow_ref", "project_id", "project_path", "namespace_id", "namespace_path",
    "oidc.circleci.com/project-id",
}


def policy_of(vector):
    prefix, audience = issuer_of(vector)
    operators = {}
    claims = set()
    for leaf in leaves(vector["condition"]):
        operator = {
            "aws-stringequals": "StringEquals",
            "aws-stringlike": "StringLike",
        }.get(leaf["consumer"])
        if operator is None:
            return None
        claim = leaf["claim"]
        claims.add(claim)
        operators.setdefault(operator, {})[f"{prefix}:{claim}"] = leaf["pattern"]
    if "aud" not in claims:
        operators.setdefault("StringEquals", {})[f"{prefix}:aud"] = audience
    if not claims & IDENTITY:
        operators.setdefault("StringEquals", {})[f"{prefix}:sub"] = vector["subject"]
        vector["_fragment"] = True
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{prefix}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": operators,
            }
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("subvectors", help="a checkout of Dashtid/subvectors")
    parser.add_argument("--shiplint", default=os.path.join(ROOT, "target/debug/shiplint"))
    parser.add_argument("-v", "--verbose", action="store_true", help="list every vector")
    args = parser.parse_args()

    graded = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(glob.glob(os.path.join(args.subvectors, "vectors", "*-aws.json"))):
            with open(path) as f:
                suite = json.load(f)
            for vector in suite["vectors"]:
                grade = (vector.get("judgment") or {}).get("grade")
                if grade not in ("dangerous", "safe"):
                    continue
                policy = policy_of(vector)
                if policy is None:
                    continue
                name = f"{vector['id']}.json"
                with open(os.path.join(tmp, name), "w") as out:
                    json.dump(policy, out, indent=2)
                graded.append((vector["id"] + (" (+sub)" if vector.get("_fragment") else ""),
                               grade, name))
        if not graded:
            sys.exit(f"no AWS vectors under {args.subvectors}/vectors")
        run = subprocess.run(
            [args.shiplint, "--no-config", "--format", "json", "--fail-on", "never",
             "--select", "oidc,trust,oidc-subject-mutable-path", tmp],
            capture_output=True, text=True,
        )
        if run.returncode not in (0, 1):
            sys.exit(run.stderr)
        report = json.loads(run.stdout)
    flagged = {}
    for finding in report["findings"]:
        flagged.setdefault(os.path.basename(finding["path"]), []).append(finding["rule"])

    counts = {"dangerous": [0, 0], "safe": [0, 0]}
    for vid, grade, name in graded:
        rules = flagged.get(name, [])
        counts[grade][0] += 1
        counts[grade][1] += bool(rules)
        wrong = bool(rules) != (grade == "dangerous")
        if args.verbose or wrong:
            mark = "MISSED" if grade == "dangerous" and not rules else (
                "FALSE ALARM" if grade == "safe" and rules else "ok")
            print(f"{mark:11} {grade:9} {vid}: {', '.join(sorted(set(rules))) or '-'}")
    total, hit = counts["dangerous"]
    print(f"dangerous AWS vectors flagged: {hit}/{total}")
    total, hit = counts["safe"]
    print(f"safe AWS vectors flagged: {hit}/{total}")


if __name__ == "__main__":
    main()
