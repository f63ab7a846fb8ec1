//! The block reader against saphyr-parser.

use super::*;
use crate::parse::yaml::full;

/// The block reader takes `text` and agrees with saphyr-parser.
#[track_caller]
fn same(text: &str) {
    let limits = Limits::default();
    let fast = parse(text, &limits);
    let reference = full(text, &limits).expect("valid YAML");
    assert_eq!(fast.as_ref(), Some(&reference), "{text}");
}

/// The block reader gives way on `text`.
#[track_caller]
fn gives_way(text: &str) {
    assert!(parse(text, &Limits::default()).is_none(), "{text}");
}

#[test]
fn block_mappings_sequences_and_scalars() {
    same("a: 1\nb:\nc: x y  \nd: 'it''s'\ne: \"q\\tx\\u00e9\"\n");
    same("# top\n\nk:\n  n: m\n  o:\n    p: q\nl:\n  - a\n  -   b\n  - - c\n    - d\n");
    same("e:\n- q: 1\n  r: 2\n- [a]\n- - z\n  - w\nf: last\n");
    same("- a\n- b: c\n  d: e\n- - x\n");
    same("---\n# c\nversion: 0.2\nphases:\n  build:\n    commands:\n      - make   # go\n");
    same("\"quoted key\": 1\n'single': 2\nplain key: 3\nurl: http://x/y#z\n");
    same("a: b # comment\nc: \"x\"  # comment\nd: 'y' # c\n");
    same("empty:\nnext: 1\nlast:\n");
    same("a:\n  b:\n  c: 1\n");
    same("a:\n  !Join ['', [x, !Ref y]]\nb:\n  plain on the next line\nc:\n  - x\n");
    same("key   : spaced\nnested:\n# between\n  b: 1\n");
    same("  indented: root\n  next: 1\n");
    same("a:\n  - k: v\n    # inside\n    l: [1, {m: n}]\n  - |-\n    text\n");
}

#[test]
fn block_scalars() {
    same("a: |\n  x\n  y\n\nb: >-\n  p\n  q\nc: |+\n  keep\n\n\nd: 1\n");
    same("r: >\n  a\n  b\n\n  c\n   d\n  e\n");
    same("p: |-\n    keep\n      more\n\n\nq: x\n");
    same("s: |\n  line # not a comment\n  #also text\n# a comment\nt: 1\n");
    same("u: |\n  no final break");
    same("u: |+\n  no final break");
    same("u: |+\n  kept\n\n");
    same("- |\n  item\n- >\n  folded\n  item\n");
}

#[test]
fn flow_collections_and_tags() {
    same("h: [a, !Ref b, {k: v}, \"q\", 'r']\ni: {}\nj: []\n");
    same("s: [a,\n  b]\n");
    same("a: !Ref X\nb: !GetAtt A.B.C\nc: !Sub '${A}-b'\nd: !!str 1\n");
    same("a: !Sub |\n  x ${A}\n  y\nc: !If\n  - k\n  - v\nd:\n  - !Sub\n    - x\n");
    same("a: !Join ['', [!Ref A, '-', !Select [0, !GetAZs '']]]\n");
    same("a: {\"k\":1, \"l\": [1, 2]}\n");
}

#[test]
fn the_rest_is_left_to_saphyr() {
    gives_way("a: &x 1\nb: *x\n");
    gives_way("base: {x: 1}\nc:\n  <<: {y: 2}\n");
    gives_way("t: a b\n  c\n");
    gives_way("a: 'two\n  lines'\n");
    gives_way("a: 1\n---\nb: 2\n");
    gives_way("%YAML 1.2\n---\na: 1\n");
    gives_way("a: 1\r\nb: 2\r\n");
    gives_way("a: \u{b}x\n");
    gives_way("a: x\u{7f}\n");
    gives_way("a: \u{feff}x\n");
    gives_way("a: \u{9c}é\n");
    gives_way("a: x\u{85}\n");
    gives_way("a: x\u{a0}\n");
    gives_way("a:\n\t- x\n");
    gives_way("? complex\n: key\n");
    gives_way("a: 1\na: 2\n");
    gives_way("a: [1, 2,]\n");
    gives_way("a: [k: v]\n");
    gives_way("a: |2\n   x\n");
    gives_way("a: |\n\n  x\n");
    gives_way("- \n- x\n");
    gives_way("just a scalar\n");
    gives_way("");
    gives_way("a: b: c\n");
    gives_way("a: 1\n  b: 2\n");
    // saphyr-parser rejects these: the reader must not take them
    gives_way("a:\tb\n");
    gives_way("a: {k:\tv}\n");
    gives_way("\"a\":\tb\n");
    gives_way("a: [build -, x]\n");
    gives_way("-\tx\n");
    gives_way("u: |+\n  kept\n\n ");
    gives_way("a:\n  |\n   x\n");
    gives_way("a: \tx\n");
}

#[test]
fn nesting_past_the_limit_is_left_to_saphyr() {
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert!(parse("a:\n  b:\n    c:\n      d: 1\n", &limits).is_none());
    assert!(parse("a:\n  b: 1\n", &limits).is_some());
}
