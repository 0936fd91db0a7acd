//! IAM from every front-end: policies (trust and identity), OIDC providers and
//! managed-policy attachments, out of plain policy files, CloudFormation
//! templates and Terraform.

use super::policy::{
    Condition, Effect, Operator, Owner, Policy, PolicyRole, Principal, PrincipalKind, Statement,
};
use super::value::{Val, value, values};
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Limits, Node, NodeKind, Span, Syntax, parse_embedded};

/// An OIDC identity provider declared in infrastructure code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// How principals refer to it: the CloudFormation logical id, or the
    /// Terraform address `aws_iam_openid_connect_provider.NAME`.
    pub name: String,
    /// The issuer URL, as written.
    pub url: Val,
    pub span: Span,
}

/// A managed policy attached to a role, user or group by ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub policy_arn: Val,
    pub owner: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IamModel {
    pub policies: Vec<Policy>,
    pub providers: Vec<OidcProvider>,
    pub attachments: Vec<Attachment>,
}

impl IamModel {
    /// Keeps what rules over the whole repository read (the trust policies
    /// with a federated principal, through [`super::trust::federated`], and
    /// the providers) and drops the rest, which only per-file rules read.
    /// Large templates declare thousands of roles whose policies would
    /// otherwise stay for the whole scan.
    pub fn retain_for_workspace(&mut self) {
        self.policies.retain(|p| {
            p.role == PolicyRole::Trust
                && p.statements.iter().any(|s| {
                    s.principals
                        .iter()
                        .flatten()
                        .any(|p| p.kind == PrincipalKind::Federated)
                })
        });
        self.policies.shrink_to_fit();
        self.attachments = Vec::new();
    }
}

/// The IAM model of a file, extracted on first use.
pub fn of(file: &SourceFile) -> &IamModel {
    file.models.cache().iam.get_or_init(|| extract(file))
}

fn extract(file: &SourceFile) -> IamModel {
    let mut model = IamModel::default();
    let cx = Cx {
        file,
        limits: Limits::default(),
    };
    for root in file.roots() {
        match file.kind {
            FileKind::Policy => cx.plain(root, &mut model),
            FileKind::CloudFormation => cx.cloudformation(root, &mut model),
            FileKind::Terraform if file.syntax == Some(Syntax::Hcl) => {
                cx.terraform(root, &mut model)
            }
            _ => {}
        }
    }
    model
}

struct Cx<'a> {
    file: &'a SourceFile,
    limits: Limits,
}

impl Cx<'_> {
    /// A standalone policy file: a document, or CLI input/output that holds one.
    fn plain(&self, root: &Node, model: &mut IamModel) {
        if root.entry_ignore_case("Statement").is_some() {
            model
                .policies
                .extend(Policy::from_document(root, None, None));
            return;
        }
        let role = root.get("Role").unwrap_or(root);
        if let Some(doc) = role.get("AssumeRolePolicyDocument") {
            self.document(doc, PolicyRole::Trust, None, model);
        }
        if let Some(doc) = root.get("PolicyDocument") {
            self.document(doc, PolicyRole::Identity, None, model);
        }
    }

    /// A policy document node: an object, or a JSON string holding one.
    fn document(&self, node: &Node, role: PolicyRole, owner: Option<Owner>, model: &mut IamModel) {
        if let NodeKind::Str(_) = node.kind {
            if let Some(Ok(doc)) = parse_embedded(&self.file.text, node, Syntax::Json, &self.limits)
            {
                for root in &doc.roots {
                    model
                        .policies
                        .extend(Policy::from_document(root, Some(role), owner.clone()));
                }
            }
            return;
        }
        model
            .policies
            .extend(Policy::from_document(node, Some(role), owner));
    }

    fn cloudformation(&self, root: &Node, model: &mut IamModel) {
        let Some(resources) = root.get("Resources").and_then(Node::entries) else {
            return;
        };
        for resource in resources {
            let id = &resource.key.text;
            let ty = resource
                .value
                .get("Type")
                .and_then(Node::as_str)
                .unwrap_or("");
            let Some(props) = resource.value.get("Properties") else {
                continue;
            };
            let owner = |what: &str| {
                Some(Owner {
                    description: format!("{what} {id}"),
                    span: resource.key.span,
                })
            };
            match ty {
                "AWS::IAM::Role" => {
                    if let Some(doc) = props.get("AssumeRolePolicyDocument") {
                        self.document(doc, PolicyRole::Trust, owner("role"), model);
                    }
                    for policy in props.get("Policies").and_then(Node::items).unwrap_or(&[]) {
                        if let Some(doc) = policy.get("PolicyDocument") {
                            self.document(doc, PolicyRole::Identity, owner("role"), model);
                        }
                    }
                    for arn in props
                        .get("ManagedPolicyArns")
                        .map(values)
                        .unwrap_or_default()
                    {
                        model.attachments.push(Attachment {
                            policy_arn: arn,
                            owner: format!("role {id}"),
                        });
                    }
                }
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                    if let Some(doc) = props.get("PolicyDocument") {
                        self.document(doc, PolicyRole::Identity, owner("policy"), model);
                    }
                }
                // CDK's `iam.OpenIdConnectProvider` synthesises the custom type.
                "AWS::IAM::OIDCProvider" | "Custom::AWSCDKOpenIdConnectProvider" => {
                    if let Some(url) = props.get("Url").and_then(value) {
                        model.providers.push(OidcProvider {
                            name: id.to_string(),
                            url,
                            span: resource.key.span,
                        });
                    }
                }
                _ => {}
            }
        }
    }

    fn terraform(&self, root: &Node, model: &mut IamModel) {
        for entry in root.entries().unwrap_or(&[]) {
            let NodeKind::Block(tf_block) = &entry.value.kind else {
                continue;
            };
            let (labels, body) = (&tf_block.labels, &tf_block.body);
            // The block node answers `get` like a mapping.
            let block = &entry.value;
            let [ty, name] = &labels[..] else {
                continue;
            };
            let address = format!("{}.{}", ty.text, name.text);
            let owner = Some(Owner {
                description: address.clone(),
                span: name.span,
            });
            match (entry.key.text.as_str(), ty.text.as_str()) {
                ("resource", "aws_iam_role") => {
                    if let Some(doc) = block.get("assume_role_policy") {
                        self.tf_policy(doc, PolicyRole::Trust, owner.clone(), model);
                    }
                    for inline in body.iter().filter(|e| e.key.text == "inline_policy") {
                        if let Some(doc) = inline
                            .value
                            .entries()
                            .and_then(|b| b.iter().find(|e| e.key.text == "policy"))
                        {
                            self.tf_policy(&doc.value, PolicyRole::Identity, owner.clone(), model);
                        }
                    }
                    for arn in block
                        .get("managed_policy_arns")
                        .map(values)
                        .unwrap_or_default()
                    {
                        model.attachments.push(Attachment {
                            policy_arn: arn,
                            owner: address.clone(),
                        });
                    }
                }
                (
                    "resource",
                    "aws_iam_policy"
                    | "aws_iam_role_policy"
                    | "aws_iam_user_policy"
                    | "aws_iam_group_policy",
                ) => {
                    if let Some(doc) = block.get("policy") {
                        self.tf_policy(doc, PolicyRole::Identity, owner, model);
                    }
                }
                (
                    "resource",
                    "aws_iam_role_policy_attachment"
                    | "aws_iam_policy_attachment"
                    | "aws_iam_user_policy_attachment"
                    | "aws_iam_group_policy_attachment",
                ) => {
                    if let Some(arn) = block.get("policy_arn").and_then(value) {
                        model.attachments.push(Attachment {
                            policy_arn: arn,
                            owner: address,
                        });
                    }
                }
                ("resource", "aws_iam_openid_connect_provider") => {
                    if let Some(url) = block.get("url").and_then(value) {
                        model.providers.push(OidcProvider {
                            name: address,
                            url,
                            span: name.span,
                        });
                    }
                }
                ("data", "aws_iam_policy_document") => {
                    let owner = Some(Owner {
                        description: format!("roles using data.{address}"),
                        span: name.span,
                    });
                    model
                        .policies
                        .push(policy_document_data(block, body, owner));
                }
                _ => {}
            }
        }
    }

    /// `assume_role_policy` / `policy`: `jsonencode({...})`, a heredoc or
    /// quoted JSON string, or a reference (to a data source, read on its own).
    fn tf_policy(&self, node: &Node, role: PolicyRole, owner: Option<Owner>, model: &mut IamModel) {
        match &node.kind {
            NodeKind::Call(call) if call.name == "jsonencode" => {
                if let Some(arg) = call.args.first() {
                    model
                        .policies
                        .extend(Policy::from_document(arg, Some(role), owner));
                }
            }
            NodeKind::Str(_) => self.document(node, role, owner, model),
            _ => {}
        }
    }
}

/// `data "aws_iam_policy_document"`: `statement` blocks with `principals`,
/// `not_principals` and `condition` blocks.
fn policy_document_data(
    block: &Node,
    body: &[crate::syntax::Entry],
    owner: Option<Owner>,
) -> Policy {
    let statements: Vec<Statement> = body
        .iter()
        .filter(|e| e.key.text == "statement")
        .filter_map(|e| match &e.value.kind {
            NodeKind::Block(block) => Some(tf_statement(e.value.span, &block.body)),
            _ => None,
        })
        .collect();
    let role = if statements
        .iter()
        .any(|s| s.principals.is_some() || s.not_principals.is_some())
    {
        PolicyRole::Trust
    } else {
        PolicyRole::Identity
    };
    Policy {
        role,
        span: block.span,
        owner,
        statements,
    }
}

fn tf_statement(span: Span, body: &[crate::syntax::Entry]) -> Statement {
    let attr = |k: &str| {
        body.iter()
            .rev()
            .find(|e| e.key.text == k && !matches!(e.value.kind, NodeKind::Block { .. }))
    };
    let blocks = |k: &'static str| {
        body.iter()
            .filter(move |e| e.key.text == k)
            .filter_map(|e| match &e.value.kind {
                NodeKind::Block(block) => Some((e.value.span, &block.body[..])),
                _ => None,
            })
    };
    let effect_entry = attr("effect");
    let effect = match effect_entry.and_then(|e| value(&e.value)) {
        Some(v) if v.text.eq_ignore_ascii_case("deny") => Effect::Deny,
        _ => Effect::Allow,
    };
    let principals = |k: &'static str| -> (Option<Vec<Principal>>, Option<Span>) {
        let mut found = None;
        let mut first_span = None;
        for (span, body) in blocks(k) {
            first_span.get_or_insert(span);
            let get = |k: &str| body.iter().find(|e| e.key.text == k).map(|e| &e.value);
            let kind = get("type")
                .and_then(value)
                .map_or(PrincipalKind::Other, |t| PrincipalKind::parse(&t.text));
            let list: &mut Vec<Principal> = found.get_or_insert_with(Vec::new);
            for v in get("identifiers").map(values).unwrap_or_default() {
                let kind = if kind == PrincipalKind::Aws && v.text == "*" {
                    PrincipalKind::Everyone
                } else {
                    kind
                };
                list.push(Principal { kind, value: v });
            }
        }
        (found, first_span)
    };
    let (principals_list, principal_span) = principals("principals");
    let (not_principals, not_principal_span) = principals("not_principals");
    let conditions = blocks("condition")
        .flat_map(|(span, body)| {
            let get = |k: &str| body.iter().find(|e| e.key.text == k);
            let test = get("test").and_then(|e| value(&e.value).map(|v| (v, e.value.span)));
            let variable = get("variable").and_then(|e| value(&e.value));
            match (test, variable) {
                (Some((test, test_span)), Some(key)) => Some(Condition {
                    operator: Operator::parse(&test.text, test_span),
                    key,
                    values: get("values").map(|e| values(&e.value)).unwrap_or_default(),
                }),
                _ => {
                    let _ = span;
                    None
                }
            }
        })
        .collect();
    let list = |k: &str| attr(k).map(|e| values(&e.value));
    Statement {
        span,
        sid: attr("sid").and_then(|e| value(&e.value)).map(|v| v.text),
        effect,
        effect_span: effect_entry.map_or(span, |e| e.value.span),
        principals: principals_list,
        principal_span,
        not_principals,
        not_principal_span,
        actions: list("actions").unwrap_or_default(),
        not_actions: list("not_actions"),
        resources: list("resources").unwrap_or_default(),
        not_resources: list("not_resources"),
        conditions,
    }
}
