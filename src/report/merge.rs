//! The audit model behind the `markdown` and `html` formats, built from one
//! scan ([`Audit::from_report`]) or merged from many repositories' results
//! (`shiplint report A.sarif B.sarif ...`, [`Audit::merge`]).
//!
//! Results files may be shiplint SARIF (or any SARIF 2.1.0) or shiplint JSON.
//! A file's repository is `NAME` when given as `NAME=FILE`, else the last
//! segment of the run's `versionControlProvenance[0].repositoryUri`, else the
//! file name without its extension. A SARIF result's severity is its
//! `properties.severity` when present; a result at its rule's default level
//! takes the rule's `security-severity`; otherwise error is high, warning
//! medium, note low and none info.

use super::Report;
use crate::finding::Severity;
use crate::model::trustmap::TrustMap;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Lines of context shown above and below a finding's span.
const CONTEXT: u32 = 1;
/// Most lines a snippet shows.
const SNIPPET_LINES: u32 = 8;
/// Longest line a snippet shows, in characters.
const LINE_CHARS: usize = 240;

#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// True when merged from several results files (the report then groups
    /// by repository).
    pub merged: bool,
    pub tool_version: String,
    pub repos: Vec<Repo>,
    /// Rule id → what it flags and where its documentation is.
    pub rules: BTreeMap<String, RuleMeta>,
    /// Where and when the scan ran (one scan only).
    pub scanned: Option<Scanned>,
    /// Roles with a federated trust and the jobs that assume them, from
    /// every repository.
    pub trust_map: TrustMap,
}

#[derive(Debug, Clone, Default)]
pub struct RuleMeta {
    pub summary: String,
    pub help_uri: String,
}

#[derive(Debug, Clone, Default)]
pub struct Repo {
    pub name: String,
    pub files_scanned: Option<usize>,
    pub suppressed: usize,
    pub baselined: usize,
    pub findings: Vec<Item>,
    /// Files the scan did not read, and why.
    pub notices: Vec<super::Notice>,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub help: String,
    pub related: Vec<(String, u32, String)>,
    pub snippet: Option<Snippet>,
}

/// One rule's findings, counted per severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: String,
    /// Every severity, most severe first.
    pub by_severity: Vec<(Severity, usize)>,
}

impl RuleCount {
    pub fn total(&self) -> usize {
        self.by_severity.iter().map(|(_, n)| n).sum()
    }

    /// The most severe severity with a finding.
    pub fn worst(&self) -> Severity {
        self.by_severity
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, _)| *s)
            .max()
            .unwrap_or(Severity::Info)
    }

    /// `2 high, 1 low`: the severities with findings, most severe first.
    pub fn breakdown(&self) -> String {
        self.by_severity
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where and when a single scan ran, for the HTML report's header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned {
    /// The paths given on the command line.
    pub paths: Vec<String>,
    /// UTC, `YYYY-MM-DD HH:MM UTC` (from `SOURCE_DATE_EPOCH` when set).
    pub date: String,
    /// The commit checked out, when the scan ran in a git repository.
    pub commit: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Snippet {
    /// (line number, text, inside the finding's span)
    pub lines: Vec<(u32, String, bool)>,
}

impl Audit {
    /// The audit of one scan; snippets come from the report's (masked) files.
    pub fn from_report(report: &Report) -> Audit {
        let findings = report
            .findings
            .iter()
            .map(|f| Item {
                rule: f.rule.to_owned(),
                severity: f.severity,
                message: f.message.clone(),
                path: f.place.path.clone(),
                line: f.place.start.line,
                column: f.place.start.column,
                help: f.help.clone(),
                related: f
                    .related
                    .iter()
                    .map(|r| (r.place.path.clone(), r.place.start.line, r.label.clone()))
                    .collect(),
                snippet: report
                    .files
                    .get(f.place.location.file)
                    .and_then(|file| snippet(&file.text, f.place.start.line, f.place.end.line)),
            })
            .collect();
        Audit {
            merged: false,
            tool_version: report.tool_version.to_owned(),
            repos: vec![Repo {
                name: String::new(),
                files_scanned: Some(report.summary.files_scanned),
                suppressed: report.summary.suppressed,
                baselined: report.summary.baselined,
                findings,
                notices: report.notices.clone(),
            }],
            rules: report
                .rules
                .iter()
                .map(|r| {
                    (
                        r.id.to_owned(),
                        RuleMeta {
                            summary: r.summary.clone(),
                            help_uri: r.help_uri.clone(),
                        },
                    )
                })
                .collect(),
            scanned: None,
            trust_map: report.trust_map.clone(),
        }
    }

    /// Adds the audit of one more scan (a directory given to `report`) as
    /// the repository `name`.
    pub fn join(&mut self, other: Audit, name: &str) {
        for (id, meta) in other.rules {
            self.rules.entry(id).or_insert(meta);
        }
        self.trust_map.absorb(other.trust_map, name);
        for mut repo in other.repos {
            repo.name = name.to_owned();
            self.add_repo(repo);
        }
        self.finish();
    }

    fn add_repo(&mut self, repo: Repo) {
        match self.repos.iter_mut().find(|r| r.name == repo.name) {
            Some(existing) => {
                existing.findings.extend(repo.findings);
                existing.notices.extend(repo.notices);
                existing.suppressed += repo.suppressed;
                existing.baselined += repo.baselined;
                existing.files_scanned = match (existing.files_scanned, repo.files_scanned) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
            }
            None => self.repos.push(repo),
        }
    }

    fn finish(&mut self) {
        self.trust_map.sort();
        self.repos.sort_by(|a, b| a.name.cmp(&b.name));
        for repo in &mut self.repos {
            repo.findings.sort_by(|a, b| {
                (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
            });
        }
    }

    /// Merges results files (`FILE` or `NAME=FILE`) into one audit; repositories
    /// of the same name are joined.
    pub fn merge(inputs: &[String]) -> Result<Audit, String> {
        let mut audit = Audit {
            merged: true,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            ..Audit::default()
        };
        for input in inputs {
            let (name, path) = split_input(input);
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
            let repos = if value.get("runs").is_some() {
                sarif_repos(
                    &value,
                    name.as_deref(),
                    path,
                    &mut audit.rules,
                    &mut audit.trust_map,
                )?
            } else if value.get("findings").is_some() && value.get("version").is_some() {
                let repo = json_repo(&value, name, path)?;
                audit
                    .trust_map
                    .absorb(trust_map_at(&value, "/trust_map"), &repo.name);
                vec![repo]
            } else {
                return Err(format!(
                    "{} is neither SARIF nor shiplint JSON",
                    path.display()
                ));
            };
            for repo in repos {
                audit.add_repo(repo);
            }
        }
        audit.finish();
        Ok(audit)
    }

    /// Every finding, with its repository.
    pub fn findings(&self) -> impl Iterator<Item = (&Repo, &Item)> {
        self.repos
            .iter()
            .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
    }

    pub fn total(&self) -> usize {
        self.repos.iter().map(|r| r.findings.len()).sum()
    }

    /// Findings per severity, most severe first, every severity present.
    pub fn by_severity(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .map(|s| {
                (
                    *s,
                    self.findings().filter(|(_, f)| f.severity == *s).count(),
                )
            })
            .collect()
    }

    /// Findings per rule, most frequent first (then most severe, then by id).
    pub fn by_rule(&self) -> Vec<RuleCount> {
        let mut map: BTreeMap<&str, BTreeMap<Severity, usize>> = BTreeMap::new();
        for (_, f) in self.findings() {
            *map.entry(&f.rule)
                .or_default()
                .entry(f.severity)
                .or_default() += 1;
        }
        let mut rows: Vec<_> = map
            .into_iter()
            .map(|(rule, counts)| RuleCount {
                rule: rule.to_owned(),
                by_severity: Severity::ALL
                    .iter()
                    .map(|s| (*s, counts.get(s).copied().unwrap_or(0)))
                    .collect(),
            })
            .collect();
        rows.sort_by(|a, b| {
            b.total()
                .cmp(&a.total())
                .then(b.worst().cmp(&a.worst()))
                .then(a.rule.cmp(&b.rule))
        });
        rows
    }

    /// Every file skipped, with its repository.
    pub fn notices(&self) -> impl Iterator<Item = (&Repo, &super::Notice)> {
        self.repos
            .iter()
            .flat_map(|r| r.notices.iter().map(move |n| (r, n)))
    }

    pub fn files_scanned(&self) -> Option<usize> {
        self.repos.iter().map(|r| r.files_scanned).sum()
    }

    pub fn suppressed(&self) -> usize {
        self.repos.iter().map(|r| r.suppressed).sum()
    }

    pub fn baselined(&self) -> usize {
        self.repos.iter().map(|r| r.baselined).sum()
    }
}

impl Repo {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// The lines around `start..=end` of `text`, bounded in number and width.
fn snippet(text: &str, start: u32, end: u32) -> Option<Snippet> {
    if text.is_empty() || start == 0 {
        return None;
    }
    let first = start.saturating_sub(CONTEXT).max(1);
    let last = end
        .max(start)
        .saturating_add(CONTEXT)
        .min(first + SNIPPET_LINES - 1);
    let lines: Vec<(u32, String, bool)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let n = u32::try_from(i + 1).ok()?;
            (first..=last).contains(&n).then(|| {
                let mut shown: String = line.chars().take(LINE_CHARS).collect();
                if line.chars().count() > LINE_CHARS {
                    shown.push('…');
                }
                (n, shown, (start..=end.max(start)).contains(&n))
            })
        })
        .collect();
    (!lines.is_empty()).then_some(Snippet { lines })
}

fn split_input(input: &str) -> (Option<String>, &Path) {
    if let Some((name, file)) = input.split_once('=')
        && !name.is_empty()
        && !name.contains(['/', '\\'])
        && !Path::new(input).exists()
    {
        return (Some(name.to_owned()), Path::new(file));
    }
    (None, Path::new(input))
}

fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name
        .strip_suffix(".sarif.json")
        .or_else(|| name.strip_suffix(".sarif"))
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(&name);
    name.to_owned()
}

fn severity_named(name: &str) -> Option<Severity> {
    Severity::ALL.iter().copied().find(|s| s.as_str() == name)
}

fn severity_of_score(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else if score >= 2.0 {
        Severity::Low
    } else {
        Severity::Info
    }
}

fn severity_of_level(level: &str) -> Severity {
    match level {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        "note" => Severity::Low,
        _ => Severity::Info,
    }
}

fn text_at<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn number_at(value: &Value, pointer: &str) -> u32 {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// Decodes `%XX` escapes of a SARIF URI; a `file://` scheme is dropped.
fn decode_uri(uri: &str) -> String {
    let uri = uri.strip_prefix("file://").unwrap_or(uri);
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = uri.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn sarif_repos(
    log: &Value,
    name: Option<&str>,
    path: &Path,
    rules: &mut BTreeMap<String, RuleMeta>,
    trust_map: &mut TrustMap,
) -> Result<Vec<Repo>, String> {
    let runs = log
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: \"runs\" is not an array", path.display()))?;
    let mut repos = Vec::new();
    for run in runs {
        let repo_name = name.map(str::to_owned).unwrap_or_else(|| {
            text_at(run, "/versionControlProvenance/0/repositoryUri")
                .and_then(|uri| {
                    uri.trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .map(|s| s.trim_end_matches(".git").to_owned())
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| stem(path))
        });
        // Rule id → (default level, security-severity).
        let mut defaults: BTreeMap<String, (String, Option<f64>)> = BTreeMap::new();
        let driver_rules = run
            .pointer("/tool/driver/rules")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for rule in driver_rules {
            let Some(id) = text_at(rule, "/id") else {
                continue;
            };
            let level = text_at(rule, "/defaultConfiguration/level")
                .unwrap_or("warning")
                .to_owned();
            let score = rule
                .pointer("/properties/security-severity")
                .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_f64()));
            defaults.insert(id.to_owned(), (level, score));
            rules.entry(id.to_owned()).or_insert_with(|| RuleMeta {
                summary: text_at(rule, "/shortDescription/text")
                    .unwrap_or_default()
                    .to_owned(),
                help_uri: text_at(rule, "/helpUri").unwrap_or_default().to_owned(),
            });
        }
        let results = run
            .get("results")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut findings = Vec::with_capacity(results.len());
        for result in results {
            let rule = text_at(result, "/ruleId")
                .or_else(|| text_at(result, "/rule/id"))
                .or_else(|| {
                    let index = result.get("ruleIndex").and_then(Value::as_u64)?;
                    driver_rules
                        .get(usize::try_from(index).ok()?)
                        .and_then(|r| text_at(r, "/id"))
                })
                .unwrap_or("unknown")
                .to_owned();
            let default = defaults.get(&rule);
            let level = text_at(result, "/level")
                .map(str::to_owned)
                .or_else(|| default.map(|d| d.0.clone()))
                .unwrap_or_else(|| "warning".to_owned());
            let severity = text_at(result, "/properties/severity")
                .and_then(severity_named)
                .or_else(|| {
                    let (default_level, score) = default?;
                    (*default_level == level).then_some(())?;
                    score.map(severity_of_score)
                })
                .unwrap_or_else(|| severity_of_level(&level));
            let location = "/locations/0/physicalLocation";
            let region = format!("{location}/region");
            let snippet = text_at(result, &format!("{region}/snippet/text")).map(|text| {
                let start = number_at(result, &format!("{region}/startLine")).max(1);
                Snippet {
                    lines: text
                        .lines()
                        .take(SNIPPET_LINES as usize)
                        .zip(start..)
                        .map(|(line, n)| (n, line.chars().take(LINE_CHARS).collect(), true))
                        .collect(),
                }
            });
            findings.push(Item {
                rule,
                severity,
                message: text_at(result, "/message/text")
                    .unwrap_or_default()
                    .to_owned(),
                path: text_at(result, &format!("{location}/artifactLocation/uri"))
                    .map(decode_uri)
                    .unwrap_or_default(),
                line: number_at(result, &format!("{region}/startLine")),
                column: number_at(result, &format!("{region}/startColumn")),
                help: String::new(),
                related: result
                    .get("relatedLocations")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        (
                            text_at(r, "/physicalLocation/artifactLocation/uri")
                                .map(decode_uri)
                                .unwrap_or_default(),
                            number_at(r, "/physicalLocation/region/startLine"),
                            text_at(r, "/message/text").unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
                snippet,
            });
        }
        let notices = run
            .pointer("/invocations/0/toolExecutionNotifications")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| {
                let uri = "/locations/0/physicalLocation/artifactLocation/uri";
                let path = text_at(n, uri).map(decode_uri)?;
                let text = text_at(n, "/message/text").unwrap_or_default();
                let reason = text
                    .strip_prefix(&format!("skipped {path}: "))
                    .unwrap_or(text)
                    .to_owned();
                Some(super::Notice { path, reason })
            })
            .collect();
        trust_map.absorb(
            trust_map_at(run, "/properties/shiplint~1trustMap"),
            &repo_name,
        );
        repos.push(Repo {
            name: repo_name,
            files_scanned: None,
            suppressed: 0,
            baselined: 0,
            findings,
            notices,
        });
    }
    Ok(repos)
}

/// The trust map a results file carries at `pointer`; none when absent or
/// not shaped as shiplint writes it.
fn trust_map_at(value: &Value, pointer: &str) -> TrustMap {
    value
        .pointer(pointer)
        .and_then(|v| TrustMap::deserialize(v).ok())
        .unwrap_or_default()
}

fn json_repo(value: &Value, name: Option<String>, path: &Path) -> Result<Repo, String> {
    let findings = value
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: \"findings\" is not an array", path.display()))?;
    let count = |p: &str| {
        value
            .pointer(p)
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
    };
    Ok(Repo {
        name: name.unwrap_or_else(|| stem(path)),
        files_scanned: count("/summary/files_scanned"),
        suppressed: count("/summary/suppressed").unwrap_or(0),
        baselined: count("/summary/baselined").unwrap_or(0),
        findings: findings
            .iter()
            .map(|f| Item {
                rule: text_at(f, "/rule").unwrap_or("unknown").to_owned(),
                severity: text_at(f, "/severity")
                    .and_then(severity_named)
                    .unwrap_or(Severity::Info),
                message: text_at(f, "/message").unwrap_or_default().to_owned(),
                path: text_at(f, "/path").unwrap_or_default().to_owned(),
                line: number_at(f, "/start/line"),
                column: number_at(f, "/start/column"),
                help: text_at(f, "/help").unwrap_or_default().to_owned(),
                related: f
                    .get("related")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        (
                            text_at(r, "/path").unwrap_or_default().to_owned(),
                            number_at(r, "/start/line"),
                            text_at(r, "/label").unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
                snippet: None,
            })
            .collect(),
        notices: value
            .get("notices")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| {
                Some(super::Notice {
                    path: text_at(n, "/path")?.to_owned(),
                    reason: text_at(n, "/reason").unwrap_or_default().to_owned(),
                })
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_show_context_and_mark_the_span() {
        let text = "a\nb\nc\nd\ne\n";
        let s = snippet(text, 3, 3).expect("snippet");
        assert_eq!(
            s.lines,
            vec![
                (2, "b".into(), false),
                (3, "c".into(), true),
                (4, "d".into(), false)
            ]
        );
        let s = snippet(text, 1, 1).expect("snippet");
        assert_eq!(s.lines.first().map(|l| l.0), Some(1));
        assert!(snippet("", 1, 1).is_none());
        // A span of many lines is bounded.
        let long = "x\n".repeat(100);
        assert_eq!(
            snippet(&long, 2, 90).expect("snippet").lines.len(),
            SNIPPET_LINES as usize
        );
    }

    #[test]
    fn uris_are_decoded_and_severities_mapped() {
        assert_eq!(
            decode_uri("deploy/build%20spec.yml"),
            "deploy/build spec.yml"
        );
        assert_eq!(decode_uri("file:///x/%C3%A9.json"), "/x/é.json");
        assert_eq!(decode_uri("bad%zz"), "bad%zz");
        assert_eq!(severity_of_score(9.5), Severity::Critical);
        assert_eq!(severity_of_score(8.0), Severity::High);
        assert_eq!(severity_of_score(5.5), Severity::Medium);
        assert_eq!(severity_of_score(3.0), Severity::Low);
        assert_eq!(severity_of_score(1.0), Severity::Info);
        assert_eq!(severity_of_level("warning"), Severity::Medium);
    }

    #[test]
    fn names_come_from_the_argument_or_the_file() {
        assert_eq!(split_input("api=out/x.sarif").0.as_deref(), Some("api"));
        assert_eq!(split_input("out/x=y.sarif").0, None);
        assert_eq!(stem(Path::new("out/web.sarif")), "web");
        assert_eq!(stem(Path::new("out/web.sarif.json")), "web");
    }
}
