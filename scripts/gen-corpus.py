#!/usr/bin/env python3
"""Writes a reproducible synthetic repository for benchmarks.

    scripts/gen-corpus.py OUT_DIR [--files N] [--config N] [--large N] [--modules N] [--seed S]

Most files are ordinary source files (Python, Go, TypeScript, Markdown);
`--config` of them are configuration files copied from the fixtures
(policies, CloudFormation, Terraform, buildspecs, workflows, artifacts),
spread over the tree under realistic names (the CDK and Pulumi programs of
the `cdk-*` fixtures among them); `--large` are CloudFormation
templates of 5 MB and more; `--modules` are Terraform modules that exercise
evaluation (variables, tfvars, locals, a local module call, a template
reached through templatefile). The same arguments always write the same
bytes.
"""

import argparse
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOURCE_TEMPLATES = {
    "py": "import os\n\n\ndef handler_{n}(event, context):\n    value = os.environ.get('KEY_{n}', 'default')\n    return {{'statusCode': 200, 'body': value * {n}}}\n",
    "go": "package svc{n}\n\nimport \"fmt\"\n\n// Run{n} prints a greeting.\nfunc Run{n}(name string) string {{\n\treturn fmt.Sprintf(\"hello %s %d\", name, {n})\n}}\n",
    "ts": "export function compute{n}(items: number[]): number {{\n  return items.reduce((a, b) => a + b * {n}, 0);\n}}\n",
    "md": "# Component {n}\n\nThis component does thing number {n}. See the runbook for details.\n",
    # Ordinary JavaScript and TSX, and Python that talks to AWS without CDK:
    # the program front-ends' prefilter must keep them cheap.
    "js": "const path = require('path');\n\nmodule.exports.route{n} = (req, res) => {{\n  res.send(path.join('/api', String({n})));\n}};\n",
    "tsx": "import React from 'react';\n\nexport const Card{n} = ({{ title }}: {{ title: string }}) => <div className=\"card\">{{title}} {n}</div>;\n",
    "boto.py": "import boto3\n\n\ndef upload_{n}(bucket: str, key: str) -> None:\n    boto3.client('s3').put_object(Bucket=bucket, Key=key, Body=b'{n}')\n",
}


def fixtures():
    """Configuration files from testdata, as (relative name, bytes)."""
    out = []
    base = os.path.join(ROOT, "testdata", "fixtures")
    for dirpath, _, names in sorted(os.walk(base)):
        for name in sorted(names):
            if name.startswith(".") or name == "shiplint.toml":
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, base)
            with open(path, "rb") as f:
                out.append((rel, f.read()))
    return out


def large_template(rng, size):
    """A CloudFormation template of about `size` bytes: many roles and buckets."""
    parts = ["AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"]
    n = 0
    total = len(parts[0])
    while total < size:
        n += 1
        block = (
            f"  Role{n}:\n    Type: AWS::IAM::Role\n    Properties:\n"
            f"      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n"
            f"          - Effect: Allow\n            Principal:\n              Service: lambda.amazonaws.com\n"
            f"            Action: sts:AssumeRole\n"
            f"      Policies:\n        - PolicyName: p{n}\n          PolicyDocument:\n"
            f"            Statement:\n              - Effect: Allow\n                Action: [s3:GetObject, s3:PutObject]\n"
            f"                Resource: !Sub arn:aws:s3:::bucket-{n}-${{AWS::Region}}/*\n"
            f"  Bucket{n}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub bucket-{n}-${{AWS::Region}}\n"
            f"      Tags:\n        - Key: owner\n          Value: team-{rng.randint(1, 50)}\n"
        )
        parts.append(block)
        total += len(block)
    return "".join(parts).encode()


def terraform_module(n):
    """A Terraform root module and its child: (relative name, text) pairs."""
    owner = f"team{n % 13}"
    role = lambda name, sub: (
        f'resource "aws_iam_role" "{name}" {{\n'
        f'  name = "{name}-${{local.suffix}}"\n'
        f"  assume_role_policy = jsonencode({{\n"
        f'    Version = "2012-10-17"\n'
        f"    Statement = [{{\n"
        f'      Effect    = "Allow"\n'
        f'      Action    = "sts:AssumeRoleWithWebIdentity"\n'
        f"      Principal = {{ Federated = aws_iam_openid_connect_provider.gh.arn }}\n"
        f"      Condition = {{\n"
        f'        StringEquals = {{ "${{aws_iam_openid_connect_provider.gh.url}}:aud" = "sts.amazonaws.com" }}\n'
        f'        StringLike   = {{ "${{replace(aws_iam_openid_connect_provider.gh.url, "https://", "")}}:sub" = {sub} }}\n'
        f"      }}\n"
        f"    }}]\n"
        f"  }})\n"
        f"}}\n"
    )
    return [
        ("variables.tf",
         f'variable "owner" {{\n  type    = string\n  default = "{owner}"\n}}\n\n'
         f'variable "repositories" {{\n  type    = list(string)\n  default = ["api", "web"]\n}}\n\n'
         f'variable "branch" {{\n  type    = string\n  default = "main"\n}}\n'),
        ("terraform.tfvars", f'branch = "{"release/*" if n % 4 == 0 else "main"}"\n'),
        ("locals.tf",
         "locals {\n  suffix   = lower(format(\"%s-%s\", var.owner, var.branch))\n"
         "  subjects = [for r in var.repositories : \"repo:${var.owner}/${r}:ref:refs/heads/${var.branch}\"]\n}\n"),
        ("provider.tf",
         'resource "aws_iam_openid_connect_provider" "gh" {\n'
         '  url            = "https://token.actions.githubusercontent.com"\n'
         '  client_id_list = ["sts.amazonaws.com"]\n}\n'),
        ("main.tf",
         role("deploy", "local.subjects")
         + '\nresource "aws_iam_role" "templated" {\n  name = "templated"\n'
         '  assume_role_policy = templatefile("${path.module}/templates/trust.json.tpl", { subject = local.subjects[0] })\n}\n'
         + '\nmodule "ci" {\n  source   = "./modules/ci"\n'
         f'  subjects = ["repo:{owner}/api:environment:production"]\n}}\n'),
        ("templates/trust.json.tpl",
         '{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
         '    "Principal": {"Federated": "arn:aws:iam::${account_id}:oidc-provider/token.actions.githubusercontent.com"},\n'
         '    "Action": "sts:AssumeRoleWithWebIdentity",\n    "Condition": {\n'
         '      "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},\n'
         '%{ if subject != "" }\n      "StringLike": {"token.actions.githubusercontent.com:sub": "${subject}"}\n%{ endif }\n'
         '    }\n  }]\n}\n'),
        ("modules/ci/variables.tf", 'variable "subjects" {\n  type = list(string)\n}\n'),
        ("modules/ci/main.tf",
         'data "aws_iam_policy_document" "trust" {\n  statement {\n'
         '    actions = ["sts:AssumeRoleWithWebIdentity"]\n'
         '    principals {\n      type        = "Federated"\n'
         '      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com"]\n    }\n'
         '    condition {\n      test     = "StringEquals"\n      variable = "token.actions.githubusercontent.com:aud"\n      values   = ["sts.amazonaws.com"]\n    }\n'
         '    condition {\n      test     = "StringEquals"\n      variable = "token.actions.githubusercontent.com:sub"\n      values   = var.subjects\n    }\n'
         '  }\n}\n'),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--config", type=int, default=500)
    parser.add_argument("--large", type=int, default=3)
    parser.add_argument("--modules", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    configs = fixtures()
    os.makedirs(args.out, exist_ok=True)
    written = 0
    for i in range(args.large):
        path = os.path.join(args.out, "infra", "stacks", f"big-{i}.template.yaml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(large_template(rng, 5 * 1024 * 1024 + i * 512 * 1024))
        written += 1
    for i in range(args.modules):
        for rel, text in terraform_module(i):
            path = os.path.join(args.out, "infra", "terraform", f"env{i}", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            written += 1
    for i in range(args.config):
        rel, data = configs[i % len(configs)]
        service = f"services/svc{i % 97:02d}"
        path = os.path.join(args.out, service, f"c{i}", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        written += 1
    n = 0
    while written < args.files:
        ext = rng.choice(list(SOURCE_TEMPLATES))
        depth = rng.randint(1, 4)
        dirs = [f"pkg{rng.randint(0, 40)}" for _ in range(depth)]
        path = os.path.join(args.out, "src", *dirs, f"f{n}.{ext}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        body = SOURCE_TEMPLATES[ext].format(n=n) * rng.randint(1, 30)
        with open(path, "w") as f:
            f.write(body)
        n += 1
        written += 1
    print(f"wrote {written} files to {args.out}")


if __name__ == "__main__":
    main()
