use super::*;

#[test]
fn edits_apply_in_order_and_keep_other_bytes() {
    let text = "a: 1\r\nb: 2\r\n";
    let out = apply(
        text,
        &[
            (Span::new(9, 10), "3"),
            (Span::new(0, 1), "x"),
            (Span::new(6, 6), "# c\r\n"),
        ],
    );
    assert_eq!(out.as_deref(), Some("x: 1\r\n# c\r\nb: 3\r\n"));
}

#[test]
fn overlapping_or_invalid_edits_are_refused() {
    assert_eq!(
        apply("abcdef", &[(Span::new(0, 3), "x"), (Span::new(2, 4), "y")]),
        None
    );
    assert_eq!(apply("abc", &[(Span::new(2, 9), "x")]), None);
    assert_eq!(apply("é", &[(Span::new(1, 1), "x")]), None);
    assert!(conflict(Span::new(3, 3), Span::new(3, 3)));
    assert!(conflict(Span::new(3, 3), Span::new(1, 3)));
    assert!(!conflict(Span::new(0, 3), Span::new(3, 5)));
}

fn reported_fix(edits: &[(usize, usize, &str)]) -> ReportedFix {
    ReportedFix {
        applicability: Applicability::Safe,
        description: "test".into(),
        edits: edits
            .iter()
            .map(|(s, e, r)| ReportedEdit {
                start: crate::syntax::Position { line: 1, column: 1 },
                end: crate::syntax::Position { line: 1, column: 1 },
                replacement: (*r).to_owned(),
                span: Span::new(*s, *e),
            })
            .collect(),
        file: PathBuf::from("imagedefinitions.json"),
    }
}

#[test]
fn overlapping_fixes_wait_and_breaking_fixes_are_dropped() {
    let text = "[{\"name\": \"web\", \"imageUri\": \"x.dkr.ecr.us-east-1.amazonaws.com/web:1\"}]\n";
    let options = ScanOptions::default();
    let rename = reported_fix(&[(3, 7, "nom")]);
    let overlapping = reported_fix(&[(5, 9, "zzz")]);
    let same_point = reported_fix(&[(1, 1, "")]);
    let insert_again = reported_fix(&[(1, 1, " ")]);
    let breaking = reported_fix(&[(text.len() - 2, text.len() - 1, "")]);
    let candidates: Vec<Candidate<'_>> =
        [&rename, &overlapping, &same_point, &insert_again, &breaking]
            .iter()
            .map(|fix| Candidate {
                rule: "imagedefinitions-shape",
                message: "m",
                line: 1,
                fix,
            })
            .collect();
    let pass = fix_file("imagedefinitions.json", text, &candidates, &options);
    // The overlapping fix and the second insertion at the same point wait;
    // the rename raises no count; deleting the closing bracket breaks parsing.
    let kept: Vec<&str> = pass
        .kept
        .iter()
        .map(|c| c.fix.edits[0].replacement.as_str())
        .collect();
    assert!(!kept.contains(&"zzz") && !kept.contains(&" "), "{kept:?}");
    assert_eq!(
        pass.dropped.len(),
        2,
        "{:?}",
        pass.dropped.iter().map(|d| &d.1).collect::<Vec<_>>()
    );
    assert!(
        pass.dropped
            .iter()
            .any(|(_, why)| why == "leave the file unparsable")
    );
    // The rename of "name" to "nom" adds an "entry has no name" finding.
    assert!(
        pass.dropped
            .iter()
            .any(|(_, why)| why == "introduce a new imagedefinitions-shape finding")
    );
}

#[test]
fn fixes_touching_a_secret_are_not_reported() {
    let file = crate::discover::load_str("buildspec.yml", "a: b\n");
    let fix = Fix::safe(
        "x",
        vec![crate::finding::Edit::replace(Span::new(0, 1), "c")],
    );
    let secret = file.at(Span::new(0, 4));
    assert!(locate(&file, Some(&fix), &[secret]).is_none());
    assert!(locate(&file, Some(&fix), &[]).is_some());
    let outside = Fix::safe(
        "x",
        vec![crate::finding::Edit::replace(Span::new(0, 9), "c")],
    );
    assert!(locate(&file, Some(&outside), &[]).is_none());
}

#[test]
fn a_pass_that_raises_findings_elsewhere_is_undone() {
    let name = "imageDetail.json";
    let text = b"{\"imageUri\": \"x.dkr.ecr.us-east-1.amazonaws.com/web:1\"}\n";
    let options = ScanOptions::default();
    // The scan sees one more finding (as if in another file) once the
    // fix is applied.
    let mut template = None;
    let mut scan = |overlay: &Overlay| {
        let bytes = overlay
            .get(Path::new(name))
            .map_or(&text[..], Vec::as_slice);
        let mut report = engine::scan_in_memory(&[(name, bytes)], &options)?;
        if template.is_none() {
            template = report.findings.first().cloned();
        }
        if !overlay.is_empty()
            && let Some(mut extra) = template.clone()
        {
            extra.rule = "duplicate-key";
            extra.fix = None;
            report.findings.push(extra);
        }
        Ok(report)
    };
    let read = |_: &Path| Ok(text.to_vec());
    let outcome = passes(&mut scan, &read, &options, true).expect("passes");
    assert!(outcome.changed.is_empty());
    assert_eq!(outcome.applied, 0);
    assert_eq!(outcome.notices.len(), 1, "{:?}", outcome.notices);
    assert!(
        outcome.notices[0]
            .reason
            .contains("would introduce a new duplicate-key finding in the repository"),
        "{:?}",
        outcome.notices
    );
}
