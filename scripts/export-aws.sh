#!/usr/bin/env bash
# Exports what shiplint audits from a deployed AWS account, with the AWS CLI
# and the caller's own credentials. Read-only: it only calls get-*, list-*,
# describe-* and batch-get-* operations, and writes JSON files; shiplint
# itself never calls AWS. Then lint the export offline:
#
#   scripts/export-aws.sh -o export -r eu-west-1 -r us-east-1
#   shiplint check export/
#
# Layout, one directory per account and region:
#
#   OUT/<account>/global/iam-authorization-details.json
#   OUT/<account>/<region>/codebuild-projects-<n>.json
#   OUT/<account>/<region>/codepipeline-<pipeline>.json
#   OUT/<account>/<region>/deploy-<application>-<group>.json
#   OUT/<account>/<region>/ecs-task-definition-<family>.json
#   OUT/<account>/<region>/cloudformation-<stack>.json
#
# Options:
#   -o DIR      output directory (default: ./aws-export)
#   -r REGION   a region to export (repeatable; default: the CLI's region)
#   -p PROFILE  an AWS CLI profile (default: the environment's credentials)
#   -h          this help
#
# Permissions needed: the AWS managed policy SecurityAudit (or ReadOnlyAccess)
# covers every call. The files hold policies and build definitions, not
# secret values (CodeBuild PLAINTEXT variables excepted): keep them as you
# would keep the account's configuration.

set -euo pipefail

out=./aws-export
regions=()
profile=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }

while getopts "o:r:p:h" opt; do
    case "$opt" in
        o) out=$OPTARG ;;
        r) regions+=("$OPTARG") ;;
        p) profile=(--profile "$OPTARG") ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

command -v aws >/dev/null 2>&1 || { echo "export-aws: the AWS CLI (aws) is not on PATH" >&2; exit 2; }

awsq() { aws "${profile[@]}" "$@"; }

# A file name from an AWS name.
safe() { printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'; }

# The words of a text-output list, one per line.
words() { tr '\t' '\n' | sed -e '/^$/d' -e '/^None$/d'; }

account=$(awsq sts get-caller-identity --query Account --output text)
if [ ${#regions[@]} -eq 0 ]; then
    region=$(awsq configure get region || true)
    region=${region:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}
    [ -n "$region" ] || { echo "export-aws: no region: pass -r REGION" >&2; exit 2; }
    regions=("$region")
fi

base="$out/$(safe "$account")"
mkdir -p "$base/global"
echo "export-aws: account $account -> $base" >&2

# IAM is global: every role, user, group and customer managed policy with
# their documents (the CLI follows the pagination and decodes them).
awsq iam get-account-authorization-details --output json \
    >"$base/global/iam-authorization-details.json"

for region in "${regions[@]}"; do
    dir="$base/$(safe "$region")"
    mkdir -p "$dir"
    r=(--region "$region")
    echo "export-aws: region $region" >&2

    # CodeBuild: batch-get-projects takes at most 100 names.
    mapfile -t projects < <(awsq codebuild list-projects "${r[@]}" --query 'projects' --output text | words)
    n=0
    for ((i = 0; i < ${#projects[@]}; i += 100)); do
        n=$((n + 1))
        awsq codebuild batch-get-projects "${r[@]}" --names "${projects[@]:i:100}" --output json \
            >"$dir/codebuild-projects-$n.json"
    done

    while read -r name; do
        awsq codepipeline get-pipeline "${r[@]}" --name "$name" --output json \
            >"$dir/codepipeline-$(safe "$name").json"
    done < <(awsq codepipeline list-pipelines "${r[@]}" --query 'pipelines[].name' --output text | words)

    while read -r app; do
        while read -r group; do
            awsq deploy get-deployment-group "${r[@]}" --application-name "$app" \
                --deployment-group-name "$group" --output json \
                >"$dir/deploy-$(safe "$app")-$(safe "$group").json"
        done < <(awsq deploy list-deployment-groups "${r[@]}" --application-name "$app" \
            --query 'deploymentGroups' --output text | words)
    done < <(awsq deploy list-applications "${r[@]}" --query 'applications' --output text | words)

    # The latest active revision of each task definition family.
    while read -r family; do
        awsq ecs describe-task-definition "${r[@]}" --task-definition "$family" --output json \
            >"$dir/ecs-task-definition-$(safe "$family").json"
    done < <(awsq ecs list-task-definition-families "${r[@]}" --status ACTIVE \
        --query 'families' --output text | words)

    # The templates of live stacks, as written (Original stage).
    while read -r stack; do
        awsq cloudformation get-template "${r[@]}" --stack-name "$stack" \
            --template-stage Original --output json \
            >"$dir/cloudformation-$(safe "$stack").json"
    done < <(awsq cloudformation list-stacks "${r[@]}" \
        --stack-status-filter CREATE_COMPLETE UPDATE_COMPLETE UPDATE_ROLLBACK_COMPLETE IMPORT_COMPLETE \
        --query 'StackSummaries[].StackName' --output text | words)
done

echo "export-aws: done; lint it with: shiplint check $out" >&2
