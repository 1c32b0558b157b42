//! A small lexer over expression text. It finds what minijinja only reports at evaluation (unknown
//! functions, filters and tests) and lets the compiler recognise the simple expressions it runs
//! without the evaluator (paths, literals, comparisons, `abs(x)`, `lookup('t', x)`).

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    /// Operators and punctuation: `. , ( ) [ ] { } : | == != < > <= >= + - * / // ** % ~`.
    Punct(&'static str),
}

const PUNCTS: &[&str] = &[
    "==", "!=", "<=", ">=", "//", "**", "<", ">", ".", ",", "(", ")", "[", "]", "{", "}", ":", "|", "+", "-",
    "*", "/", "%", "~",
];

/// Tokenize; `None` when the text holds something this lexer does not know (the evaluator will
/// then be the judge).
pub fn lex(src: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            out.push(Tok::Ident(src[start..i].to_owned()));
        } else if c.is_ascii_digit() {
            let start = i;
            let mut float = false;
            while i < b.len() && (b[i].is_ascii_digit() || (b[i] == b'.' && !float && b.get(i + 1).is_some_and(u8::is_ascii_digit))) {
                float |= b[i] == b'.';
                i += 1;
            }
            let text = &src[start..i];
            out.push(if float { Tok::Float(text.parse().ok()?) } else { Tok::Int(text.parse().ok()?) });
        } else if c == b'\'' || c == b'"' {
            let quote = c;
            let mut s = String::new();
            i += 1;
            loop {
                let ch = src[i..].chars().next()?;
                i += ch.len_utf8();
                match ch {
                    '\\' => {
                        let esc = src[i..].chars().next()?;
                        i += esc.len_utf8();
                        s.push(match esc {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                    ch if ch as u32 == quote as u32 => break,
                    ch => s.push(ch),
                }
            }
            out.push(Tok::Str(s));
        } else {
            let p = PUNCTS.iter().find(|p| src[i..].starts_with(**p))?;
            i += p.len();
            out.push(Tok::Punct(p));
        }
    }
    Some(out)
}

/// Names used as functions (`name(` not after `.` or `|`), filters (`| name`) and tests (`is [not] name`).
#[derive(Debug, Default, PartialEq)]
pub struct Calls {
    pub functions: Vec<String>,
    pub filters: Vec<String>,
    pub tests: Vec<String>,
}

pub fn calls(toks: &[Tok]) -> Calls {
    let mut c = Calls::default();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(name) = t else { continue };
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        let next = toks.get(i + 1);
        match prev {
            Some(Tok::Punct("|")) => c.filters.push(name.clone()),
            Some(Tok::Ident(k)) if k == "is" && name != "not" => c.tests.push(name.clone()),
            Some(Tok::Ident(k)) if k == "not" && i >= 2 && toks[i - 2] == Tok::Ident("is".into()) => {
                c.tests.push(name.clone())
            }
            Some(Tok::Punct(".")) => {}
            _ if next == Some(&Tok::Punct("(")) => c.functions.push(name.clone()),
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_and_finds_calls() {
        let toks = lex("lookupp('wh', parent.code) | uppr ~ x is not emptyy and abs(-1.5) > 2").unwrap();
        let c = calls(&toks);
        assert_eq!(c.functions, ["lookupp", "abs"]);
        assert_eq!(c.filters, ["uppr"]);
        assert_eq!(c.tests, ["emptyy"]);
        assert_eq!(lex("'a\\'b'").unwrap(), vec![Tok::Str("a'b".into())]);
        assert_eq!(lex("1.5 10").unwrap(), vec![Tok::Float(1.5), Tok::Int(10)]);
        assert_eq!(lex("a.b[0]").unwrap().len(), 6);
        assert!(lex("a ? b").is_none());
        assert!(lex("a ~ b").is_some());
    }
}
