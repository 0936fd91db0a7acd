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
    crate::eval::within(file, || extract_in_scope(file))
}

fn extract_in_scope(file: &SourceFile) -> IamModel {
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
        if super::export::is_authorization_details(root) {
            super::export::authorization_details(self.file, root, model);
            return;
        }
        if root.entry_ignore_case("Statement").is_some() {
            // A template rendered by `templatefile()` for a role.
            let owner = crate::eval::tf_scope()
                .and_then(|s| s.template_callers())
                .map(|callers| Owner {
                    description: callers,
                    span: root.span,
                });
            model
                .policies
                .extend(Policy::from_document(root, None, owner));
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
                "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                    let what = match ty {
                        "AWS::IAM::Role" => "role",
                        "AWS::IAM::User" => "user",
                        _ => "group",
                    };
                    if let Some(doc) = props.get("AssumeRolePolicyDocument")
                        && what == "role"
                    {
                        self.document(doc, PolicyRole::Trust, owner(what), model);
                    }
                    for policy in props.get("Policies").and_then(Node::items).unwrap_or(&[]) {
                        if let Some(doc) = policy.get("PolicyDocument") {
                            self.document(doc, PolicyRole::Identity, owner(what), model);
                        }
                    }
                    for arn in props
                        .get("ManagedPolicyArns")
                        .map(values)
                        .unwrap_or_default()
                    {
                        model.attachments.push(Attachment {
                            policy_arn: arn,
                            owner: format!("{what} {id}"),
                        });
                    }
                }
                "AWS::IAM::Policy"
                | "AWS::IAM::ManagedPolicy"
                | "AWS::IAM::RolePolicy"
                | "AWS::IAM::UserPolicy"
                | "AWS::IAM::GroupPolicy" => {
                    // Name the role, user or group a single-target policy
                    // is attached to when the template refers to it.
                    let target = [
                        ("RoleName", "role"),
                        ("UserName", "user"),
                        ("GroupName", "group"),
                    ]
                    .into_iter()
                    .find_map(|(key, what)| {
                        let v = props.get(key).and_then(value)?;
                        let name = v.text.strip_prefix("${")?.strip_suffix('}')?.to_owned();
                        Some(format!("{what} {name}"))
                    });
                    let owner = match target {
                        Some(description) => Some(Owner {
                            description,
                            span: resource.key.span,
                        }),
                        None => owner("policy"),
                    };
                    if let Some(doc) = props.get("PolicyDocument") {
                        self.document(doc, PolicyRole::Identity, owner, model);
                    }
                }
                "AWS::SSO::PermissionSet" => {
                    if let Some(doc) = props.get("InlinePolicy") {
                        self.document(doc, PolicyRole::Identity, owner("permission set"), model);
                    }
                    for arn in props.get("ManagedPolicies").map(values).unwrap_or_default() {
                        model.attachments.push(Attachment {
                            policy_arn: arn,
                            owner: format!("permission set {id}"),
                        });
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
        let lookups = managed_policy_lookups(root);
        for entry in root.entries().unwrap_or(&[]) {
            // A block its `count` switches off does not exist.
            if crate::eval::disabled(&entry.value) {
                continue;
            }
            // `each.key` / `each.value` stand for the items of `for_each`
            // (none when it is empty: the block is not read).
            crate::eval::with_each(&entry.value, || {
                self.terraform_block(root, entry, &lookups, model);
            });
        }
    }

    fn terraform_block(
        &self,
        root: &Node,
        entry: &crate::syntax::Entry,
        lookups: &[(String, String)],
        model: &mut IamModel,
    ) {
        let attach = |model: &mut IamModel, mut arn: Val, owner: String| {
            if let Some(resolved) = resolve_lookup(lookups, &arn.text) {
                arn.text = resolved;
            }
            model.attachments.push(Attachment {
                policy_arn: arn,
                owner,
            });
        };
        {
            let NodeKind::Block(tf_block) = &entry.value.kind else {
                return;
            };
            let (labels, body) = (&tf_block.labels, &tf_block.body);
            // The block node answers `get` like a mapping.
            let block = &entry.value;
            if let ("module", [name]) = (entry.key.text.as_str(), &labels[..]) {
                model.policies.extend(crate::eval::registry::trust_policy(
                    block, &name.text, name.span,
                ));
                return;
            }
            let [ty, name] = &labels[..] else {
                return;
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
                        attach(model, arn, address.clone());
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
                        // Name what the policy is attached to, as the file does.
                        // `role`/`user`/`group`, or one entry of the lists
                        // `aws_iam_policy_attachment` takes.
                        let target = ["role", "user", "group"].into_iter().find_map(|k| {
                            let v = block.get(k).and_then(value).or_else(|| {
                                match block.get(&format!("{k}s")).map(values).as_deref() {
                                    Some([only]) => Some(only.clone()),
                                    _ => None,
                                }
                            })?;
                            Some(reference_owner(&v.text, k))
                        });
                        attach(model, arn, target.unwrap_or(address));
                    }
                }
                ("resource", "aws_ssoadmin_permission_set_inline_policy") => {
                    if let Some(doc) = block.get("inline_policy") {
                        self.tf_policy(doc, PolicyRole::Identity, owner, model);
                    }
                }
                ("resource", "aws_ssoadmin_managed_policy_attachment") => {
                    if let Some(arn) = block.get("managed_policy_arn").and_then(value) {
                        attach(model, arn, address);
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
                    // Name the resource that uses the document, as the file
                    // does, when exactly one does.
                    let users = document_users(root, &name.text);
                    let mut policy = policy_document_data(block, body, None);
                    let description = match users.as_slice() {
                        [only] => only.clone(),
                        _ if policy.role == PolicyRole::Trust => {
                            format!("roles using data.{address}")
                        }
                        _ => format!("principals using data.{address}"),
                    };
                    policy.owner = Some(Owner {
                        description,
                        span: name.span,
                    });
                    model.policies.push(policy);
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
            // `local.trust`, declared in the same file as `jsonencode({...})`.
            NodeKind::Expr(raw) => {
                let Some(name) = raw.trim().strip_prefix("local.") else {
                    return;
                };
                if let Some(scope) = crate::eval::tf_scope()
                    && let Some(local) = scope.local_in_same_file(name)
                    && !matches!(local.kind, NodeKind::Expr(_))
                {
                    self.tf_policy(local, role, owner, model);
                }
            }
            _ => {}
        }
    }
}

/// Resources of the module whose policy attribute is the JSON of
/// `data.aws_iam_policy_document.NAME`: their addresses, in source order.
fn document_users(root: &Node, name: &str) -> Vec<String> {
    let needle = format!("data.aws_iam_policy_document.{name}.json");
    let mut out = Vec::new();
    for entry in root.entries().unwrap_or(&[]) {
        let NodeKind::Block(block) = &entry.value.kind else {
            continue;
        };
        let [ty, label] = &block.labels[..] else {
            continue;
        };
        if entry.key.text != "resource" {
            continue;
        }
        // `inline_policy { policy = ... }` blocks of a role, too.
        let nested = block
            .body
            .iter()
            .filter(|e| e.key.text == "inline_policy")
            .filter_map(|e| e.value.get("policy"));
        let uses = ["assume_role_policy", "policy", "inline_policy"]
            .into_iter()
            .filter_map(|k| entry.value.get(k))
            .chain(nested)
            .filter_map(value)
            .any(|v| {
                v.text
                    .split(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
                    .any(|part| part == needle)
            });
        if uses {
            out.push(format!("{}.{}", ty.text, label.text));
        }
    }
    out
}

/// `data "aws_iam_policy" "NAME"` lookups of managed policies by name or
/// ARN: (`data.aws_iam_policy.NAME`, the policy's ARN).
fn managed_policy_lookups(root: &Node) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in root.entries().unwrap_or(&[]) {
        let NodeKind::Block(block) = &entry.value.kind else {
            continue;
        };
        let [ty, name] = &block.labels[..] else {
            continue;
        };
        if entry.key.text != "data" || ty.text != "aws_iam_policy" {
            continue;
        }
        let get = |k: &str| entry.value.get(k).and_then(value);
        let arn = match (get("arn"), get("name")) {
            (Some(arn), _) => arn.text,
            (None, Some(name)) => format!("arn:aws:iam::aws:policy/{}", name.text),
            _ => continue,
        };
        out.push((format!("data.aws_iam_policy.{}", name.text), arn));
    }
    out
}

/// The ARN a `${data.aws_iam_policy.NAME.arn}` reference resolves to.
fn resolve_lookup(lookups: &[(String, String)], text: &str) -> Option<String> {
    let reference = text.strip_prefix("${")?.strip_suffix('}')?;
    let address = reference.strip_suffix(".arn")?;
    lookups
        .iter()
        .find(|(a, _)| a == address)
        .map(|(_, arn)| arn.clone())
}

/// `aws_iam_role.deploy` from `${aws_iam_role.deploy.name}`; `role "x"`
/// for a literal name.
fn reference_owner(text: &str, what: &str) -> String {
    match text.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(reference) => reference
            .strip_suffix(".name")
            .or_else(|| reference.strip_suffix(".id"))
            .or_else(|| reference.strip_suffix(".arn"))
            .unwrap_or(reference)
            .to_owned(),
        None => format!("{what} \"{text}\""),
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
            let variable = get("variable").and_then(|e| super::value::name_value(&e.value));
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
