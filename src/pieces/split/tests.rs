use super::*;

fn texts(source: &str) -> Vec<String> {
    split(source).chunks.into_iter().map(|c| c.text).collect()
}

fn sentence_texts(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    sentences(&chars)
        .into_iter()
        .map(|r| chars[r].iter().collect())
        .collect()
}

/// A chunk that is not its paragraph's last ends where a sentence ends.
fn ends_a_sentence(text: &str) -> bool {
    let trimmed = text.trim_end_matches(CLOSERS);
    trimmed.ends_with(['.', '!', '?', '…']) || trimmed.ends_with(CJK_ENDS)
}

#[test]
fn sentence_ends_and_what_does_not_end_one() {
    assert_eq!(
        sentence_texts(
            "Mr. Smith met Dr. Jones at St. Mary's, No. 5. It cost 3.5 dollars, e.g. a lot, i.e. too much, etc. and more. \"Really?\" she asked. See https://example.com/a.b?c=d for it (really!) Then J. R. R. Tolkien wrote… Fine vs. not."
        ),
        vec![
            "Mr. Smith met Dr. Jones at St. Mary's, No. 5.",
            "It cost 3.5 dollars, e.g. a lot, i.e. too much, etc. and more.",
            "\"Really?\"",
            "she asked.",
            "See https://example.com/a.b?c=d for it (really!)",
            "Then J. R. R. Tolkien wrote…",
            "Fine vs. not.",
        ]
    );
}

#[test]
fn chinese_ends_on_its_own_marks() {
    assert_eq!(
        sentence_texts("你好。今天天气很好！你去吗？我们走吧；“好的。”然后……再见"),
        vec![
            "你好。",
            "今天天气很好！",
            "你去吗？",
            "我们走吧；",
            "“好的。”",
            "然后……",
            "再见"
        ]
    );
}

#[test]
fn chinese_over_the_limit_splits_at_sentence_ends() {
    let sentence = "这是一个很长的中文句子用来测试分割是否正确。";
    let text = sentence.repeat(120);
    let chunks = split(&text).chunks;
    assert!(chunks.len() >= 3);
    for c in &chunks {
        assert!(c.chars() <= MAX_CHARS);
        assert!(c.text.ends_with('。'), "{}", c.text);
    }
    let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(joined, text);
}

#[test]
fn blank_lines_headings_and_pauses_start_chunks() {
    let script =
        split("# Part one\nFirst. Second.\n\nThird. [pause 800ms] Fourth.\n## Two\nFifth.");
    let got: Vec<(&str, Join, Option<&str>)> = script
        .chunks
        .iter()
        .map(|c| (c.text.as_str(), c.join, c.chapter.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Part one", Join::Start, Some("Part one")),
            ("First. Second.", Join::Paragraph, None),
            ("Third.", Join::Paragraph, None),
            ("Fourth.", Join::Pause(800), None),
            ("Two", Join::Paragraph, Some("Two")),
            ("Fifth.", Join::Paragraph, None),
        ]
    );
    assert_eq!(script.chunks[1].sentences, vec![0..6, 7..14]);
}

#[test]
fn a_sentence_over_the_limit_is_cut_at_a_comma_then_a_space() {
    let clause = "word ".repeat(60) + "end,"; // 304 chars
    let long = format!("{} {}", clause.repeat(4), "tail words here.");
    let chunks = texts(&long);
    assert!(chunks.len() >= 2);
    assert!(chunks[0].ends_with(','), "{}", chunks[0]);
    assert!(chunks.iter().all(|c| c.chars().count() <= MAX_CHARS));
    let spaced = "abc ".repeat(400);
    let parts = texts(&spaced);
    assert!(parts.iter().all(|c| c.chars().count() <= MAX_CHARS));
    assert!(parts.iter().all(|c| c.ends_with("abc")));
    let solid = "x".repeat(2500);
    assert_eq!(
        texts(&solid).iter().map(|c| c.len()).collect::<Vec<_>>(),
        vec![1000, 1000, 500]
    );
}

#[test]
fn an_edit_changes_only_its_own_paragraph() {
    let para = |word: &str| {
        (0..30)
            .map(|i| format!("Sentence {i} of the {word} paragraph goes on for a while."))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let before = format!(
        "{}\n\n{}\n\n{}",
        para("first"),
        para("second"),
        para("third")
    );
    let after = before.replacen(
        "Sentence 3 of the second",
        "Sentence three of the second",
        1,
    );
    let a = texts(&before);
    let b = texts(&after);
    assert_eq!(a.len(), b.len());
    let changed: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
}

/// A long real text: the GPL (Debian's base-files ships it).
#[test]
fn a_long_licence_splits_into_whole_sentences_and_loses_nothing() {
    let path = "/usr/share/common-licenses/GPL-3";
    let source = std::fs::read_to_string(path).expect("base-files ships the GPL-3");
    let script = split(&source);
    assert!(script.chunks.len() > 20);
    let spoken: Vec<String> = super::super::markdown::blocks(&source)
        .into_iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t.iter().map(|s| s.ch).collect()),
            _ => None,
        })
        .collect();
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let joined: String = script.chunks.iter().map(|c| squash(&c.text)).collect();
    assert_eq!(joined, squash(&spoken.concat()));
    for (i, c) in script.chunks.iter().enumerate() {
        assert!(c.chars() <= MAX_CHARS, "chunk {i}: {} chars", c.chars());
        let last_of_paragraph = script
            .chunks
            .get(i + 1)
            .is_none_or(|n| n.join != Join::Sentence);
        assert!(
            last_of_paragraph || ends_a_sentence(&c.text),
            "chunk {i} ends inside a sentence: …{}",
            c.text.chars().rev().take(40).collect::<String>()
        );
        let from = &source[c.span.clone()];
        assert!(from.starts_with(c.text.chars().next().unwrap_or(' ')));
        assert!(from.ends_with(c.text.chars().last().unwrap_or(' ')));
    }
}
