//! CDK and Pulumi programs as hostile input: large minified bundles, broken
//! syntax, invalid UTF-8 and deep nesting never crash a scan; each gives a
//! notice or is read, and the other files are still scanned.

use shiplint::engine::{ScanOptions, scan_in_memory};

const ROLE: &str = "new iam.Role(this,'R',{assumedBy:new iam.WebIdentityPrincipal(p.openIdConnectProviderArn,{StringLike:{'token.actions.githubusercontent.com:sub':'repo:*'}})});";

fn rules_of(report: &shiplint::report::Report, path: &str) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.place.path == path)
        .map(|f| f.rule.to_string())
        .collect()
}

#[test]
fn five_megabytes_of_minified_javascript() {
    let mut bundle = String::from("const iam=require('aws-cdk-lib/aws-iam');");
    let chunk = "function f(a,b){return a.map(x=>({k:x+b,v:[x,b,{n:null}]})).filter(Boolean)}var q=f([1,2,3],'s');";
    while bundle.len() < 5 * 1024 * 1024 {
        bundle.push_str(chunk);
    }
    bundle.push_str(ROLE);
    let broken = format!("import * as iam from 'aws-cdk-lib/aws-iam';\nconst = (;\n{ROLE}\n");
    let started = std::time::Instant::now();
    let report = scan_in_memory(
        &[
            ("dist/bundle.js", bundle.as_bytes()),
            ("lib/broken.ts", broken.as_bytes()),
        ],
        &ScanOptions::default(),
    )
    .expect("scan");
    assert!(
        started.elapsed().as_secs() < 120,
        "took {:?}",
        started.elapsed()
    );
    // The bundle is read whole: its role at the very end is found.
    assert!(
        rules_of(&report, "dist/bundle.js").contains(&"oidc-subject-any-owner".to_string()),
        "{:?}",
        report.findings
    );
    assert!(rules_of(&report, "lib/broken.ts").contains(&"oidc-subject-any-owner".to_string()));
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.path == "lib/broken.ts" && n.reason.contains("syntax error at line 2")),
        "{:?}",
        report.notices
    );
}

#[test]
fn hostile_programs_never_stop_the_scan() {
    let deep = format!(
        "import * as iam from 'aws-cdk-lib/aws-iam';\nnew iam.Role(this, 'R', {{ assumedBy: {}{} }});\n",
        "new iam.CompositePrincipal(".repeat(5000),
        ")".repeat(5000)
    );
    let mut invalid = b"from aws_cdk import aws_iam as iam\n# \xc3\x28\n".to_vec();
    invalid.extend_from_slice(
        b"iam.Role(self, 'R', assumed_by=iam.WebIdentityPrincipal(p.openIdConnectProviderArn, {'StringLike': {'token.actions.githubusercontent.com:sub': 'repo:*'}}))\n",
    );
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| b"({[`'\"\\$)}]\n aws_cdk"[(i * 7 % 21) as usize])
        .collect();
    let policy = br#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]}"#;
    let report = scan_in_memory(
        &[
            ("deep.ts", deep.as_bytes()),
            ("invalid.py", &invalid),
            ("garbage.py", &garbage),
            ("garbage.ts", &garbage),
            ("trust.json", policy),
        ],
        &ScanOptions::default(),
    )
    .expect("scan");
    assert!(rules_of(&report, "invalid.py").contains(&"oidc-subject-any-owner".to_string()));
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.path == "invalid.py" && n.reason.contains("UTF-8"))
    );
    assert!(
        report.notices.iter().any(|n| n.path == "deep.ts"),
        "{:?}",
        report.notices
    );
    assert!(
        !rules_of(&report, "trust.json").is_empty(),
        "the other files are scanned"
    );
}

/// A finding on a literal of a constant points at the literal and lists
/// where the constant is used, through constants of constants.
#[test]
fn constants_list_their_uses() {
    let ts = "import * as iam from 'aws-cdk-lib/aws-iam';
const SUBJECTS = ['repo:acme/*'];
const TRUST = { StringLike: { 'token.actions.githubusercontent.com:sub': SUBJECTS } };
new iam.Role(this, 'R', {
  assumedBy: new iam.WebIdentityPrincipal('arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com', TRUST),
});
";
    let py = "from aws_cdk import aws_iam as iam
SUBJECT = 'repo:acme/*'
iam.Role(self, 'R', assumed_by=iam.WebIdentityPrincipal(
    'arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com',
    {'StringLike': {'token.actions.githubusercontent.com:sub': SUBJECT}}))
";
    let report = scan_in_memory(
        &[("app.ts", ts.as_bytes()), ("app.py", py.as_bytes())],
        &ScanOptions::default(),
    )
    .expect("scan");
    let find = |path: &str| {
        report
            .findings
            .iter()
            .find(|f| f.place.path == path && f.rule == "oidc-subject-any-repo")
            .unwrap_or_else(|| panic!("{path}: {:?}", report.findings))
    };
    let ts = find("app.ts");
    assert_eq!((ts.place.start.line, ts.place.start.column), (2, 19));
    let uses: Vec<(String, u32, u32)> = ts
        .related
        .iter()
        .filter(|r| r.label.ends_with("is used here"))
        .map(|r| (r.label.clone(), r.place.start.line, r.place.start.column))
        .collect();
    assert_eq!(
        uses,
        [
            ("SUBJECTS is used here".to_string(), 3, 74),
            ("TRUST is used here".to_string(), 5, 122),
        ]
    );
    let py = find("app.py");
    assert_eq!((py.place.start.line, py.place.start.column), (2, 11));
    assert!(
        py.related.iter().any(|r| r.label == "SUBJECT is used here"
            && (r.place.start.line, r.place.start.column) == (5, 64)),
        "{:?}",
        py.related
    );
}
