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
