use super::*;

fn parse_ok(syntax: Syntax, text: &str) -> Document {
    match parse(syntax, text, &Limits::default()) {
        Ok(doc) => doc,
        Err(e) => panic!("parse failed: {e:?}"),
    }
}

fn pos(text: &str, span: Span) -> (u32, u32) {
    let p = LineIndex::new(text).position(text, span.start);
    (p.line, p.column)
}

fn find<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
    let mut node = node;
    for key in path {
        node = match key.parse::<usize>() {
            Ok(i) => &node.items().expect("a sequence")[i],
            Err(_) => node.get(key).unwrap_or_else(|| panic!("no key {key}")),
        };
    }
    node
}

#[test]
fn json_spans_point_at_keys_and_values() {
    let text = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"é\": \"ü\", \"c\": true\n}";
    let doc = parse_ok(Syntax::Json, text);
    let root = doc.root().expect("root");
    let b = find(root, &["a", "1", "b"]);
    assert_eq!(b.as_str(), Some("x"));
    assert_eq!(pos(text, b.span), (2, 18));
    let c = root.entry("c").expect("c");
    assert_eq!(pos(text, c.key.span), (3, 13));
    assert_eq!(c.value.kind, NodeKind::Bool(true));
}

#[test]
fn json_keeps_duplicates_and_rejects_extensions() {
    let doc = parse_ok(Syntax::Json, r#"{"a": 1, "a": 2}"#);
    assert_eq!(
        doc.root().and_then(|r| r.entries()).map(<[_]>::len),
        Some(2)
    );
    for bad in ["{\"a\": 1,}", "// c\n{}", "{'a': 1}", "", "[1 2]"] {
        assert!(
            parse(Syntax::Json, bad, &Limits::default()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn json_refuses_deep_nesting_without_overflowing() {
    let text = "[".repeat(10_000) + &"]".repeat(10_000);
    let err = parse(Syntax::Json, &text, &Limits::default()).expect_err("too deep");
    assert!(err.message.contains("nesting"), "{}", err.message);
}

#[test]
fn yaml_spans_tags_and_types() {
    let text = "Resources:\n  Role:\n    Arn: !Sub 'arn:aws:iam::${AWS::AccountId}:root'\n    N: 0.2\n    B: true\n    Q: \"0.2\"\n    L:\n      - x\n      - ü: ok\n";
    let doc = parse_ok(Syntax::Yaml, text);
    let root = doc.root().expect("root");
    let arn = find(root, &["Resources", "Role", "Arn"]);
    assert_eq!(arn.tag.as_deref(), Some("!Sub"));
    assert_eq!(arn.as_str(), Some("arn:aws:iam::${AWS::AccountId}:root"));
    // A tagged value's span starts at its tag.
    assert_eq!(pos(text, arn.span), (3, 10));
    assert_eq!(
        find(root, &["Resources", "Role", "N"]).kind,
        NodeKind::Number("0.2".into())
    );
    assert_eq!(
        find(root, &["Resources", "Role", "Q"]).kind,
        NodeKind::Str("0.2".into())
    );
    let ok = find(root, &["Resources", "Role", "L", "1", "ü"]);
    assert_eq!(pos(text, ok.span), (9, 12));
    let key = root
        .get("Resources")
        .and_then(|r| r.get("Role"))
        .and_then(|r| r.entry("B"))
        .expect("B");
    assert_eq!(pos(text, key.key.span), (5, 5));
}

#[test]
fn yaml_multibyte_offsets_are_bytes() {
    let text = "a: ééé\nb: x\n";
    let doc = parse_ok(Syntax::Yaml, text);
    let b = find(doc.root().expect("root"), &["b"]);
    assert_eq!(&text[b.span.range()], "x");
}

#[test]
fn yaml_alias_bomb_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    let err = parse(Syntax::Yaml, &text, &Limits::default()).expect_err("bomb");
    assert!(err.message.contains("alias"), "{}", err.message);
}

#[test]
fn yaml_merge_keys_and_aliases_resolve() {
    let text = "base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n";
    let doc = parse_ok(Syntax::Yaml, text);
    let thing = find(doc.root().expect("root"), &["thing"]);
    assert_eq!(
        thing.get("x").map(|n| n.kind.clone()),
        Some(NodeKind::Number("1".into()))
    );
    assert_eq!(
        thing.get("y").map(|n| n.kind.clone()),
        Some(NodeKind::Number("3".into()))
    );
}

#[test]
fn yaml_errors_have_positions() {
    let text = "a: 1\nb: [unclosed\nc: 2\n";
    let err = parse(Syntax::Yaml, text, &Limits::default()).expect_err("bad");
    assert!(pos(text, err.span).0 >= 2);
    let deep = "- ".repeat(1000) + "x";
    assert!(parse(Syntax::Yaml, &deep, &Limits::default()).is_err());
}

#[test]
fn hcl_blocks_attributes_calls_and_heredocs() {
    let text = r#"resource "aws_iam_role" "ci" {
  name = "ci-${var.env}"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow" }]
  })
  arn = aws_iam_openid_connect_provider.github.arn
  spec = <<-EOT
    version: 0.2
    phases: {}
  EOT
}
"#;
    let doc = parse_ok(Syntax::Hcl, text);
    let root = doc.root().expect("root");
    let block = root.entry("resource").expect("block");
    let NodeKind::Block(tf_block) = &block.value.kind else {
        panic!("not a block")
    };
    let (labels, body) = (&tf_block.labels, &tf_block.body);
    assert_eq!(labels[0].text, "aws_iam_role");
    assert_eq!(pos(text, labels[1].span), (1, 25));
    let body = Node::new(block.value.span, NodeKind::Map(body.clone()));
    assert_eq!(find(&body, &["name"]).as_str(), Some("ci-${var.env}"));
    let NodeKind::Call(call) = &find(&body, &["assume_role_policy"]).kind else {
        panic!("not a call")
    };
    assert_eq!(call.name, "jsonencode");
    let effect = find(&call.args[0], &["Statement", "0", "Effect"]);
    assert_eq!(pos(text, effect.span), (4, 29));
    assert_eq!(
        find(&body, &["arn"]).kind,
        NodeKind::Expr("aws_iam_openid_connect_provider.github.arn".into())
    );
    let spec = find(&body, &["spec"]);
    assert_eq!(spec.as_str(), Some("version: 0.2\nphases: {}\n"));
    assert_eq!(pos(text, spec.span), (8, 1));
}

#[test]
fn hcl_errors_have_positions() {
    let text = "a = 1\nb = {\n";
    let err = parse(Syntax::Hcl, text, &Limits::default()).expect_err("bad");
    assert!(pos(text, err.span).0 >= 2, "{err:?}");
}

#[test]
fn routes_name_the_value() {
    let text = "{\"a\": [1, {\"b\": \"x\"}]}";
    let doc = parse_ok(Syntax::Json, text);
    let b = find(doc.root().expect("root"), &["a", "1", "b"]);
    assert_eq!(
        Route::to_span(&doc.roots, b.span).to_string(),
        format!("$.a[{}].b", route_of(Syntax::Json, "{\"b\": \"x\"}", &[]))
    );
}

/// The route of the value at `path` in `text`.
fn route_of(syntax: Syntax, text: &str, path: &[&str]) -> String {
    let doc = parse_ok(syntax, text);
    let node = find(doc.root().expect("root"), path);
    let route = Route::to_span(&doc.roots, node.span).to_string();
    if path.is_empty() {
        // The item name a list would give this whole document.
        let list = format!("[{text}]");
        let doc = parse_ok(Syntax::Json, &list);
        let item = &doc.root().expect("root").items().expect("items")[0];
        let route = Route::to_span(&doc.roots, item.span).to_string();
        return route
            .trim_start_matches("$[")
            .trim_end_matches(']')
            .to_owned();
    }
    route
}

#[test]
fn routes_survive_insertions_and_reorderings_in_lists() {
    let before = "phases:\n  build:\n    commands:\n      - make\n      - curl x | sh\n";
    let after =
        "phases:\n  build:\n    commands:\n      - echo hi\n      - curl x | sh\n      - make\n";
    let a = route_of(Syntax::Yaml, before, &["phases", "build", "commands", "1"]);
    let b = route_of(Syntax::Yaml, after, &["phases", "build", "commands", "1"]);
    assert_eq!(a, b);
    assert!(a.starts_with("$.phases.build.commands[#"), "{a}");
    // Named items are named by their identity key, whatever their position.
    let named = "{\"Statement\": [{\"Sid\": \"A\", \"Action\": \"*\"}, {\"Sid\": \"B\", \"Action\": \"s3:*\"}]}";
    assert_eq!(
        route_of(Syntax::Json, named, &["Statement", "1", "Action"]),
        "$.Statement[Sid=B].Action"
    );
    // Identical items are told apart.
    let twice = "a:\n  - x\n  - x\n";
    let first = route_of(Syntax::Yaml, twice, &["a", "0"]);
    assert_eq!(
        format!("{}~2]", first.trim_end_matches(']')),
        route_of(Syntax::Yaml, twice, &["a", "1"])
    );
}

#[test]
fn terraform_routes_name_block_types_and_labels() {
    let text = "resource \"aws_iam_role\" \"ci\" {\n  name = \"ci\"\n}\nresource \"aws_iam_role\" \"deploy\" {\n  name = \"deploy\"\n}\n\
data \"aws_iam_policy_document\" \"x\" {\n  statement {\n    sid = \"One\"\n    actions = [\"*\"]\n  }\n  statement {\n    actions = [\"s3:*\"]\n  }\n}\n";
    let doc = parse_ok(Syntax::Hcl, text);
    let route = |needle: &str| {
        // The value inside the quotes.
        let start = text.find(needle).expect("needle") + 1;
        let len = needle.trim_end().len() - 2;
        let span = crate::syntax::Span::new(start, start + len);
        Route::to_span(&doc.roots, span).to_string()
    };
    assert_eq!(route("\"deploy\"\n"), "$.resource.aws_iam_role.deploy.name");
    assert_eq!(route("\"ci\"\n"), "$.resource.aws_iam_role.ci.name");
    assert!(
        route("\"*\"").starts_with("$.data.aws_iam_policy_document.x.statement[sid=One].actions[#"),
        "{}",
        route("\"*\"")
    );
    assert!(route("\"s3:*\"").starts_with("$.data.aws_iam_policy_document.x.statement[#"));
}

fn embedded_at(
    outer: &str,
    syntax: Syntax,
    path: &[&str],
    inner_syntax: Syntax,
    inner_path: &[&str],
) -> (u32, u32) {
    let doc = parse_ok(syntax, outer);
    let node = find(doc.root().expect("root"), path);
    let inner = parse_embedded(outer, node, inner_syntax, &Limits::default())
        .expect("a string")
        .expect("parses");
    let target = find(inner.root().expect("root"), inner_path);
    pos(outer, target.span)
}

#[test]
fn embedded_yaml_block_scalar_maps_to_file_lines() {
    let outer = "Resources:\n  P:\n    Properties:\n      BuildSpec: |\n        version: 0.2\n        phases:\n          build:\n            commands:\n              - make\n";
    let at = embedded_at(
        outer,
        Syntax::Yaml,
        &["Resources", "P", "Properties", "BuildSpec"],
        Syntax::Yaml,
        &["phases", "build", "commands", "0"],
    );
    assert_eq!(at, (9, 17));
}

#[test]
fn embedded_json_string_with_escapes_maps_to_file_columns() {
    let outer = "{\"Doc\": \"{\\\"Statement\\\": [{\\\"Effect\\\": \\\"Allow\\\"}]}\"}";
    let at = embedded_at(
        outer,
        Syntax::Json,
        &["Doc"],
        Syntax::Json,
        &["Statement", "0", "Effect"],
    );
    // The value "Allow" starts at its escaped quote in the file.
    let col = outer.find("\\\"Allow").expect("present") + 1;
    assert_eq!(at, (1, u32::try_from(col).expect("small")));
}

#[test]
fn embedded_hcl_heredoc_maps_to_file_lines() {
    let outer = "resource \"x\" \"y\" {\n  policy = <<EOF\n{\n  \"Statement\": [\n    {\"Effect\": \"Allow\"}\n  ]\n}\nEOF\n}\n";
    let doc = parse_ok(Syntax::Hcl, outer);
    let NodeKind::Block(block) = &doc.root().expect("root").entries().expect("body")[0]
        .value
        .kind
    else {
        panic!("block")
    };
    let body = &block.body;
    let policy = &body[0].value;
    let inner = parse_embedded(outer, policy, Syntax::Json, &Limits::default())
        .expect("string")
        .expect("parses");
    let effect = find(inner.root().expect("root"), &["Statement", "0", "Effect"]);
    assert_eq!(pos(outer, effect.span), (5, 16));
}

#[test]
fn embedded_indented_heredoc_maps_to_file_lines() {
    let outer = "resource \"x\" \"y\" {\n  spec = <<-EOT\n    version: 0.2\n    phases:\n      build: {}\n  EOT\n}\n";
    let doc = parse_ok(Syntax::Hcl, outer);
    let NodeKind::Block(block) = &doc.root().expect("root").entries().expect("body")[0]
        .value
        .kind
    else {
        panic!("block")
    };
    let body = &block.body;
    let inner = parse_embedded(outer, &body[0].value, Syntax::Yaml, &Limits::default())
        .expect("string")
        .expect("parses");
    let build = inner
        .root()
        .and_then(|r| r.get("phases"))
        .and_then(|p| p.entry("build"))
        .expect("build");
    assert_eq!(pos(outer, build.key.span), (5, 7));
}

/// Fuzz regression (`embedded`): a span mapped out of an embedded document
/// ended one byte past the file.
#[test]
fn embedded_spans_never_end_past_the_file() {
    let data = include_bytes!("../../tests/fuzz_regressions/embedded-span-past-end.bin");
    let text = String::from_utf8_lossy(&data[1..]).into_owned();
    let Ok(doc) = parse(Syntax::Yaml, &text, &Limits::default()) else {
        panic!("the regression input parses as YAML")
    };
    let mut stack: Vec<&Node> = doc.roots.iter().collect();
    let mut checked = 0;
    while let Some(node) = stack.pop() {
        if let Some(result) = parse_embedded(&text, node, Syntax::Yaml, &Limits::default()) {
            let span = match &result {
                Ok(d) => d.roots.first().map(|r| r.span),
                Err(e) => Some(e.span),
            };
            if let Some(span) = span {
                assert!(
                    span.range().end <= text.len(),
                    "{span:?} past {}",
                    text.len()
                );
                checked += 1;
            }
        }
        stack.extend(node.children());
    }
    assert!(checked > 0);
}
