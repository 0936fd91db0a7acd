//! The trust map section of the Markdown and HTML reports, and the picture
//! of its graph: who (identities) can assume which role, and which workflow
//! jobs assume it. The picture is inline SVG: no script, nothing loaded.

use super::html::esc;
use super::markdown::cell;
use crate::model::trustmap::{Assumption, MappedRole, TrustMap};
use std::fmt::Write as _;

fn role_label(role: &MappedRole, merged: bool) -> String {
    if merged && !role.repository.is_empty() {
        format!("{} ({})", role.name, role.repository)
    } else {
        role.name.clone()
    }
}

fn place(repository: &str, path: &str, line: u32, column: u32, merged: bool) -> String {
    if merged && !repository.is_empty() {
        format!("{repository}: {path}:{line}:{column}")
    } else {
        format!("{path}:{line}:{column}")
    }
}

fn job_label(a: &Assumption, merged: bool) -> String {
    format!(
        "job {} at {}{}",
        a.job,
        place(&a.repository, &a.path, a.line, a.column, merged),
        if a.never_admitted {
            " (its trust admits none of this job's subjects)"
        } else {
            ""
        }
    )
}

/// Jobs that assume a role whose trust is not in the scan.
fn unmatched<'a>(map: &'a TrustMap, links: &[Vec<usize>]) -> Vec<&'a Assumption> {
    let mut linked = vec![false; map.assumptions.len()];
    for &i in links.iter().flatten() {
        if let Some(l) = linked.get_mut(i) {
            *l = true;
        }
    }
    map.assumptions
        .iter()
        .zip(linked)
        .filter(|(_, l)| !l)
        .map(|(a, _)| a)
        .collect()
}

/// The jobs linked to role `r`.
fn jobs_of<'a>(
    map: &'a TrustMap,
    links: &'a [Vec<usize>],
    r: usize,
) -> impl Iterator<Item = &'a Assumption> {
    links
        .get(r)
        .into_iter()
        .flatten()
        .filter_map(|&i| map.assumptions.get(i))
}

/// `## Trust map` for Markdown; empty when the scan has no federated trust
/// and no job assuming a role.
pub fn markdown(map: &TrustMap, merged: bool) -> String {
    let mut out = String::new();
    if map.is_empty() {
        return out;
    }
    let _ = writeln!(out, "## Trust map\n");
    let links = map.links();
    if !map.roles.is_empty() {
        let _ = writeln!(
            out,
            "| role | issuer | who can assume it | what it may do | trust written at | assumed by |\n|---|---|---|---|---|---|"
        );
        for (r, role) in map.roles.iter().enumerate() {
            let jobs: Vec<String> = jobs_of(map, &links, r)
                .map(|a| cell(&job_label(a, merged)))
                .collect();
            let may: Vec<String> = role
                .may
                .iter()
                .map(|m| {
                    if m.starts_with("admin") {
                        format!("**{}**", cell(m))
                    } else {
                        cell(m)
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&role_label(role, merged)),
                cell(&role.issuers.join(", ")),
                role.who
                    .iter()
                    .map(|w| cell(w))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                may.join("<br>"),
                cell(&place(
                    &role.repository,
                    &role.path,
                    role.line,
                    role.column,
                    merged
                )),
                if jobs.is_empty() {
                    "no scanned workflow".to_owned()
                } else {
                    jobs.join("<br>")
                },
            );
        }
        out.push('\n');
    }
    let rest = unmatched(map, &links);
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "Roles assumed by scanned workflows whose trust is not in the scan:\n"
        );
        for a in rest {
            let _ = writeln!(out, "- {}: {}", cell(&a.role), cell(&job_label(a, merged)));
        }
        out.push('\n');
    }
    out
}

/// Styles of the section, added to the report's.
pub const STYLE: &str = "
.graph{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:8px;overflow-x:auto}
.graph svg{display:block;font:12px system-ui,-apple-system,Segoe UI,Roboto,sans-serif}
.tm td{vertical-align:top}.tm .admin{color:#d1242f;font-weight:600}
";

/// `<section id="trust-map">` for HTML: the picture, then the table.
pub fn html(map: &TrustMap, merged: bool) -> String {
    let mut out = String::new();
    if map.is_empty() {
        return out;
    }
    out.push_str("<section id=\"trust-map\">\n<h2>Trust map</h2>\n");
    let links = map.links();
    if !map.roles.is_empty() {
        out.push_str("<div class=\"graph\">\n");
        out.push_str(&svg(map, &links, merged));
        out.push_str("</div>\n");
        if map.roles.len() > GRAPH_ROLES {
            let _ = writeln!(
                out,
                "<p class=\"muted\">The picture shows the first {GRAPH_ROLES} of {} roles; the table lists them all.</p>",
                map.roles.len()
            );
        }
        out.push_str(
            "<table class=\"tm\" id=\"trust-map-table\">\n<tr><th>role</th><th>issuer</th><th>who can assume it</th><th>what it may do</th><th>trust written at</th><th>assumed by</th></tr>\n",
        );
        for (r, role) in map.roles.iter().enumerate() {
            let lines = |items: &mut dyn Iterator<Item = String>| -> String {
                items.collect::<Vec<_>>().join("<br>")
            };
            let jobs = lines(&mut jobs_of(map, &links, r).map(|a| esc(&job_label(a, merged))));
            let may = lines(&mut role.may.iter().map(|m| {
                if m.starts_with("admin") {
                    format!("<span class=\"admin\">{}</span>", esc(m))
                } else {
                    esc(m)
                }
            }));
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{may}</td><td class=\"loc\">{}</td><td>{}</td></tr>",
                esc(&role_label(role, merged)),
                esc(&role.issuers.join(", ")),
                lines(&mut role.who.iter().map(|w| esc(w))),
                esc(&place(
                    &role.repository,
                    &role.path,
                    role.line,
                    role.column,
                    merged
                )),
                if jobs.is_empty() {
                    "<span class=\"muted\">no scanned workflow</span>".to_owned()
                } else {
                    jobs
                }
            );
        }
        out.push_str("</table>\n");
    }
    let rest = unmatched(map, &links);
    if !rest.is_empty() {
        out.push_str(
            "<p>Roles assumed by scanned workflows whose trust is not in the scan:</p>\n<ul id=\"trust-map-unmatched\">\n",
        );
        for a in rest {
            let _ = writeln!(
                out,
                "<li>{}: {}</li>",
                esc(&a.role),
                esc(&job_label(a, merged))
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    out
}

/// Most roles the picture draws (the table lists every one).
const GRAPH_ROLES: usize = 150;
const WIDTH: u32 = 1000;
const COLUMN: [(u32, u32); 3] = [(0, 330), (390, 230), (680, 320)];
const ROW: u32 = 34;
const BOX: u32 = 26;
const TOP: u32 = 28;
const LABEL_CHARS: usize = 48;

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// A node: a box with its label, the full text as its tooltip.
fn node(out: &mut String, column: usize, row: usize, text: &str, title: &str, class: &str) {
    let (x, w) = COLUMN[column];
    let y = TOP + row as u32 * ROW;
    let chars = (w as usize - 12) / 7;
    let _ = writeln!(
        out,
        "<g class=\"node {class}\"><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{BOX}\" rx=\"6\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
        esc(title),
        x + 8,
        y + 17,
        esc(&clip(text, chars.min(LABEL_CHARS)))
    );
}

fn edge(out: &mut String, from: (usize, usize), to: (usize, usize), class: &str) {
    let end = |(column, row): (usize, usize), right: bool| -> (u32, u32) {
        let (x, w) = COLUMN[column];
        (
            if right { x + w } else { x },
            TOP + row as u32 * ROW + BOX / 2,
        )
    };
    let (a, b) = if from.0 < to.0 {
        (end(from, true), end(to, false))
    } else {
        (end(from, false), end(to, true))
    };
    let mid = (a.0 + b.0) / 2;
    let _ = writeln!(
        out,
        "<path class=\"{class}\" d=\"M{} {} C{mid} {} {mid} {} {} {}\"/>",
        a.0, a.1, a.1, b.1, b.0, b.1
    );
}

/// The graph: identities on the left, roles in the middle, workflow jobs on
/// the right; an arrow for "can assume" and one for "assumes".
fn svg(map: &TrustMap, links: &[Vec<usize>], merged: bool) -> String {
    let roles = &map.roles[..map.roles.len().min(GRAPH_ROLES)];
    let links = &links[..links.len().min(GRAPH_ROLES)];
    // Rows of the identity and job columns, in order of first use.
    let mut identities: Vec<&str> = Vec::new();
    let mut identity_row: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for role in roles {
        for w in &role.who {
            identity_row.entry(w.as_str()).or_insert_with(|| {
                identities.push(w);
                identities.len() - 1
            });
        }
    }
    let mut jobs: Vec<&Assumption> = Vec::new();
    let mut job_row: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for &i in links.iter().flatten() {
        if let Some(a) = map.assumptions.get(i) {
            job_row.entry(i).or_insert_with(|| {
                jobs.push(a);
                jobs.len() - 1
            });
        }
    }
    let rows = identities.len().max(roles.len()).max(jobs.len()) as u32;
    let height = TOP + rows * ROW + 8;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg id=\"trust-map-graph\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\">"
    );
    out.push_str(
        "<title>trust map: who can assume which role, and which workflow jobs assume it</title>\n",
    );
    out.push_str(
        "<style>.node rect{stroke-width:1.5}.who rect{fill:#fff8c5;stroke:#bf8700}.role rect{fill:#ddf4ff;stroke:#0969da}\
         .role.admin rect{fill:#ffebe9;stroke:#d1242f}.job rect{fill:#dafbe1;stroke:#1a7f37}\
         text{fill:#1f2328}.head{font-weight:600;fill:#59636e}\
         path{fill:none;stroke-width:1.5}path.trusts{stroke:#bf8700}path.assumes{stroke:#1a7f37;stroke-dasharray:5 3}</style>\n",
    );
    for (i, title) in ["who can assume", "role", "workflow job"]
        .iter()
        .enumerate()
    {
        let _ = writeln!(
            out,
            "<text class=\"head\" x=\"{}\" y=\"16\">{title}</text>",
            COLUMN[i].0 + 2
        );
    }
    for (r, role) in roles.iter().enumerate() {
        for w in &role.who {
            if let Some(&i) = identity_row.get(w.as_str()) {
                edge(&mut out, (0, i), (1, r), "trusts");
            }
        }
        for i in links.get(r).into_iter().flatten() {
            if let Some(&j) = job_row.get(i) {
                edge(&mut out, (2, j), (1, r), "assumes");
            }
        }
    }
    for (i, w) in identities.iter().enumerate() {
        node(&mut out, 0, i, w, w, "who");
    }
    for (r, role) in roles.iter().enumerate() {
        let class = if role.admin { "role admin" } else { "role" };
        let label = if role.admin {
            format!("{} (admin)", role_label(role, merged))
        } else {
            role_label(role, merged)
        };
        node(&mut out, 1, r, &label, &label, class);
    }
    for (j, a) in jobs.iter().enumerate() {
        // The box names the job and its file; the tooltip has the place.
        let file = a.path.rsplit('/').next().unwrap_or(&a.path);
        let short = if merged && !a.repository.is_empty() {
            format!("job {} · {} {file}", a.job, a.repository)
        } else {
            format!("job {} · {file}", a.job)
        };
        node(&mut out, 2, j, &short, &job_label(a, merged), "job");
    }
    out.push_str("</svg>\n");
    out
}
