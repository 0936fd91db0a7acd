//! From lowered calls to a CloudFormation-shaped document.
//!
//! The front-ends hand over every call of the program (lowered, constants
//! resolved) in source order; [`Emitter`] recognises the constructs and keeps
//! the resources they synthesise to, then [`Emitter::finish`] builds the
//! document.

use super::{CallExpr, Expr, Prop};
use crate::syntax::{Entry, Key, Node, NodeKind, Span, Text};
use std::collections::HashMap;

/// A node under construction.
fn node(span: Span, kind: NodeKind) -> Node {
    Node::new(span, kind)
}

fn s(span: Span, text: &str) -> Node {
    node(span, NodeKind::Str(Text::from(text)))
}

fn entry(key: &str, key_span: Span, value: Node) -> Entry {
    Entry {
        key: Key {
            text: Text::from(key),
            span: key_span,
        },
        value,
    }
}

fn map(span: Span, entries: Vec<Entry>) -> Node {
    node(span, NodeKind::Map(entries.into_boxed_slice()))
}

fn seq(span: Span, items: Vec<Node>) -> Node {
    node(span, NodeKind::Seq(items.into_boxed_slice()))
}

/// The span that encloses all of `spans` (those that are not empty).
fn cover(spans: impl IntoIterator<Item = Span>) -> Span {
    let mut out: Option<Span> = None;
    for sp in spans {
        if sp.is_empty() {
            continue;
        }
        out = Some(match out {
            None => sp,
            Some(o) => Span {
                start: o.start.min(sp.start),
                end: o.end.max(sp.end),
            },
        });
    }
    out.unwrap_or_default()
}

/// A role being assembled: its trust and identity policies.
struct RoleState {
    id: String,
    id_span: Span,
    span: Span,
    /// `AWS::IAM::Role` properties written directly (CfnRole, Pulumi).
    trust: Option<Node>,
    trust_statements: Vec<Node>,
    trust_span: Span,
    inline: Vec<Node>,
    managed: Vec<Node>,
    /// Statements added later (`addToPolicy`): the role's default policy.
    added: Vec<Node>,
    added_span: Span,
}

struct Resource {
    id: String,
    id_span: Span,
    span: Span,
    ty: &'static str,
    props: Vec<Entry>,
}

pub(crate) struct Emitter<'t> {
    text: &'t str,
    roles: Vec<RoleState>,
    role_at: HashMap<u32, usize>,
    resources: Vec<Resource>,
    /// Identity statements added to things that are not roles of this file
    /// (`fn.addToRolePolicy(...)`), per receiver text.
    orphans: Vec<(String, Span, Vec<Node>)>,
    /// Pulumi `getPolicyDocument` calls used by a role or policy.
    used_documents: Vec<u32>,
    documents: Vec<CallExpr>,
    ids: HashMap<String, usize>,
    /// What `statement.addActions(...)` and the like added to a
    /// `PolicyStatement`, by the statement's construct.
    statement_extra: HashMap<u32, Vec<(&'static str, Node)>>,
    /// Objects with an unknown spread, by span: what they hold is not known
    /// in full.
    incomplete: Vec<(u32, u32)>,
}

/// Names of construct ids: letters and digits, as CloudFormation logical ids.
/// `deploy-role` and `${name}-role` read as `DeployRole` and `NameRole`.
fn logical(id: &str) -> String {
    let out: String = if id.chars().all(|c| c.is_ascii_alphanumeric()) {
        id.to_owned()
    } else {
        id.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut cs = w.chars();
                cs.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                    .unwrap_or_default()
            })
            .collect()
    };
    if out.is_empty() {
        "Resource".into()
    } else {
        out
    }
}

impl<'t> Emitter<'t> {
    pub fn new(text: &'t str) -> Self {
        Emitter {
            text,
            roles: Vec::new(),
            role_at: HashMap::new(),
            resources: Vec::new(),
            orphans: Vec::new(),
            used_documents: Vec::new(),
            documents: Vec::new(),
            ids: HashMap::new(),
            statement_extra: HashMap::new(),
            incomplete: Vec::new(),
        }
    }

    fn unique(&mut self, id: &str) -> String {
        let base = logical(id);
        let n = self.ids.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { base } else { format!("{base}{n}") }
    }

    /// The id of a construct: CDK's second argument, Pulumi's first.
    fn construct_id(&mut self, call: &CallExpr, index: usize) -> (String, Span) {
        match call.args.get(index) {
            Some(Expr::Str(span, text)) => (self.unique(text), *span),
            _ => {
                let name = call.name().to_owned();
                (self.unique(&name), call.head)
            }
        }
    }

    /// The properties of a construct: the object argument at `index`, or the
    /// Python keyword arguments.
    fn props<'c>(&self, call: &'c CallExpr, index: usize) -> Option<PropsView<'c>> {
        // Pulumi Python: `aws.iam.Role("ci", aws.iam.RoleArgs(...))` or
        // `args=aws.iam.RoleArgs(...)`.
        let args_object = |e: &'c Expr| match e {
            Expr::Call(c) if c.name().ends_with("Args") => Some(PropsView(&c.kwargs)),
            _ => None,
        };
        if let Some(p) = super::find_prop(&call.kwargs, "args").and_then(|a| args_object(&a.value))
        {
            return Some(p);
        }
        if call.kwargs.iter().any(|k| k.key != "opts") {
            return Some(PropsView(&call.kwargs));
        }
        match call.args.get(index) {
            Some(Expr::Obj(_, props)) => Some(PropsView(props)),
            Some(other) => args_object(other),
            None => None,
        }
    }

    /// Looks at one call of the program.
    pub fn call(&mut self, call: &CallExpr) {
        // Constructs are classes (`Role`), methods are not (`addToPolicy`).
        let is_method = !starts_upper(call.name());
        match call.name() {
            "Role" | "LazyRole" if !is_method => self.role(call),
            "CfnRole" => self.cfn_role(call),
            "GithubActionsRole" => self.github_actions_role(call),
            "Policy" | "ManagedPolicy" | "RolePolicy" | "UserPolicy" | "GroupPolicy"
                if !is_method =>
            {
                self.policy(call)
            }
            "CfnPolicy" | "CfnManagedPolicy" => self.cfn_policy(call),
            "OpenIdConnectProvider" | "GithubActionsIdentityProvider" if !is_method => {
                self.provider(call)
            }
            "CfnOIDCProvider" => self.cfn_provider(call),
            "RolePolicyAttachment" | "PolicyAttachment" if !is_method => self.attachment(call),
            "Project" | "PipelineProject" | "CfnProject" if !is_method => self.project(call),
            "ShellStep" | "CodeBuildStep" if !is_method => self.shell_step(call),
            "getPolicyDocument"
            | "get_policy_document"
            | "getPolicyDocumentOutput"
            | "get_policy_document_output" => self.documents.push(call.clone()),
            "addToPolicy"
            | "addToPrincipalPolicy"
            | "addToRolePolicy"
            | "add_to_policy"
            | "add_to_principal_policy"
            | "add_to_role_policy" => self.add_statements(call),
            "addManagedPolicy" | "add_managed_policy" => self.add_managed(call),
            "attachInlinePolicy" | "attach_inline_policy" => {}
            "addStatements" | "add_statements" => self.add_trust_statements(call),
            name if statement_mutator(name).is_some() => self.mutate_statement(call),
            _ => {}
        }
    }

    // ----- IAM roles -------------------------------------------------------

    fn new_role(&mut self, call: &CallExpr, id: String, id_span: Span) -> usize {
        let index = self.roles.len();
        self.roles.push(RoleState {
            id,
            id_span,
            span: call.span,
            trust: None,
            trust_statements: Vec::new(),
            trust_span: call.head,
            inline: Vec::new(),
            managed: Vec::new(),
            added: Vec::new(),
            added_span: Span::default(),
        });
        self.role_at.insert(call.key(), index);
        index
    }

    fn role(&mut self, call: &CallExpr) {
        let pulumi_style = matches!(call.args.first(), Some(Expr::Str(..)))
            || self
                .props(call, 1)
                .is_some_and(|p| p.get("assumeRolePolicy").is_some());
        if pulumi_style {
            return self.pulumi_role(call);
        }
        let (id, id_span) = self.construct_id(call, 1);
        let index = self.new_role(call, id, id_span);
        let Some(props) = self.props(call, 2) else {
            return;
        };
        if let Some(principal) = props.get("assumedBy") {
            let statements = self.principal_statements(principal, 0);
            self.roles[index].trust_span = principal.span();
            self.roles[index].trust_statements.extend(statements);
        }
        if let Some(Expr::Obj(_, policies)) = props.get("inlinePolicies") {
            for p in policies {
                let doc = self.document(&p.value);
                self.roles[index].inline.push(map(
                    p.value.span(),
                    vec![
                        entry("PolicyName", p.key_span, s(p.key_span, &p.key)),
                        entry("PolicyDocument", p.key_span, doc),
                    ],
                ));
            }
        }
        if let Some(list) = props.get("managedPolicies") {
            let arns = self.managed_arns(list);
            self.roles[index].managed.extend(arns);
        }
    }

    /// `new aws.iam.Role("ci", { assumeRolePolicy, inlinePolicies, managedPolicyArns })`.
    fn pulumi_role(&mut self, call: &CallExpr) {
        let (id, id_span) = self.construct_id(call, 0);
        let index = self.new_role(call, id, id_span);
        let Some(props) = self.props(call, 1) else {
            return;
        };
        if let Some(doc) = props.get("assumeRolePolicy") {
            self.roles[index].trust = Some(self.document(doc));
        }
        if let Some(Expr::Arr(_, items)) = props.get("inlinePolicies") {
            for item in items {
                let inner = object_props(item);
                if let Some(policy) = inner.and_then(|p| p.get("policy")) {
                    let doc = self.document(policy);
                    self.roles[index].inline.push(map(
                        item.span(),
                        vec![entry("PolicyDocument", Span::default(), doc)],
                    ));
                }
            }
        }
        if let Some(list) = props.get("managedPolicyArns") {
            let arns = self.managed_arns(list);
            self.roles[index].managed.extend(arns);
        }
    }

    fn cfn_role(&mut self, call: &CallExpr) {
        let (id, id_span) = self.construct_id(call, 1);
        let index = self.new_role(call, id, id_span);
        let Some(props) = self.props(call, 2) else {
            return;
        };
        if let Some(doc) = props.get("assumeRolePolicyDocument") {
            self.roles[index].trust = Some(self.document(doc));
        }
        if let Some(Expr::Arr(_, items)) = props.get("policies") {
            for item in items {
                if let Some(doc) = object_props(item).and_then(|p| p.get("policyDocument")) {
                    let doc = self.document(doc);
                    self.roles[index].inline.push(map(
                        item.span(),
                        vec![entry("PolicyDocument", Span::default(), doc)],
                    ));
                }
            }
        }
        if let Some(list) = props.get("managedPolicyArns") {
            let arns = self.managed_arns(list);
            self.roles[index].managed.extend(arns);
        }
    }

    /// aws-cdk-github-oidc: trusts `repo:<owner>/<repo>:<filter, default *>`
    /// on the GitHub provider, audience `sts.amazonaws.com`.
    fn github_actions_role(&mut self, call: &CallExpr) {
        let (id, id_span) = self.construct_id(call, 1);
        let index = self.new_role(call, id, id_span);
        let Some(props) = self.props(call, 2) else {
            return;
        };
        let head = call.head;
        let federated = match props.get("provider") {
            Some(p) => self.provider_arn(p),
            None => s(head, GITHUB_PROVIDER_ARN),
        };
        // One subject, or one per `trustedRepositories` entry (newer
        // versions of the construct).
        let mut subjects = Vec::new();
        let trusted = match props.get("trustedRepositories") {
            Some(Expr::Arr(_, items)) => items.iter().filter_map(object_props).collect(),
            _ => vec![props],
        };
        for repo in trusted {
            let (subject, span) = github_subject(repo, self.text, head);
            subjects.push(s(span, &subject));
        }
        let sub_span = cover(subjects.iter().map(|n| n.span));
        let condition = map(
            head,
            vec![
                entry(
                    "ForAnyValue:StringLike",
                    Span::default(),
                    map(
                        sub_span,
                        vec![entry(
                            "token.actions.githubusercontent.com:sub",
                            Span::default(),
                            seq(sub_span, subjects),
                        )],
                    ),
                ),
                entry(
                    "StringEquals",
                    Span::default(),
                    map(
                        head,
                        vec![entry(
                            "token.actions.githubusercontent.com:aud",
                            Span::default(),
                            s(head, "sts.amazonaws.com"),
                        )],
                    ),
                ),
            ],
        );
        let statement = map(
            head,
            vec![
                entry("Effect", Span::default(), s(head, "Allow")),
                entry(
                    "Principal",
                    Span::default(),
                    map(head, vec![entry("Federated", Span::default(), federated)]),
                ),
                entry(
                    "Action",
                    Span::default(),
                    s(head, "sts:AssumeRoleWithWebIdentity"),
                ),
                entry("Condition", Span::default(), condition),
            ],
        );
        self.roles[index].trust_statements.push(statement);
        if let Some(list) = props.get("managedPolicies") {
            let arns = self.managed_arns(list);
            self.roles[index].managed.extend(arns);
        }
        if let Some(Expr::Obj(_, policies)) = props.get("inlinePolicies") {
            for p in policies {
                let doc = self.document(&p.value);
                self.roles[index].inline.push(map(
                    p.value.span(),
                    vec![entry("PolicyDocument", p.key_span, doc)],
                ));
            }
        }
    }

    /// The trust statements a principal expression stands for.
    fn principal_statements(&mut self, principal: &Expr, depth: usize) -> Vec<Node> {
        if depth > 8 {
            return Vec::new();
        }
        let Some(call) = principal.as_call() else {
            return Vec::new();
        };
        let head = call.head;
        match call.name() {
            "CompositePrincipal" => call
                .args
                .iter()
                .flat_map(|a| self.principal_statements(a, depth + 1))
                .collect(),
            "withConditions" | "with_conditions" => {
                let Some(inner) = &call.receiver else {
                    return Vec::new();
                };
                let extra = call
                    .args
                    .first()
                    .or_else(|| call.kwargs.first().map(|p| &p.value));
                let mut statements = self.principal_statements(inner, depth + 1);
                if let Some(extra) = extra {
                    let extra = self.value(extra);
                    // Conditions not known in full make the merged ones so.
                    let unknown = !matches!(extra.kind, NodeKind::Map(_))
                        || self.is_incomplete(&extra)
                        || extra
                            .entries()
                            .is_some_and(|ops| ops.iter().any(|op| self.is_incomplete(&op.value)));
                    for st in &mut statements {
                        merge_conditions(st, &extra);
                        if unknown && let Some(c) = st.get("Condition") {
                            self.incomplete.push((c.span.start, c.span.end));
                        }
                    }
                }
                statements
            }
            "withSessionTags" | "with_session_tags" => {
                let Some(inner) = &call.receiver else {
                    return Vec::new();
                };
                self.principal_statements(inner, depth + 1)
            }
            "WebIdentityPrincipal" | "OpenIdConnectPrincipal" | "FederatedPrincipal" => {
                let first = arg_or_kw(
                    call,
                    0,
                    &["federated", "identityProvider", "openIdConnectProvider"],
                );
                let federated = match (call.name(), first) {
                    (_, None) => s(head, "${federated}"),
                    ("OpenIdConnectPrincipal", Some(p)) => self.provider_arn(p),
                    (_, Some(arn)) => self.provider_arn(arn),
                };
                let conditions = arg_or_kw(call, 1, &["conditions"]).map(|c| self.value(c));
                let action = if call.name() == "FederatedPrincipal" {
                    match arg_or_kw(call, 2, &["assumeRoleAction"]) {
                        Some(a) => self.value(a),
                        None => s(head, "sts:AssumeRole"),
                    }
                } else {
                    s(head, "sts:AssumeRoleWithWebIdentity")
                };
                vec![trust_statement(
                    head,
                    "Federated",
                    federated,
                    action,
                    conditions,
                )]
            }
            "ServicePrincipal" => {
                let service = call
                    .args
                    .first()
                    .map_or_else(|| s(head, "${service}"), |a| self.value(a));
                vec![trust_statement(
                    head,
                    "Service",
                    service,
                    s(head, "sts:AssumeRole"),
                    None,
                )]
            }
            "AccountPrincipal" => {
                let account = call.args.first().map(|a| self.value(a));
                let account = match account {
                    Some(Node {
                        span,
                        kind: NodeKind::Str(t) | NodeKind::Number(t),
                        ..
                    }) => s(span, &format!("arn:aws:iam::{t}:root")),
                    Some(other) => other,
                    None => s(head, "${account}"),
                };
                let conditions = arg_or_kw(call, 1, &["conditions"]).map(|c| self.value(c));
                vec![trust_statement(
                    head,
                    "AWS",
                    account,
                    s(head, "sts:AssumeRole"),
                    conditions,
                )]
            }
            "ArnPrincipal" => {
                let arn = call
                    .args
                    .first()
                    .map_or_else(|| s(head, "${arn}"), |a| self.value(a));
                vec![trust_statement(
                    head,
                    "AWS",
                    arn,
                    s(head, "sts:AssumeRole"),
                    None,
                )]
            }
            "AnyPrincipal" | "StarPrincipal" => {
                vec![trust_statement(
                    head,
                    "AWS",
                    s(head, "*"),
                    s(head, "sts:AssumeRole"),
                    None,
                )]
            }
            "AccountRootPrincipal" => vec![trust_statement(
                head,
                "AWS",
                s(head, "arn:aws:iam::${AWS::AccountId}:root"),
                s(head, "sts:AssumeRole"),
                None,
            )],
            _ => Vec::new(),
        }
    }

    /// The ARN of an OIDC provider expression: `${LogicalId}` for a provider
    /// created in this file (as `Ref` would synthesise), the ARN string for
    /// imported ones.
    fn provider_arn(&mut self, e: &Expr) -> Node {
        match e {
            Expr::Member(span, object, prop) => {
                if let Some(call) = object.as_call()
                    && let Some(id) = self.provider_id(call)
                {
                    return s(*span, &format!("${{{id}}}"));
                }
                let _ = prop;
                self.value(e)
            }
            Expr::Call(call) => {
                if let Some(id) = self.provider_id(call) {
                    // Where the provider is named, not where it is created.
                    return s(call.via.unwrap_or(call.head), &format!("${{{id}}}"));
                }
                match call.name() {
                    "fromOpenIdConnectProviderArn" | "from_open_id_connect_provider_arn" => {
                        match call.args.get(2) {
                            Some(arn) => self.value(arn),
                            None => s(call.head, "${provider}"),
                        }
                    }
                    "fromAccount" | "from_account" => s(call.head, GITHUB_PROVIDER_ARN),
                    _ => self.value(e),
                }
            }
            _ => self.value(e),
        }
    }

    /// The logical id of a provider created by `call`, if it was emitted.
    fn provider_id(&self, call: &CallExpr) -> Option<String> {
        let at = call.span;
        self.resources
            .iter()
            .find(|r| r.span == at && r.ty == "AWS::IAM::OIDCProvider")
            .map(|r| r.id.clone())
    }

    fn provider(&mut self, call: &CallExpr) {
        let github = call.name() == "GithubActionsIdentityProvider";
        // Pulumi: `new aws.iam.OpenIdConnectProvider("gh", { url })`.
        let pulumi = matches!(call.args.first(), Some(Expr::Str(..)));
        let (id, id_span) = self.construct_id(call, if pulumi { 0 } else { 1 });
        let url = if github {
            Some(s(call.head, "https://token.actions.githubusercontent.com"))
        } else {
            self.props(call, if pulumi { 1 } else { 2 })
                .and_then(|p| p.get("url"))
                .cloned()
                .map(|u| self.value(&u))
        };
        let mut props = Vec::new();
        if let Some(url) = url {
            props.push(entry("Url", Span::default(), url));
        }
        self.resources.push(Resource {
            id,
            id_span,
            span: call.span,
            ty: "AWS::IAM::OIDCProvider",
            props,
        });
    }

    fn cfn_provider(&mut self, call: &CallExpr) {
        let (id, id_span) = self.construct_id(call, 1);
        let url = self
            .props(call, 2)
            .and_then(|p| p.get("url"))
            .cloned()
            .map(|u| self.value(&u));
        self.resources.push(Resource {
            id,
            id_span,
            span: call.span,
            ty: "AWS::IAM::OIDCProvider",
            props: url
                .map(|u| entry("Url", Span::default(), u))
                .into_iter()
                .collect(),
        });
    }

    // ----- policies ------------------------------------------------------

    /// CDK `new iam.Policy(this, id, {statements, document})` /
    /// `ManagedPolicy`; Pulumi `new aws.iam.Policy(name, {policy})`,
    /// `RolePolicy`, `UserPolicy`, `GroupPolicy`.
    fn policy(&mut self, call: &CallExpr) {
        let pulumi = matches!(call.args.first(), Some(Expr::Str(..)))
            || self
                .props(call, 1)
                .is_some_and(|p| p.get("policy").is_some());
        let (id, id_span, props) = if pulumi {
            let (id, span) = self.construct_id(call, 0);
            (id, span, self.props(call, 1))
        } else {
            let (id, span) = self.construct_id(call, 1);
            (id, span, self.props(call, 2))
        };
        let ty = if call.name() == "ManagedPolicy" {
            "AWS::IAM::ManagedPolicy"
        } else {
            "AWS::IAM::Policy"
        };
        let Some(props) = props else {
            return;
        };
        let mut statements = Vec::new();
        let doc = if let Some(policy) = props.get("policy") {
            Some(self.document(policy))
        } else if let Some(document) = props.get("document") {
            Some(self.document(document))
        } else {
            if let Some(Expr::Arr(_, items)) = props.get("statements") {
                for item in items {
                    statements.push(self.statement(item));
                }
            }
            None
        };
        let doc = doc.unwrap_or_else(|| policy_document(call.head, statements));
        let mut entries = vec![entry("PolicyDocument", Span::default(), doc)];
        if let Some(roles) = props.get("roles").or_else(|| props.get("role")) {
            entries.push(entry("Roles", Span::default(), self.value(roles)));
        }
        self.resources.push(Resource {
            id,
            id_span,
            span: call.span,
            ty,
            props: entries,
        });
    }

    fn cfn_policy(&mut self, call: &CallExpr) {
        let (id, id_span) = self.construct_id(call, 1);
        let ty = if call.name() == "CfnManagedPolicy" {
            "AWS::IAM::ManagedPolicy"
        } else {
            "AWS::IAM::Policy"
        };
        let doc = self
            .props(call, 2)
            .and_then(|p| p.get("policyDocument"))
            .cloned()
            .map(|d| self.document(&d));
        self.resources.push(Resource {
            id,
            id_span,
            span: call.span,
            ty,
            props: doc
                .map(|d| entry("PolicyDocument", Span::default(), d))
                .into_iter()
                .collect(),
        });
    }

    /// Pulumi `new aws.iam.RolePolicyAttachment(name, {role, policyArn})`:
    /// a managed policy attached to a role, read as the role's.
    fn attachment(&mut self, call: &CallExpr) {
        let (id, id_span) = self.construct_id(call, 0);
        let Some(arn) = self
            .props(call, 1)
            .and_then(|p| p.get("policyArn"))
            .cloned()
        else {
            return;
        };
        let arn = self.managed_arn(&arn);
        // `role: ci.name` of a role of this file: that role's.
        let target = self.props(call, 1).and_then(|p| match p.get("role") {
            Some(Expr::Member(_, object, _)) => object.as_call().map(CallExpr::key),
            _ => None,
        });
        if let Some(index) = target.and_then(|k| self.role_at.get(&k).copied()) {
            self.roles[index].managed.push(arn);
            return;
        }
        let index = self.new_role(call, id, id_span);
        self.roles[index].managed.push(arn);
        // Not a role of its own: emitted as a role without trust below.
        self.role_at.remove(&call.key());
    }

    /// `role.addToPolicy(statement)` and the like.
    fn add_statements(&mut self, call: &CallExpr) {
        let statements: Vec<Node> = call
            .args
            .iter()
            .chain(call.kwargs.iter().map(|p| &p.value))
            .map(|a| self.statement(a))
            .collect();
        if statements.is_empty() {
            return;
        }
        if let Some(index) = self.receiver_role(call) {
            let role = &mut self.roles[index];
            if role.added.is_empty() {
                role.added_span = call.head;
            }
            role.added.extend(statements);
            return;
        }
        let receiver = call
            .receiver
            .as_ref()
            .map(|r| r.hole(self.text))
            .unwrap_or_default();
        self.orphans.push((receiver, call.head, statements));
    }

    /// `statement.addActions('s3:*')`, `addAllResources()`, ...
    fn mutate_statement(&mut self, call: &CallExpr) {
        let Some(target) = call.receiver.as_ref().and_then(Expr::as_call) else {
            return;
        };
        if target.name() != "PolicyStatement" {
            return;
        }
        let Some(key) = statement_mutator(call.name()) else {
            return;
        };
        let values: Vec<Node> = if key == "Resource" && call.name().contains("ll") {
            vec![s(call.head, "*")]
        } else if key == "Condition" {
            // addCondition(operator, {key: values})
            match (call.args.first(), call.args.get(1)) {
                (Some(Expr::Str(sp, op)), Some(v)) => {
                    let v = self.value(v);
                    vec![map(call.span, vec![entry(op, *sp, v)])]
                }
                _ => return,
            }
        } else {
            call.args
                .iter()
                .flat_map(|a| match self.value(a) {
                    Node {
                        kind: NodeKind::Seq(items),
                        ..
                    } => items.into_vec(),
                    other => vec![other],
                })
                .collect()
        };
        let extra = self.statement_extra.entry(target.key()).or_default();
        extra.extend(values.into_iter().map(|v| (key, v)));
    }

    fn add_managed(&mut self, call: &CallExpr) {
        let Some(index) = self.receiver_role(call) else {
            return;
        };
        let arns: Vec<Node> = call.args.iter().map(|a| self.managed_arn(a)).collect();
        self.roles[index].managed.extend(arns);
    }

    /// `role.assumeRolePolicy?.addStatements(statement)`.
    fn add_trust_statements(&mut self, call: &CallExpr) {
        let Some(Expr::Member(_, object, prop)) = &call.receiver else {
            return;
        };
        if crate::model::fields::norm(prop) != "assumerolepolicy" {
            return;
        }
        let Some(index) = object
            .as_call()
            .and_then(|c| self.role_at.get(&c.key()).copied())
        else {
            return;
        };
        let statements: Vec<Node> = call.args.iter().map(|a| self.statement(a)).collect();
        self.roles[index].trust_statements.extend(statements);
    }

    fn receiver_role(&self, call: &CallExpr) -> Option<usize> {
        let receiver = call.receiver.as_ref()?;
        let target = match receiver {
            Expr::Call(c) => c,
            // `role.grantPrincipal.addToPrincipalPolicy(...)`.
            Expr::Member(_, object, _) => object.as_call()?,
            _ => return None,
        };
        self.role_at.get(&target.key()).copied()
    }

    /// Managed policy ARNs of a list (or one).
    fn managed_arns(&mut self, list: &Expr) -> Vec<Node> {
        match list {
            Expr::Arr(_, items) => items.iter().map(|i| self.managed_arn(i)).collect(),
            other => vec![self.managed_arn(other)],
        }
    }

    /// `ManagedPolicy.fromAwsManagedPolicyName('X')` -> the AWS ARN, at the
    /// name literal; `fromManagedPolicyArn(scope, id, arn)` -> the ARN;
    /// Pulumi's `aws.iam.ManagedPolicy.AdministratorAccess` /
    /// `ManagedPolicies.ADMINISTRATOR_ACCESS` -> the AWS ARN.
    fn managed_arn(&mut self, e: &Expr) -> Node {
        if let Some(call) = e.as_call() {
            match call.name() {
                "fromAwsManagedPolicyName" | "from_aws_managed_policy_name" => {
                    return match call.args.first() {
                        Some(Expr::Str(span, name)) => {
                            s(*span, &format!("arn:aws:iam::aws:policy/{name}"))
                        }
                        Some(other) => self.value(other),
                        None => s(call.head, "${policy}"),
                    };
                }
                "fromManagedPolicyArn" | "from_managed_policy_arn" => {
                    if let Some(arn) = call.args.get(2) {
                        return self.value(arn);
                    }
                }
                _ => {}
            }
        }
        if let Expr::Member(span, object, name) = e {
            let holder = match &**object {
                Expr::Opaque(_, t) => t.rsplit('.').next().unwrap_or("").to_owned(),
                Expr::Member(_, _, n) => n.clone(),
                _ => String::new(),
            };
            if holder == "ManagedPolicy" || holder == "ManagedPolicies" {
                let pascal: String =
                    if name.contains('_') || name.chars().all(|c| !c.is_lowercase()) {
                        name.split('_')
                            .map(|w| {
                                let mut cs = w.chars();
                                match cs.next() {
                                    Some(f) => {
                                        f.to_ascii_uppercase().to_string()
                                            + &cs.as_str().to_ascii_lowercase()
                                    }
                                    None => String::new(),
                                }
                            })
                            .collect()
                    } else {
                        name.clone()
                    };
                let pascal = pascal.replace("Iam", "IAM");
                return s(*span, &format!("arn:aws:iam::aws:policy/{pascal}"));
            }
        }
        self.value(e)
    }

    /// A policy statement: `new iam.PolicyStatement({...})`,
    /// `PolicyStatement.fromJson({...})`, or a JSON object.
    fn statement(&mut self, e: &Expr) -> Node {
        let Some(call) = e.as_call() else {
            return self.value(e);
        };
        match call.name() {
            "PolicyStatement" => {}
            "fromJson" | "from_json" => {
                return call
                    .args
                    .first()
                    .map_or_else(|| map(call.span, Vec::new()), |a| self.value(a));
            }
            _ => return self.value(e),
        }
        let mut out = self.statement_props(call);
        if let Some(extra) = self.statement_extra.get(&call.key()) {
            add_to_statement(&mut out, extra);
        }
        out
    }

    fn statement_props(&mut self, call: &CallExpr) -> Node {
        let head = call.head;
        let props = self.props(call, 0);
        let mut entries = Vec::new();
        let Some(props) = props else {
            entries.push(entry("Effect", Span::default(), s(head, "Allow")));
            return map(call.span, entries);
        };
        if let Some(sid) = props.get("sid") {
            entries.push(entry("Sid", Span::default(), self.value(sid)));
        }
        let effect = match props.get("effect") {
            Some(e) => self.effect(e),
            None => s(head, "Allow"),
        };
        entries.push(entry("Effect", Span::default(), effect));
        for (from, to) in [
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
            ("conditions", "Condition"),
        ] {
            if let Some(v) = props.get(from) {
                entries.push(entry(to, props.key_span(from), self.value(v)));
            }
        }
        for (from, to) in [
            ("principals", "Principal"),
            ("notPrincipals", "NotPrincipal"),
        ] {
            if let Some(Expr::Arr(span, items)) = props.get(from) {
                let mut kinds: Vec<(String, Vec<Node>)> = Vec::new();
                for item in items {
                    for st in self.principal_statements(item, 0) {
                        if let Some(p) = st.get("Principal").and_then(Node::entries) {
                            for pe in p {
                                let k = pe.key.text.to_string();
                                match kinds.iter_mut().find(|(n, _)| *n == k) {
                                    Some((_, v)) => v.push(pe.value.clone()),
                                    None => kinds.push((k, vec![pe.value.clone()])),
                                }
                            }
                        }
                    }
                }
                let principal = map(
                    *span,
                    kinds
                        .into_iter()
                        .map(|(k, v)| entry(&k, Span::default(), seq(*span, v)))
                        .collect(),
                );
                entries.push(entry(to, props.key_span(from), principal));
            }
        }
        map(call.span, entries)
    }

    /// `iam.Effect.DENY` -> `Deny` at that expression.
    fn effect(&mut self, e: &Expr) -> Node {
        match e {
            Expr::Member(span, _, name) => {
                let text = if name.eq_ignore_ascii_case("deny") {
                    "Deny"
                } else {
                    "Allow"
                };
                s(*span, text)
            }
            other => self.value(other),
        }
    }

    /// A policy document: `new iam.PolicyDocument({statements})`,
    /// `PolicyDocument.fromJson(...)`, Pulumi `getPolicyDocument(...)`
    /// (also through `.json`), `JSON.stringify({...})`, or a JSON string.
    fn document(&mut self, e: &Expr) -> Node {
        match e {
            Expr::Call(call) => match call.name() {
                "PolicyDocument" => {
                    let statements = match self.props(call, 0).and_then(|p| p.get("statements")) {
                        Some(Expr::Arr(_, items)) => {
                            items.iter().map(|i| self.statement(i)).collect()
                        }
                        _ => Vec::new(),
                    };
                    policy_document(call.head, statements)
                }
                "getPolicyDocument"
                | "get_policy_document"
                | "getPolicyDocumentOutput"
                | "get_policy_document_output" => {
                    self.used_documents.push(call.key());
                    self.pulumi_document(call)
                }
                "then" | "apply" => match call.args.first() {
                    Some(Expr::Func(_, body)) => {
                        let body = (**body).clone();
                        match (&call.receiver, &body) {
                            // `doc.then(d => d.json)`.
                            (Some(r), Expr::Member(..)) if is_document_call(r) => self.document(r),
                            _ => self.document(&body),
                        }
                    }
                    _ => self.value(e),
                },
                _ => self.value(e),
            },
            Expr::Member(_, object, name) if name == "json" || name == "minifiedJson" => {
                if is_document_call(object) {
                    self.document(object)
                } else {
                    self.value(e)
                }
            }
            other => self.value(other),
        }
    }

    /// Pulumi `aws.iam.getPolicyDocument({statements: [...]})` as a
    /// CloudFormation-style document.
    fn pulumi_document(&mut self, call: &CallExpr) -> Node {
        let head = call.head;
        let statements = match self.props(call, 0).and_then(|p| p.get("statements")) {
            Some(Expr::Arr(_, items)) => items
                .iter()
                .filter_map(|i| object_props(i).map(|p| (i.span(), p)))
                .map(|(span, p)| self.pulumi_statement(span, p))
                .collect(),
            _ => Vec::new(),
        };
        policy_document(head, statements)
    }

    fn pulumi_statement(&mut self, span: Span, p: PropsView<'_>) -> Node {
        let mut entries = Vec::new();
        let effect = match p.get("effect") {
            Some(e) => self.value(e),
            None => s(span, "Allow"),
        };
        entries.push(entry("Effect", p.key_span("effect"), effect));
        for (from, to) in [
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
            ("sid", "Sid"),
        ] {
            if let Some(v) = p.get(from) {
                entries.push(entry(to, p.key_span(from), self.value(v)));
            }
        }
        for (from, to) in [
            ("principals", "Principal"),
            ("notPrincipals", "NotPrincipal"),
        ] {
            if let Some(Expr::Arr(list_span, items)) = p.get(from) {
                let mut kinds = Vec::new();
                for item in items {
                    let Some(ip) = object_props(item) else {
                        continue;
                    };
                    let ty = ip
                        .get("type")
                        .and_then(Expr::as_str)
                        .unwrap_or("AWS")
                        .to_owned();
                    let ids = ip
                        .get("identifiers")
                        .map_or_else(|| seq(item.span(), Vec::new()), |v| self.value(v));
                    kinds.push(entry(&ty, ip.key_span("type"), ids));
                }
                entries.push(entry(to, p.key_span(from), map(*list_span, kinds)));
            }
        }
        if let Some(Expr::Arr(list_span, items)) = p.get("conditions") {
            let mut ops: Vec<Entry> = Vec::new();
            for item in items {
                let Some(cp) = object_props(item) else {
                    continue;
                };
                let (Some(Expr::Str(test_span, test)), Some(variable)) =
                    (cp.get("test"), cp.get("variable"))
                else {
                    continue;
                };
                let (var_text, var_span) = match variable {
                    Expr::Str(sp, t) => (t.clone(), *sp),
                    other => (other.hole(self.text), other.span()),
                };
                let values = cp
                    .get("values")
                    .map_or_else(|| seq(item.span(), Vec::new()), |v| self.value(v));
                let inner = entry(&var_text, var_span, values);
                match ops.iter_mut().find(|e| e.key.text == test.as_str()) {
                    Some(op) => {
                        if let NodeKind::Map(entries) = &mut op.value.kind {
                            let mut v = std::mem::take(entries).into_vec();
                            v.push(inner);
                            *entries = v.into_boxed_slice();
                        }
                    }
                    None => ops.push(entry(test, *test_span, map(item.span(), vec![inner]))),
                }
            }
            entries.push(entry(
                "Condition",
                p.key_span("conditions"),
                map(*list_span, ops),
            ));
        }
        map(span, entries)
    }

    // ----- CodeBuild -----------------------------------------------------

    /// CDK `codebuild.Project` / `PipelineProject` / `CfnProject`, Pulumi
    /// `aws.codebuild.Project`.
    fn project(&mut self, call: &CallExpr) {
        let pulumi = matches!(call.args.first(), Some(Expr::Str(..)));
        let (id, id_span, props) = if pulumi {
            let (id, span) = self.construct_id(call, 0);
            (id, span, self.props(call, 1))
        } else {
            let (id, span) = self.construct_id(call, 1);
            (id, span, self.props(call, 2))
        };
        let Some(props) = props else {
            return;
        };
        let mut out = Vec::new();
        // The buildspec: CDK `buildSpec`, CfnProject / Pulumi `source.buildspec`.
        let spec = props.get("buildSpec").cloned().or_else(|| {
            object_props(props.get("source")?)
                .and_then(|s| s.get("buildspec").or_else(|| s.get("buildSpec")))
                .cloned()
        });
        if let Some(spec) = spec {
            let spec = self.buildspec(&spec);
            out.push(entry(
                "Source",
                Span::default(),
                map(spec.span, vec![entry("BuildSpec", Span::default(), spec)]),
            ));
        }
        let mut env = Vec::new();
        if let Some(e) = props.get("environment").and_then(object_props) {
            if let Some(p) = e.get("privileged").or_else(|| e.get("privilegedMode")) {
                env.push(entry(
                    "PrivilegedMode",
                    e.key_span("privileged"),
                    self.value(p),
                ));
            }
            if let Some(Expr::Arr(_, vars)) = e.get("environmentVariables") {
                let vars: Vec<Node> = vars.iter().map(|v| self.value(v)).collect();
                env.push(entry(
                    "EnvironmentVariables",
                    Span::default(),
                    seq(call.head, vars),
                ));
            }
            if let Some(t) = e.get("type") {
                env.push(entry("Type", Span::default(), self.value(t)));
            }
        }
        if let Some(Expr::Obj(span, vars)) = props.get("environmentVariables") {
            let vars = self.cdk_env_vars(vars);
            env.push(entry(
                "EnvironmentVariables",
                Span::default(),
                seq(*span, vars),
            ));
        }
        if !env.is_empty() {
            out.push(entry("Environment", Span::default(), map(call.head, env)));
        }
        if let Some(cache) = props.get("cache")
            && let Some(c) = self.cache(cache)
        {
            out.push(entry("Cache", Span::default(), c));
        }
        self.resources.push(Resource {
            id,
            id_span,
            span: call.span,
            ty: "AWS::CodeBuild::Project",
            props: out,
        });
        if let Some(Expr::Arr(_, items)) = props.get("rolePolicyStatements") {
            let statements: Vec<Node> = items.iter().map(|i| self.statement(i)).collect();
            self.orphans.push((String::new(), call.head, statements));
        }
    }

    /// `{ NAME: { value, type } }` -> `[{Name, Value, Type}]`.
    fn cdk_env_vars(&mut self, vars: &[Prop]) -> Vec<Node> {
        vars.iter()
            .map(|v| {
                let mut e = vec![entry("Name", v.key_span, s(v.key_span, &v.key))];
                match object_props(&v.value) {
                    Some(p) => {
                        if let Some(value) = p.get("value") {
                            e.push(entry("Value", p.key_span("value"), self.value(value)));
                        }
                        if let Some(Expr::Member(span, _, ty)) = p.get("type") {
                            e.push(entry("Type", Span::default(), s(*span, ty)));
                        }
                    }
                    None => e.push(entry("Value", Span::default(), self.value(&v.value))),
                }
                map(v.value.span(), e)
            })
            .collect()
    }

    /// `codebuild.Cache.local(codebuild.LocalCacheMode.DOCKER_LAYER, ...)`.
    fn cache(&mut self, e: &Expr) -> Option<Node> {
        let call = e.as_call()?;
        if call.name() != "local" {
            return Some(self.value(e));
        }
        let modes = call
            .args
            .iter()
            .map(|m| match m {
                Expr::Member(span, _, mode) => s(*span, &format!("LOCAL_{mode}_CACHE")),
                other => self.value(other),
            })
            .collect();
        Some(map(
            call.span,
            vec![
                entry("Type", Span::default(), s(call.head, "LOCAL")),
                entry("Modes", Span::default(), seq(call.span, modes)),
            ],
        ))
    }

    /// `BuildSpec.fromObject({...})` / `fromObjectToYaml` -> the buildspec
    /// as a mapping; `fromSourceFilename('x.yml')` -> the path.
    fn buildspec(&mut self, e: &Expr) -> Node {
        if let Some(call) = e.as_call() {
            match call.name() {
                "fromObject" | "fromObjectToYaml" | "from_object" | "from_object_to_yaml" => {
                    if let Some(obj) = call.args.first() {
                        return self.value(obj);
                    }
                }
                "fromSourceFilename" | "from_source_filename" | "fromAsset" | "from_asset" => {
                    if let Some(path) = call.args.first() {
                        return self.value(path);
                    }
                }
                _ => {}
            }
        }
        self.document(e)
    }

    /// `pipelines.ShellStep('Synth', {installCommands, commands, env})` /
    /// `CodeBuildStep`: a CodeBuild project whose build phase runs the
    /// commands.
    fn shell_step(&mut self, call: &CallExpr) {
        let (id, id_span) = self.construct_id(call, 0);
        let Some(props) = self.props(call, 1) else {
            return;
        };
        let head = call.head;
        let mut phases = Vec::new();
        for (from, phase) in [("installCommands", "install"), ("commands", "build")] {
            if let Some(list) = props.get(from) {
                let commands = self.value(list);
                let key_span = props.key_span(from);
                phases.push(entry(
                    phase,
                    key_span,
                    map(commands.span, vec![entry("commands", key_span, commands)]),
                ));
            }
        }
        let mut spec = vec![
            entry("version", Span::default(), s(head, "0.2")),
            entry("phases", Span::default(), map(call.span, phases)),
        ];
        if let Some(Expr::Obj(span, vars)) = props.get("env") {
            let vars = vars
                .iter()
                .map(|p| entry(&p.key, p.key_span, self.value(&p.value)))
                .collect();
            spec.push(entry(
                "env",
                Span::default(),
                map(
                    *span,
                    vec![entry("variables", Span::default(), map(*span, vars))],
                ),
            ));
        }
        let spec = map(call.span, spec);
        // Privileged mode is set on the step or on the pipeline's defaults,
        // which this file may not show: unknown unless written here.
        let privileged = props
            .get("buildEnvironment")
            .and_then(object_props)
            .and_then(|e| e.get("privileged"))
            .cloned()
            .map_or_else(
                || node(head, NodeKind::Expr(Text::from("pipeline defaults"))),
                |p| self.value(&p),
            );
        let out = vec![
            entry(
                "Source",
                Span::default(),
                map(call.span, vec![entry("BuildSpec", Span::default(), spec)]),
            ),
            entry(
                "Environment",
                Span::default(),
                map(
                    head,
                    vec![entry("PrivilegedMode", Span::default(), privileged)],
                ),
            ),
        ];
        self.resources.push(Resource {
            id,
            id_span,
            span: call.span,
            ty: "AWS::CodeBuild::Project",
            props: out,
        });
        if let Some(Expr::Arr(_, items)) = props.get("rolePolicyStatements") {
            let statements: Vec<Node> = items.iter().map(|i| self.statement(i)).collect();
            self.orphans.push((String::new(), head, statements));
        }
    }

    // ----- values --------------------------------------------------------

    /// A plain value as a document node. Known value-producing calls are
    /// unwrapped (`JSON.stringify(x)` is `x`, `out.apply(v => x)` is `x`).
    pub fn value(&mut self, e: &Expr) -> Node {
        self.value_at(e, 0)
    }

    fn value_at(&mut self, e: &Expr, depth: usize) -> Node {
        if depth > super::MAX_DEPTH {
            return node(e.span(), NodeKind::Expr(Text::from("...")));
        }
        match e {
            Expr::Str(span, t) => s(*span, t),
            Expr::Num(span, t) => node(*span, NodeKind::Number(Text::from(t.as_str()))),
            Expr::Bool(span, b) => node(*span, NodeKind::Bool(*b)),
            Expr::Null(span) => node(*span, NodeKind::Null),
            Expr::Obj(span, props) => {
                let mut entries = Vec::with_capacity(props.len());
                for p in props {
                    if p.key.starts_with(super::SPREAD) {
                        self.incomplete.push((span.start, span.end));
                        continue;
                    }
                    entries.push(entry(
                        &p.key,
                        p.key_span,
                        self.value_at(&p.value, depth + 1),
                    ));
                }
                map(*span, entries)
            }
            Expr::Arr(span, items) => seq(
                *span,
                items.iter().map(|i| self.value_at(i, depth + 1)).collect(),
            ),
            Expr::Func(_, body) => self.value_at(body, depth + 1),
            Expr::Call(call) => match call.name() {
                "stringify" | "dumps" | "jsonStringify" | "json_dumps" | "toJsonString"
                | "to_json_string" => match call.args.first() {
                    Some(a) => self.value_at(a, depth + 1),
                    None => opaque(e, self.text),
                },
                "apply" | "then" => match call.args.first() {
                    Some(Expr::Func(_, body)) => self.value_at(body, depth + 1),
                    _ => opaque(e, self.text),
                },
                "PolicyDocument" | "getPolicyDocument" | "get_policy_document" => self.document(e),
                "PolicyStatement" => self.statement(e),
                _ => opaque(e, self.text),
            },
            Expr::Member(span, object, name) => {
                if let Some(call) = object.as_call() {
                    if let Some(id) = self.provider_id(call) {
                        return s(*span, &format!("${{{id}}}"));
                    }
                    if name == "json" && is_document_call(object) {
                        return self.document(e);
                    }
                }
                // `iam.Effect.DENY`, `LocalCacheMode.DOCKER_LAYER`: a name.
                opaque(e, self.text)
            }
            Expr::Opaque(..) => opaque(e, self.text),
        }
    }

    // ----- the document --------------------------------------------------

    pub fn finish(mut self, span: Span) -> Node {
        // Pulumi documents no role or policy used: read on their own.
        let documents = std::mem::take(&mut self.documents);
        for call in &documents {
            if self.used_documents.contains(&call.key()) {
                continue;
            }
            let doc = self.pulumi_document(call);
            let has_principal = doc
                .get("Statement")
                .and_then(Node::items)
                .is_some_and(|st| st.iter().any(|s| s.get("Principal").is_some()));
            let id = self.unique("PolicyDocument");
            let (ty, key) = if has_principal {
                ("AWS::IAM::Role", "AssumeRolePolicyDocument")
            } else {
                ("AWS::IAM::ManagedPolicy", "PolicyDocument")
            };
            self.resources.push(Resource {
                id,
                id_span: call.head,
                span: call.span,
                ty,
                props: vec![entry(key, Span::default(), doc)],
            });
        }
        let hosts = self.provider_hosts();
        let incomplete = std::mem::take(&mut self.incomplete);
        for r in &mut self.resources {
            if r.ty != "AWS::IAM::Role" {
                continue;
            }
            for e in &mut r.props {
                if e.key.text == "AssumeRolePolicyDocument" {
                    settle_trust(&mut e.value, &hosts, &incomplete);
                }
            }
        }
        let mut out: Vec<(u32, Entry)> = Vec::new();
        let roles = std::mem::take(&mut self.roles);
        for role in roles {
            let mut props = Vec::new();
            let trust = match role.trust {
                Some(t) => Some(t),
                None if !role.trust_statements.is_empty() => {
                    Some(policy_document(role.trust_span, role.trust_statements))
                }
                None => None,
            };
            if let Some(mut t) = trust {
                settle_trust(&mut t, &hosts, &incomplete);
                props.push(entry("AssumeRolePolicyDocument", Span::default(), t));
            }
            if !role.inline.is_empty() {
                let span = cover(role.inline.iter().map(|n| n.span));
                props.push(entry("Policies", Span::default(), seq(span, role.inline)));
            }
            if !role.managed.is_empty() {
                let span = cover(role.managed.iter().map(|n| n.span));
                props.push(entry(
                    "ManagedPolicyArns",
                    Span::default(),
                    seq(span, role.managed),
                ));
            }
            let start = role.span.start;
            out.push((
                start,
                resource(&role.id, role.id_span, role.span, "AWS::IAM::Role", props),
            ));
            if !role.added.is_empty() {
                let doc = policy_document(role.added_span, role.added);
                let id = format!("{}DefaultPolicy", role.id);
                out.push((
                    start,
                    resource(
                        &id,
                        Span::default(),
                        doc.span,
                        "AWS::IAM::Policy",
                        vec![entry("PolicyDocument", Span::default(), doc)],
                    ),
                ));
            }
        }
        for r in std::mem::take(&mut self.resources) {
            out.push((
                r.span.start,
                resource(&r.id, r.id_span, r.span, r.ty, r.props),
            ));
        }
        for (receiver, head, statements) in std::mem::take(&mut self.orphans) {
            let id = self.unique(&format!("{}Policy", logical(&receiver)));
            let doc = policy_document(head, statements);
            out.push((
                head.start,
                resource(
                    &id,
                    Span::default(),
                    doc.span,
                    "AWS::IAM::Policy",
                    vec![entry("PolicyDocument", Span::default(), doc)],
                ),
            ));
        }
        out.sort_by_key(|(at, _)| *at);
        let resources = map(span, out.into_iter().map(|(_, e)| e).collect());
        map(span, vec![entry("Resources", Span::default(), resources)])
    }
}

impl Emitter<'_> {
    fn is_incomplete(&self, n: &Node) -> bool {
        self.incomplete.contains(&(n.span.start, n.span.end))
    }

    /// The issuer host of each OIDC provider of this file, by logical id.
    fn provider_hosts(&self) -> HashMap<String, String> {
        self.resources
            .iter()
            .filter(|r| r.ty == "AWS::IAM::OIDCProvider")
            .filter_map(|r| {
                let url = r.props.iter().find(|e| e.key.text == "Url")?;
                let url = url.value.as_str()?;
                let host = url.strip_prefix("https://").unwrap_or(url);
                (!host.contains("${")).then(|| (r.id.clone(), host.to_owned()))
            })
            .collect()
    }
}

/// Makes a trust document say only what the program shows. A statement whose
/// conditions are not known in full (conditions passed in from elsewhere, an
/// unknown spread, an operator or key that is not resolved) is left out: what
/// is unknown may well pin the subject, and reading it as absent would report
/// a role open to everyone. A key `${x}:sub` whose prefix is unknown takes the
/// issuer of the statement's provider when that is known.
fn settle_trust(doc: &mut Node, hosts: &HashMap<String, String>, incomplete: &[(u32, u32)]) {
    let NodeKind::Map(entries) = &mut doc.kind else {
        return;
    };
    for e in entries.iter_mut() {
        if e.key.text != "Statement" {
            continue;
        }
        match &mut e.value.kind {
            NodeKind::Seq(items) => {
                let kept: Vec<Node> = std::mem::take(items)
                    .into_vec()
                    .into_iter()
                    .filter_map(|st| settle_statement(st, hosts, incomplete))
                    .collect();
                *items = kept.into_boxed_slice();
            }
            NodeKind::Map(_) => {
                let st =
                    std::mem::replace(&mut e.value, Node::new(Span::default(), NodeKind::Null));
                let span = st.span;
                e.value = match settle_statement(st, hosts, incomplete) {
                    Some(st) => st,
                    None => seq(span, Vec::new()),
                };
            }
            _ => {}
        }
    }
}

fn settle_statement(
    mut st: Node,
    hosts: &HashMap<String, String>,
    incomplete: &[(u32, u32)],
) -> Option<Node> {
    let unknown = |n: &Node| incomplete.contains(&(n.span.start, n.span.end));
    let host = st
        .get("Principal")
        .and_then(|p| p.get("Federated"))
        .and_then(|f| issuer_host(f, hosts));
    let NodeKind::Map(entries) = &mut st.kind else {
        return Some(st);
    };
    let Some(cond) = entries.iter_mut().rev().find(|e| e.key.text == "Condition") else {
        return Some(st);
    };
    if unknown(&cond.value) {
        return None;
    }
    let NodeKind::Map(ops) = &mut cond.value.kind else {
        return None;
    };
    for op in ops.iter_mut() {
        if op.key.text.contains("${") || unknown(&op.value) {
            return None;
        }
        let NodeKind::Map(keys) = &mut op.value.kind else {
            return None;
        };
        for k in keys.iter_mut() {
            if !k.key.text.contains("${") {
                continue;
            }
            // `${anything}:claim` -> `<issuer>:claim`.
            let claim = k
                .key
                .text
                .rsplit_once('}')
                .map(|(_, rest)| rest)
                .filter(|rest| rest.starts_with(':') && rest.len() > 1);
            match (&host, claim) {
                (Some(host), Some(claim)) if k.key.text.starts_with("${") => {
                    k.key.text = Text::from(format!("{host}{claim}"));
                }
                _ => return None,
            }
        }
    }
    Some(st)
}

/// The issuer host of a `Federated` principal: a provider of this file, or
/// an ARN `...:oidc-provider/<host>`.
fn issuer_host(federated: &Node, hosts: &HashMap<String, String>) -> Option<String> {
    let text = match &federated.kind {
        NodeKind::Seq(items) if items.len() == 1 => items.first()?.as_str()?,
        _ => federated.as_str()?,
    };
    if let Some(id) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')) {
        return hosts.get(id).cloned();
    }
    let (_, host) = text.split_once(":oidc-provider/")?;
    (!host.is_empty() && !host.contains("${")).then(|| host.to_owned())
}

/// `repo:<owner>/<repo>:<filter, default *>` of aws-cdk-github-oidc, at the
/// decisive literal: the loosest part written.
fn github_subject(p: PropsView<'_>, text: &str, head: Span) -> (String, Span) {
    let part = |e: Option<&Expr>| -> (String, Span) {
        match e {
            Some(Expr::Str(span, t)) => (t.clone(), *span),
            Some(other) => (other.hole(text), other.span()),
            None => ("*".into(), Span::default()),
        }
    };
    let (owner, owner_span) = part(p.get("owner"));
    let (repo, repo_span) = part(p.get("repo"));
    let (filter, filter_span) = part(p.get("filter"));
    let wild = |t: &str| t.contains(['*', '?']);
    let span = if wild(&owner) && !owner_span.is_empty() {
        owner_span
    } else if wild(&repo) && !repo_span.is_empty() {
        repo_span
    } else if !filter_span.is_empty() {
        filter_span
    } else {
        // No filter: `*`, the construct's default.
        head
    };
    (format!("repo:{owner}/{repo}:{filter}"), span)
}

const GITHUB_PROVIDER_ARN: &str =
    "arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com";

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

fn opaque(e: &Expr, text: &str) -> Node {
    let hole = e.hole(text);
    let inner = hole
        .strip_prefix("${")
        .and_then(|h| h.strip_suffix('}'))
        .unwrap_or(&hole);
    node(e.span(), NodeKind::Expr(Text::from(inner)))
}

fn is_document_call(e: &Expr) -> bool {
    e.as_call().is_some_and(|c| {
        matches!(
            c.name(),
            "getPolicyDocument"
                | "get_policy_document"
                | "getPolicyDocumentOutput"
                | "get_policy_document_output"
        )
    })
}

/// Positional argument `index`, or the keyword argument of one of `names`.
fn arg_or_kw<'c>(call: &'c CallExpr, index: usize, names: &[&str]) -> Option<&'c Expr> {
    call.args.get(index).or_else(|| {
        names
            .iter()
            .find_map(|n| super::find_prop(&call.kwargs, n).map(|p| &p.value))
    })
}

/// Properties of an object literal, or of a Python `SomethingArgs(...)`
/// call with keyword arguments.
fn object_props(e: &Expr) -> Option<PropsView<'_>> {
    match e {
        Expr::Obj(_, props) => Some(PropsView(props)),
        Expr::Call(call) if !call.kwargs.is_empty() => Some(PropsView(&call.kwargs)),
        Expr::Call(call) => match call.args.first() {
            Some(Expr::Obj(_, props)) => Some(PropsView(props)),
            _ => None,
        },
        _ => None,
    }
}

/// Construct properties, by name in any spelling.
#[derive(Clone, Copy)]
struct PropsView<'a>(&'a [Prop]);

impl<'a> PropsView<'a> {
    fn get(&self, name: &str) -> Option<&'a Expr> {
        super::find_prop(self.0, name).map(|p| &p.value)
    }

    fn key_span(&self, name: &str) -> Span {
        super::find_prop(self.0, name).map_or_else(Span::default, |p| p.key_span)
    }
}

fn policy_document(span: Span, statements: Vec<Node>) -> Node {
    let list_span = cover(statements.iter().map(|n| n.span));
    let list_span = if list_span.is_empty() {
        span
    } else {
        list_span
    };
    map(
        cover([span, list_span]),
        vec![
            // Written by nobody: an empty span where the document starts.
            entry(
                "Version",
                Span::default(),
                s(
                    Span::new(span.start as usize, span.start as usize),
                    "2012-10-17",
                ),
            ),
            entry("Statement", Span::default(), seq(list_span, statements)),
        ],
    )
}

fn trust_statement(
    head: Span,
    kind: &str,
    principal: Node,
    action: Node,
    conditions: Option<Node>,
) -> Node {
    let mut entries = vec![
        entry("Effect", Span::default(), s(head, "Allow")),
        entry(
            "Principal",
            Span::default(),
            map(
                principal.span,
                vec![entry(kind, Span::default(), principal)],
            ),
        ),
        entry("Action", Span::default(), action),
    ];
    if let Some(c) = conditions {
        entries.push(entry("Condition", Span::default(), c));
    }
    let span = cover(entries.iter().map(|e| e.value.span));
    map(span, entries)
}

/// Adds the operators of `extra` to a statement's `Condition`: an operator
/// already there gets the new keys (a key written again is replaced), as CDK
/// merges them.
fn merge_conditions(statement: &mut Node, extra: &Node) {
    let NodeKind::Map(entries) = &mut statement.kind else {
        return;
    };
    let mut list = std::mem::take(entries).into_vec();
    match list.iter_mut().find(|e| e.key.text == "Condition") {
        Some(cond) => {
            if let (NodeKind::Map(have), Some(more)) = (&mut cond.value.kind, extra.entries()) {
                let mut ops = std::mem::take(have).into_vec();
                for op in more {
                    match ops.iter_mut().find(|o| o.key.text == op.key.text) {
                        Some(existing) => merge_keys(&mut existing.value, &op.value),
                        None => ops.push(op.clone()),
                    }
                }
                *have = ops.into_boxed_slice();
            }
        }
        None => list.push(entry("Condition", Span::default(), extra.clone())),
    }
    *entries = list.into_boxed_slice();
}

/// The keys of `more` into the mapping `into`; a key already there is
/// replaced.
fn merge_keys(into: &mut Node, more: &Node) {
    let (NodeKind::Map(have), Some(more)) = (&mut into.kind, more.entries()) else {
        *into = more.clone();
        return;
    };
    let mut keys = std::mem::take(have).into_vec();
    for k in more {
        match keys
            .iter_mut()
            .find(|e| e.key.text.eq_ignore_ascii_case(&k.key.text))
        {
            Some(e) => *e = k.clone(),
            None => keys.push(k.clone()),
        }
    }
    *have = keys.into_boxed_slice();
}

fn resource(id: &str, id_span: Span, span: Span, ty: &str, props: Vec<Entry>) -> Entry {
    entry(
        id,
        id_span,
        map(
            span,
            vec![
                entry("Type", Span::default(), s(Span::default(), ty)),
                entry("Properties", Span::default(), map(span, props)),
            ],
        ),
    )
}

/// The statement key a `PolicyStatement` method adds to.
pub(crate) fn statement_mutator(name: &str) -> Option<&'static str> {
    Some(match name {
        "addActions" | "add_actions" => "Action",
        "addNotActions" | "add_not_actions" => "NotAction",
        "addResources" | "add_resources" | "addAllResources" | "add_all_resources" => "Resource",
        "addNotResources" | "add_not_resources" => "NotResource",
        "addCondition" | "add_condition" => "Condition",
        _ => return None,
    })
}

/// Adds values to a statement's keys (lists are extended, conditions merged).
fn add_to_statement(statement: &mut Node, extra: &[(&'static str, Node)]) {
    let NodeKind::Map(entries) = &mut statement.kind else {
        return;
    };
    let mut list = std::mem::take(entries).into_vec();
    for (key, value) in extra {
        if *key == "Condition" {
            let mut st = map(Span::default(), std::mem::take(&mut list));
            merge_conditions(&mut st, value);
            if let NodeKind::Map(e) = st.kind {
                list = e.into_vec();
            }
            continue;
        }
        match list.iter_mut().find(|e| e.key.text == *key) {
            Some(e) => {
                let mut items = match std::mem::replace(&mut e.value.kind, NodeKind::Null) {
                    NodeKind::Seq(items) => items.into_vec(),
                    other => vec![Node::new(e.value.span, other)],
                };
                items.push(value.clone());
                e.value.kind = NodeKind::Seq(items.into_boxed_slice());
            }
            None => list.push(entry(
                key,
                Span::default(),
                seq(value.span, vec![value.clone()]),
            )),
        }
    }
    *entries = list.into_boxed_slice();
}

/// Calls the emitter looks at: every other call is never lowered, so that
/// ordinary code costs a name comparison.
pub(crate) fn interesting(name: &str) -> bool {
    matches!(
        name,
        "Role"
            | "LazyRole"
            | "CfnRole"
            | "GithubActionsRole"
            | "Policy"
            | "ManagedPolicy"
            | "RolePolicy"
            | "UserPolicy"
            | "GroupPolicy"
            | "CfnPolicy"
            | "CfnManagedPolicy"
            | "OpenIdConnectProvider"
            | "GithubActionsIdentityProvider"
            | "CfnOIDCProvider"
            | "RolePolicyAttachment"
            | "PolicyAttachment"
            | "Project"
            | "PipelineProject"
            | "CfnProject"
            | "ShellStep"
            | "CodeBuildStep"
            | "getPolicyDocument"
            | "get_policy_document"
            | "getPolicyDocumentOutput"
            | "get_policy_document_output"
            | "addToPolicy"
            | "addToPrincipalPolicy"
            | "addToRolePolicy"
            | "add_to_policy"
            | "add_to_principal_policy"
            | "add_to_role_policy"
            | "addManagedPolicy"
            | "add_managed_policy"
            | "addStatements"
            | "add_statements"
    ) || statement_mutator(name).is_some()
}
