//! `sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! One run. `tool.driver.rules` lists the whole catalogue in its order, so
//! `ruleIndex` is a rule's position there. Result URIs are relative to the
//! scan root (percent-encoded) with `uriBaseId` `%SRCROOT%`, as GitHub expects
//! of repository-relative paths; no `originalUriBaseIds` is written, since the
//! checkout's absolute location is the consumer's to decide. Columns count
//! Unicode code points (`columnKind`), regions end exclusively (SARIF's
//! convention), and each result carries its fingerprint under
//! `partialFingerprints["shiplint/v1"]` (GitHub computes
//! `primaryLocationLineHash` itself). Notices become tool execution
//! notifications of the one invocation. Artifact URIs are relative to
//! `%SRCROOT%`, the repository root: the command line rebases paths before
//! rendering (see [`super::rebase`]), so they do not depend on the directory
//! shiplint ran from.

use super::{Report, RuleInfo};
use crate::finding::{Place, Reported};
use serde::Serialize;
use std::collections::BTreeMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/shiplint/shiplint";
const FINGERPRINT_KEY: &str = "shiplint/v1";
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'r> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'r>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'r> {
    tool: Tool<'r>,
    /// `%SRCROOT%`, the repository root every result's URI is relative to.
    /// Its absolute URI is left out (SARIF 2.1.0 §3.14.14: the consumer
    /// supplies it), which keeps the report free of local paths and
    /// identical on every machine.
    original_uri_base_ids: BTreeMap<&'static str, BaseId>,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Vec<SarifResult<'r>>,
    /// The trust map, for `shiplint report` to merge (only when not empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<RunProperties<'r>>,
}

#[derive(Serialize)]
struct RunProperties<'r> {
    #[serde(rename = "shiplint/trustMap")]
    trust_map: &'r crate::model::trustmap::TrustMap,
}

#[derive(Serialize)]
struct BaseId {
    description: Text,
}

#[derive(Serialize)]
struct Tool<'r> {
    driver: Driver<'r>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'r> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule<'r>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'r> {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help<'r>,
    help_uri: &'r str,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help<'r> {
    text: String,
    markdown: &'r str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    locations: [ArtifactOnly; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactOnly {
    physical_location: ArtifactLocationOnly,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocationOnly {
    artifact_location: ArtifactLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'r> {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    partial_fingerprints: BTreeMap<&'static str, &'r str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: [ArtifactChange; 1],
    properties: FixProperties,
}

#[derive(Serialize)]
struct FixProperties {
    applicability: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: PhysicalLocation,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

pub fn render(report: &Report) -> String {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "shiplint",
                    version: report.tool_version,
                    semantic_version: report.tool_version,
                    information_uri: INFORMATION_URI,
                    rules: report.rules.iter().map(rule).collect(),
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseId {
                    description: Text {
                        text: "The root of the repository scanned.".to_owned(),
                    },
                },
            )]),
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: report
                    .notices
                    .iter()
                    .map(|n| Notification {
                        level: "warning",
                        message: Text {
                            text: format!("skipped {}: {}", n.path, n.reason),
                        },
                        locations: [ArtifactOnly {
                            physical_location: ArtifactLocationOnly {
                                artifact_location: artifact(&n.path),
                            },
                        }],
                    })
                    .collect(),
            }],
            column_kind: "unicodeCodePoints",
            results: report.findings.iter().map(|f| result(report, f)).collect(),
            properties: (!report.trust_map.is_empty()).then_some(RunProperties {
                trust_map: &report.trust_map,
            }),
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_else(|e| {
        // Not reachable with these types (string keys only); still valid JSON.
        serde_json::json!({ "version": "2.1.0", "runs": [], "error": e.to_string() }).to_string()
    });
    out.push('\n');
    out
}

fn rule(info: &RuleInfo) -> Rule<'_> {
    let mut tags = info.tags.clone();
    if let Some(cwe) = &info.cwe {
        // GitHub and CodeQL spell CWE tags this way.
        tags.push(format!("external/cwe/{}", cwe.to_ascii_lowercase()));
    }
    if !tags.iter().any(|t| t == "security") {
        tags.push("security".to_owned());
    }
    let summary = sentence(&info.summary);
    let fix = sentence(&info.fix);
    Rule {
        id: info.id,
        name: camel(info.id),
        short_description: Text {
            text: info.summary.clone(),
        },
        full_description: Text {
            text: join_nonempty(&[&summary, &fix], " "),
        },
        help: Help {
            text: join_nonempty(
                &[
                    &if fix.is_empty() {
                        String::new()
                    } else {
                        format!("How to fix: {fix}")
                    },
                    &summary,
                    &format!("Documentation: {}", info.help_uri),
                ],
                "\n\n",
            ),
            markdown: &info.markdown,
        },
        help_uri: &info.help_uri,
        default_configuration: Configuration {
            level: info.severity.sarif_level(),
        },
        properties: RuleProperties {
            tags,
            precision: "high",
            security_severity: info.severity.security_severity(),
        },
    }
}

fn result<'r>(report: &Report, finding: &'r Reported) -> SarifResult<'r> {
    SarifResult {
        rule_id: finding.rule,
        rule_index: report.rules.iter().position(|r| r.id == finding.rule),
        level: finding.severity.sarif_level(),
        message: Text {
            text: finding.message.clone(),
        },
        locations: [Location {
            physical_location: physical(&finding.place),
        }],
        related_locations: finding
            .related
            .iter()
            .enumerate()
            .map(|(id, r)| RelatedLocation {
                id,
                physical_location: physical(&r.place),
                message: Text {
                    text: r.label.clone(),
                },
            })
            .collect(),
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.fingerprint.as_str())]),
        fixes: finding
            .fix
            .iter()
            .map(|f| fix(&finding.place.path, f))
            .collect(),
    }
}

/// A fix as SARIF `fixes`: replacements of regions of the finding's file
/// (an insertion deletes an empty region).
fn fix(path: &str, fix: &crate::finding::ReportedFix) -> SarifFix {
    SarifFix {
        description: Text {
            text: fix.description.clone(),
        },
        artifact_changes: [ArtifactChange {
            artifact_location: artifact(path),
            replacements: fix
                .edits
                .iter()
                .map(|e| Replacement {
                    deleted_region: Region {
                        start_line: e.start.line.max(1),
                        start_column: e.start.column.max(1),
                        end_line: e.end.line.max(1),
                        end_column: e.end.column.max(1),
                    },
                    inserted_content: Text {
                        text: e.replacement.clone(),
                    },
                })
                .collect(),
        }],
        properties: FixProperties {
            applicability: fix.applicability.as_str(),
        },
    }
}

fn physical(place: &Place) -> PhysicalLocation {
    // SARIF lines and columns are 1-based; guard against a zero slipping in.
    let start_line = place.start.line.max(1);
    let start_column = place.start.column.max(1);
    let (end_line, end_column) = if (place.end.line, place.end.column) < (start_line, start_column)
    {
        (start_line, start_column)
    } else {
        (place.end.line, place.end.column.max(1))
    };
    PhysicalLocation {
        artifact_location: artifact(&place.path),
        region: Region {
            start_line,
            start_column,
            end_line,
            end_column,
        },
    }
}

fn artifact(path: &str) -> ArtifactLocation {
    ArtifactLocation {
        uri: encode_path(path),
        uri_base_id: SRCROOT,
    }
}

/// Percent-encodes a `/`-separated relative path as a URI reference: unreserved
/// characters, sub-delimiters, `@` and `/` stay, everything else (spaces, `%`,
/// `:`, `#`, `?`, non-ASCII) becomes `%XX` over its UTF-8 bytes. `:` is encoded
/// so that a first segment is never read as a scheme.
pub(super) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `duplicate-key` → `DuplicateKey`.
pub(super) fn camel(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// A one-line description as a sentence: capitalised, ending in a full stop.
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out = first.to_uppercase().collect::<String>() + chars.as_str();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn join_nonempty(parts: &[&String], separator: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(separator)
}
