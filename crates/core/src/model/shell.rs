//! normalize: what a buildspec command line really runs, read as CodeBuild's shell reads it.
//!
//! A gate is verified by the commands its platform-owned buildspec runs, so a name in an
//! argument (`echo dependency-check`) or a scanner whose failure cannot fail the build
//! (`snyk test || true`, `trivy fs . | tee out`) must not count. This is a deliberately
//! small reading of POSIX shell: words, quotes, the list and pipe operators, leading
//! assignments and a few wrappers. What it cannot read (substitutions, functions, control
//! flow) makes the line opaque, and an opaque line verifies nothing.

/// One simple command of a command line, with what decides whether its failure counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Simple {
    /// The program and its arguments, quotes removed; wrappers (`sudo`, `env`, `time`,
    /// `exec`, `timeout N`) and leading `VAR=value` assignments skipped.
    pub words: Vec<String>,
    /// `VAR=value` assignments in front of the program.
    pub assignments: Vec<String>,
    /// Its exit status is the line's, or stops the line when it fails: joined only by
    /// `&&` before and after, not inside a pipe (CodeBuild's shell has no pipefail), not
    /// followed by `;` or `||`, not run in the background.
    pub decides: bool,
    /// It runs whenever the line runs (no `||` before it).
    pub always_runs: bool,
}

/// A command line split into simple commands, or `None` when it uses shell constructs this
/// reader does not follow (`$(...)`, backquotes, `if`/`for`/`while`/`case`, functions,
/// subshells, here-documents, redirections of stdin from a command).
pub(crate) fn parse(line: &str) -> Option<Vec<Simple>> {
    let tokens = tokenize(line)?;
    let mut out: Vec<Simple> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    // the operator before the simple command being read
    let mut before = Op::Start;
    let mut ops: Vec<(Op, Op)> = Vec::new();
    let mut commands: Vec<Vec<String>> = Vec::new();
    for token in tokens {
        match token {
            Token::Word(w) => current.push(w),
            Token::Op(op) => {
                if current.is_empty() {
                    // `a && && b`, a leading operator, `;;`: not a plain list
                    return None;
                }
                commands.push(std::mem::take(&mut current));
                ops.push((before, op));
                before = op;
            }
        }
    }
    if !current.is_empty() {
        commands.push(current);
        ops.push((before, Op::End));
    } else if !matches!(before, Op::Start | Op::Semi | Op::Background) {
        // a line that ends in `&&`, `||` or `|` continues on a line CodeBuild never joins
        return None;
    }
    let mut masked_from_here = false;
    for (words, (before, after)) in commands.into_iter().zip(ops) {
        if before == Op::Or {
            masked_from_here = true;
        }
        let (assignments, words) = strip_prefix(words)?;
        if words
            .first()
            .is_some_and(|w| CONSTRUCTS.contains(&w.as_str()) || w.ends_with("()"))
        {
            return None;
        }
        let decides = matches!(before, Op::Start | Op::And)
            && matches!(after, Op::End | Op::And)
            && !masked_from_here;
        out.push(Simple {
            words,
            assignments,
            decides,
            always_runs: !masked_from_here,
        });
    }
    Some(out)
}

/// Shell keywords that open control flow, and builtins that change what later lines run.
const CONSTRUCTS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "function", "{", "}", "(", ")", "!", "[[", "select", "trap", "alias", "eval",
];

/// Programs that run the rest of their words as a command.
const WRAPPERS: &[&str] = &["sudo", "env", "time", "exec", "nice", "nohup", "command"];

fn strip_prefix(words: Vec<String>) -> Option<(Vec<String>, Vec<String>)> {
    let mut assignments = Vec::new();
    let mut rest = words.into_iter().peekable();
    while let Some(w) = rest.peek() {
        if is_assignment(w) {
            assignments.push(rest.next()?);
        } else if WRAPPERS.contains(&w.as_str()) {
            rest.next();
            // wrapper options (`sudo -E`, `env -i`) and env's own assignments
            while rest.peek().is_some_and(|w| w.starts_with('-')) {
                rest.next();
            }
        } else if w == "timeout" {
            rest.next();
            while rest.peek().is_some_and(|w| w.starts_with('-')) {
                rest.next();
            }
            // the duration
            rest.next();
        } else {
            break;
        }
    }
    Some((assignments, rest.collect()))
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Start,
    And,
    Or,
    Pipe,
    Semi,
    Background,
    End,
}

enum Token {
    Word(String),
    Op(Op),
}

fn tokenize(line: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let flush = |word: &mut String, in_word: &mut bool, out: &mut Vec<Token>| {
        if *in_word {
            out.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        ch => word.push(ch),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        '`' => return None,
                        '$' if chars.peek() == Some(&'(') => return None,
                        ch => word.push(ch),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    // a line continuation inside one YAML scalar
                    Some('\n') => {}
                    Some(ch) => word.push(ch),
                    None => {}
                }
            }
            '`' | '(' | ')' | '<' => return None,
            '$' if chars.peek() == Some(&'(') => return None,
            '#' if !in_word => break,
            '&' | '|' | ';' | '\n' => {
                flush(&mut word, &mut in_word, &mut out);
                let op = match (c, chars.peek()) {
                    ('&', Some('&')) => {
                        chars.next();
                        Op::And
                    }
                    ('|', Some('|')) => {
                        chars.next();
                        Op::Or
                    }
                    ('&', _) => Op::Background,
                    ('|', _) => Op::Pipe,
                    _ => Op::Semi,
                };
                out.push(Token::Op(op));
            }
            '>' => {
                // a redirection of output: the target is not a command word
                flush(&mut word, &mut in_word, &mut out);
                while chars.peek().is_some_and(|c| *c == '>' || *c == '&') {
                    chars.next();
                }
                while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                    chars.next();
                }
                while chars
                    .peek()
                    .is_some_and(|c| !c.is_whitespace() && !"&|;".contains(*c))
                {
                    chars.next();
                }
            }
            c if c.is_whitespace() => flush(&mut word, &mut in_word, &mut out),
            c => {
                // `2>&1`: a descriptor number right before `>` belongs to the redirection
                if c.is_ascii_digit() && !in_word && chars.peek() == Some(&'>') {
                    continue;
                }
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut out);
    // a trailing `;` or newline ends the list like the end of the line
    while matches!(out.last(), Some(Token::Op(Op::Semi))) {
        out.pop();
    }
    Some(out)
}

/// The program's file name: `./dependency-check/bin/dependency-check.sh` reads
/// `dependency-check.sh`.
pub(crate) fn program_name(words: &[String]) -> Option<&str> {
    let first = words.first()?;
    Some(first.rsplit('/').next().unwrap_or(first))
}

/// The program is a path into the checked-out source (`./x.sh`, `ci/run.sh`), not a
/// command found on `PATH`.
pub(crate) fn is_path(program: &str) -> bool {
    program.contains('/') && !program.starts_with('/') && !program.starts_with('~')
        || program.starts_with("./")
}

/// The words of a path program's first directory (`./dependency-check/bin/x` reads
/// `dependency-check`), to tell a program the buildspec unpacked from a repository file.
pub(crate) fn first_dir(program: &str) -> Option<&str> {
    let rest = program.trim_start_matches("./");
    let (dir, _) = rest.split_once('/')?;
    Some(dir).filter(|d| !d.is_empty() && *d != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<(Vec<String>, bool, bool)> {
        parse(line)
            .unwrap()
            .into_iter()
            .map(|s| (s.words, s.decides, s.always_runs))
            .collect()
    }

    fn w(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn a_list_joined_by_and_decides() {
        assert_eq!(
            words("cd app && snyk test --severity-threshold=high"),
            vec![
                (w(&["cd", "app"]), true, true),
                (
                    w(&["snyk", "test", "--severity-threshold=high"]),
                    true,
                    true
                )
            ]
        );
    }

    #[test]
    fn masks_are_seen() {
        let s = words("snyk test || true");
        assert!(!s[0].1, "|| masks the status");
        let s = words("trivy fs . | tee report.txt");
        assert!(!s[0].1, "no pipefail: the pipe's status is tee's");
        let s = words("snyk test; echo done");
        assert!(!s[0].1, "`;` makes the last command's status the line's");
        let s = words("false || snyk test");
        assert!(!s[1].2, "runs only when the first fails");
        let s = words("snyk test &");
        assert!(!s[0].1);
    }

    #[test]
    fn quotes_wrappers_and_redirections() {
        assert_eq!(
            words("FOO=1 sudo -E \"dependency-check.sh\" --scan '.' > out.txt 2>&1"),
            vec![(w(&["dependency-check.sh", "--scan", "."]), true, true)]
        );
        assert_eq!(
            words("echo dependency-check")[0].0,
            w(&["echo", "dependency-check"])
        );
        assert_eq!(
            words("timeout 600 osv-scanner -r .")[0].0,
            w(&["osv-scanner", "-r", "."])
        );
    }

    #[test]
    fn unread_constructs_are_opaque() {
        for line in [
            "if true; then snyk test; fi",
            "$(echo snyk) test",
            "`echo snyk` test",
            "(snyk test)",
            "f() { snyk test; }",
            "eval snyk test",
            "snyk test &&",
            "'unclosed",
        ] {
            assert!(parse(line).is_none(), "{line}");
        }
    }

    #[test]
    fn paths_and_names() {
        assert_eq!(
            program_name(&w(&["./dependency-check/bin/dependency-check.sh"])),
            Some("dependency-check.sh")
        );
        assert!(is_path("./ci/run.sh"));
        assert!(is_path("ci/run.sh"));
        assert!(!is_path("/usr/bin/trivy"));
        assert!(!is_path("trivy"));
        assert_eq!(
            first_dir("./dependency-check/bin/x.sh"),
            Some("dependency-check")
        );
        assert_eq!(first_dir("x.sh"), None);
    }
}
