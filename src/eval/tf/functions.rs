//! Terraform functions, on evaluated arguments.

use super::{Ev, Frame, Tv};
use crate::eval::{MAX_ALTERNATIVES, concat};
use crate::model::value::Val;
use crate::syntax::Span;

impl Ev<'_> {
    pub(super) fn call(&self, name: &str, args: Vec<Tv>, span: Span, fr: Frame) -> Tv {
        let hole = || self.hole(&format!("{name}(...)"), span, fr.file);
        let scalar = |tv: &Tv| -> Option<Vec<Val>> {
            match tv {
                Tv::Alts(v) if !v.is_empty() => Some(v.clone()),
                _ => None,
            }
        };
        let single = |tv: &Tv| -> Option<String> {
            match scalar(tv)?.as_slice() {
                [one] if !one.is_dynamic() => Some(one.text.clone()),
                _ => None,
            }
        };
        // A function applied to text with holes: the holes must come out
        // whole (an unknown value stays one unknown value), else the result
        // is unknown.
        let map = |f: &dyn Fn(&str) -> String| -> Tv {
            match args.first() {
                Some(tv) => tv.clone().map_vals(&mut |mut v| {
                    let out = f(&v.text);
                    if holes(&v.text).all(|h| out.contains(h)) {
                        v.text = out;
                    } else {
                        v.text = format!("${{{name}(...)}}");
                    }
                    v
                }),
                None => hole(),
            }
        };
        match name {
            "lower" => map(&|s| s.to_lowercase()),
            "upper" => map(&|s| s.to_uppercase()),
            "trimspace" => map(&|s| s.trim().to_owned()),
            // In a template's JSON, `${jsonencode(x)}` renders as x itself.
            "jsonencode" if !matches!(args.first(), Some(Tv::Obj(_)) | None) => {
                args.into_iter().next().unwrap_or_else(hole)
            }
            "tostring" | "tolist" | "toset" | "nonsensitive" | "sensitive" => {
                args.into_iter().next().unwrap_or_else(hole)
            }
            "trimprefix" | "trimsuffix" => {
                let Some(affix) = args.get(1).and_then(single) else {
                    return hole();
                };
                let prefix = name == "trimprefix";
                map(&|s| {
                    let out = if prefix {
                        s.strip_prefix(affix.as_str())
                    } else {
                        s.strip_suffix(affix.as_str())
                    };
                    out.unwrap_or(s).to_owned()
                })
            }
            "replace" => {
                let (Some(from), Some(to)) =
                    (args.get(1).and_then(single), args.get(2).and_then(single))
                else {
                    return hole();
                };
                if let Some(pattern) = from
                    .strip_prefix('/')
                    .and_then(|p| p.strip_suffix('/'))
                    .filter(|p| !p.is_empty())
                {
                    let Ok(re) = regex::RegexBuilder::new(pattern)
                        .size_limit(1 << 20)
                        .build()
                    else {
                        return hole();
                    };
                    map(&|s| re.replace_all(s, to.as_str()).into_owned())
                } else if from.is_empty() {
                    args.into_iter().next().unwrap_or_else(hole)
                } else {
                    map(&|s| s.replace(from.as_str(), &to))
                }
            }
            "format" => {
                let Some(formats) = args.first().and_then(scalar) else {
                    return hole();
                };
                Tv::Alts(self.format(formats, args.get(1..).unwrap_or(&[]), span, fr))
            }
            "formatlist" => {
                let Some(formats) = args.first().and_then(scalar) else {
                    return hole();
                };
                let rest = args.get(1..).unwrap_or(&[]);
                let lists: Vec<Option<Vec<Tv>>> = rest.iter().map(|a| a.clone().items()).collect();
                let n = lists.iter().flatten().map(Vec::len).max().unwrap_or(1);
                let mut out = Vec::new();
                for i in 0..n.min(MAX_ALTERNATIVES) {
                    let row: Vec<Tv> = rest
                        .iter()
                        .zip(&lists)
                        .map(|(a, l)| match l {
                            Some(items) => items.get(i).cloned().unwrap_or_else(hole),
                            None => a.clone(),
                        })
                        .collect();
                    out.push(Tv::Alts(self.format(formats.clone(), &row, span, fr)));
                }
                Tv::List(out)
            }
            "split" => {
                let (Some(sep), Some(text)) =
                    (args.first().and_then(single), args.get(1).and_then(scalar))
                else {
                    return hole();
                };
                match text.as_slice() {
                    [one] if !sep.is_empty() => Tv::List(
                        one.text
                            .split(sep.as_str())
                            .take(MAX_ALTERNATIVES)
                            .map(|piece| {
                                Tv::Alts(vec![Val {
                                    text: piece.to_owned(),
                                    ..one.clone()
                                }])
                            })
                            .collect(),
                    ),
                    _ => hole(),
                }
            }
            "chomp" => map(&|s| s.trim_end_matches(['\n', '\r']).to_owned()),
            "sort" | "reverse" => args.into_iter().next().unwrap_or_else(hole),
            "try" | "coalescelist" | "merge" => {
                args.into_iter().reduce(Tv::union).unwrap_or_else(hole)
            }
            "join" => {
                let (Some(sep), Some(list)) = (
                    args.first().and_then(single),
                    args.get(1).cloned().and_then(Tv::items),
                ) else {
                    return hole();
                };
                let mut parts = Vec::new();
                for (i, item) in list.into_iter().enumerate() {
                    if i > 0 {
                        parts.push(vec![self.lit(sep.as_str(), span, fr.file)]);
                    }
                    let v = item.scalars();
                    if !v.is_empty() {
                        parts.push(v);
                    }
                }
                Tv::Alts(concat(&parts, self.lit("", span, fr.file)))
            }
            "concat" | "flatten" | "distinct" | "compact" | "setunion" => {
                let mut out = Vec::new();
                for a in args {
                    match a.items() {
                        Some(items) => out.extend(items),
                        None => return hole(),
                    }
                }
                if name == "flatten" {
                    let mut flat = Vec::new();
                    for item in out {
                        match item {
                            Tv::List(inner) => flat.extend(inner),
                            other => flat.push(other),
                        }
                    }
                    out = flat;
                }
                Tv::List(out)
            }
            "coalesce" => args.into_iter().reduce(Tv::union).unwrap_or_else(hole),
            "element" => {
                let (Some(list), Some(i)) = (
                    args.first().cloned().and_then(Tv::items),
                    args.get(1)
                        .and_then(single)
                        .and_then(|i| i.parse::<usize>().ok()),
                ) else {
                    return hole();
                };
                if list.is_empty() {
                    return hole();
                }
                let n = list.len();
                list.into_iter().nth(i % n).unwrap_or_else(hole)
            }
            "lookup" => {
                let (Some(Tv::Obj(entries)), Some(key)) =
                    (args.first(), args.get(1).and_then(single))
                else {
                    return hole();
                };
                match entries.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => v.clone(),
                    None => args.get(2).cloned().unwrap_or_else(hole),
                }
            }
            _ => hole(),
        }
    }
}

/// The `${...}` holes of a text.
fn holes(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find("${")?;
        let end = rest[start..].find('}')? + start + 1;
        let hole = &rest[start..end];
        rest = &rest[end..];
        Some(hole)
    })
}

impl Ev<'_> {
    /// `format(fmt, args...)` for every alternative of `fmt`: `%%` is a
    /// percent sign, every other verb takes the next argument.
    pub(super) fn format(&self, formats: Vec<Val>, args: &[Tv], span: Span, fr: Frame) -> Vec<Val> {
        let scalar = |tv: &Tv| -> Option<Vec<Val>> {
            match tv {
                Tv::Alts(v) if !v.is_empty() => Some(v.clone()),
                _ => None,
            }
        };
        let mut out = Vec::new();
        for f in formats {
            let mut parts: Vec<Vec<Val>> = Vec::new();
            let mut next = 0;
            let mut literal = String::new();
            let mut chars = f.text.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '%' {
                    literal.push(c);
                    continue;
                }
                if chars.peek() == Some(&'%') {
                    chars.next();
                    literal.push('%');
                    continue;
                }
                // Flags and width, then the verb.
                while chars.peek().is_some_and(|c| !c.is_ascii_alphabetic()) {
                    chars.next();
                }
                chars.next();
                parts.push(vec![Val {
                    text: std::mem::take(&mut literal),
                    ..f.clone()
                }]);
                parts.push(
                    args.get(next)
                        .and_then(scalar)
                        .unwrap_or_else(|| vec![self.lit("${...}", span, fr.file)]),
                );
                next += 1;
            }
            parts.push(vec![Val {
                text: literal,
                ..f.clone()
            }]);
            out.extend(concat(&parts, self.lit("", span, fr.file)));
        }
        out
    }
}
