//! Ranking and snippets, the same on both databases. The database finds the newest
//! documents that match (every word, the last also as a prefix, stemmed as each engine
//! stems); here those candidates are scored with BM25 over their title and the start of
//! their body (the title weighing ten times the body), and each hit's snippet is cut
//! around its matches.
//!
//! A document's words are compared with the query's after English (Porter2) stemming, so
//! that "vouchers" finds and highlights "voucher"; the last query word also matches any
//! word it begins, so that a search box finds as the person types. Every candidate holds
//! every word of the query, so the terms are weighed alike (no inverse document
//! frequency): what orders the candidates is how often the words occur, where (title or
//! body), and in how long a text.

use rust_stemmers::{Algorithm, Stemmer};

/// BM25's term-frequency saturation.
const K1: f64 = 1.2;
/// BM25's length normalisation.
const B: f64 = 0.75;
/// How much more a word in the title counts than one in the body.
const TITLE_WEIGHT: f64 = 10.0;
/// The words of a snippet.
const SNIPPET_WORDS: usize = 16;
/// The longest word a snippet shows whole.
const SNIPPET_WORD_CHARS: usize = 48;

/// The words of a query, ready to be compared with a document's.
pub(super) struct Terms {
    stemmer: Stemmer,
    /// The stem of each word but the last.
    exact: Vec<String>,
    /// The last word as typed, and its stem: a document's word matches it when it
    /// begins with either.
    prefix: (String, String),
}

impl Terms {
    /// `words` are lowercase, letters and digits only, at least one.
    pub(super) fn new(words: &[String]) -> Terms {
        let stemmer = Stemmer::create(Algorithm::English);
        let (last, rest) = words.split_last().expect("a query has a word");
        let exact = rest
            .iter()
            .map(|word| stemmer.stem(word).into_owned())
            .collect();
        let prefix = (last.clone(), stemmer.stem(last).into_owned());
        Terms {
            stemmer,
            exact,
            prefix,
        }
    }

    fn count(&self) -> usize {
        self.exact.len() + 1
    }

    /// Which term a lowercase word matches, if any.
    fn matches(&self, word: &str) -> Option<usize> {
        let (typed, typed_stem) = &self.prefix;
        if word.starts_with(typed.as_str()) {
            return Some(self.exact.len());
        }
        let first = word.chars().next()?;
        // Stemming rewrites a word's end, never its first letter: compare only words
        // that could match.
        let could =
            self.exact.iter().any(|stem| stem.starts_with(first)) || typed_stem.starts_with(first);
        if !could {
            return None;
        }
        let stem = self.stemmer.stem(word);
        if let Some(term) = self.exact.iter().position(|exact| *exact == stem) {
            return Some(term);
        }
        stem.starts_with(typed_stem.as_str())
            .then_some(self.exact.len())
    }
}

/// The letters-and-digits runs of a text, lowercased.
fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|token| !token.is_empty())
        .map(str::to_lowercase)
}

/// How often each term occurs in a text, and the text's length in words.
fn frequencies(terms: &Terms, text: &str) -> (Vec<u32>, usize) {
    let mut counts = vec![0; terms.count()];
    let mut length = 0;
    for token in tokens(text) {
        length += 1;
        if let Some(term) = terms.matches(&token) {
            counts[term] += 1;
        }
    }
    (counts, length)
}

fn saturation(frequency: u32, length: usize, average: f64) -> f64 {
    let frequency = f64::from(frequency);
    frequency * (K1 + 1.0) / (frequency + K1 * (1.0 - B + B * length as f64 / average))
}

/// How often each term occurs in a text, and its length in words.
struct Counted {
    frequencies: Vec<u32>,
    length: usize,
}

impl Counted {
    fn of(terms: &Terms, text: &str) -> Counted {
        let (frequencies, length) = frequencies(terms, text);
        Counted {
            frequencies,
            length,
        }
    }
}

/// The average length of `texts`, at least 1.
fn average<'a>(texts: impl ExactSizeIterator<Item = &'a Counted>) -> f64 {
    let count = texts.len().max(1);
    let total: usize = texts.map(|counted| counted.length).sum();
    (total as f64 / count as f64).max(1.0)
}

/// The BM25 score of each document (title, body), in their order.
pub(super) fn scores(terms: &Terms, documents: &[(&str, &str)]) -> Vec<f64> {
    let counted: Vec<(Counted, Counted)> = documents
        .iter()
        .map(|(title, body)| (Counted::of(terms, title), Counted::of(terms, body)))
        .collect();
    let title_average = average(counted.iter().map(|(title, _)| title));
    let body_average = average(counted.iter().map(|(_, body)| body));
    counted
        .iter()
        .map(|(title, body)| {
            title
                .frequencies
                .iter()
                .zip(&body.frequencies)
                .map(|(in_title, in_body)| {
                    TITLE_WEIGHT * saturation(*in_title, title.length, title_average)
                        + saturation(*in_body, body.length, body_average)
                })
                .sum()
        })
        .collect()
}

/// A word of a snippet, its matching runs between « and », cut when very long.
fn marked(terms: &Terms, word: &str) -> (String, bool) {
    let mut out = String::with_capacity(word.len() + 4);
    let mut hit = false;
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String, hit: &mut bool| {
        if run.is_empty() {
            return;
        }
        if terms.matches(&run.to_lowercase()).is_some() {
            *hit = true;
            out.push('«');
            out.push_str(run);
            out.push('»');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for (n, c) in word.chars().enumerate() {
        if n == SNIPPET_WORD_CHARS {
            flush(&mut run, &mut out, &mut hit);
            out.push('…');
            return (out, hit);
        }
        if c.is_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out, &mut hit);
            out.push(c);
        }
    }
    flush(&mut run, &mut out, &mut hit);
    (out, hit)
}

/// Sixteen words of `body` around the most matches, the matches between « and », with
/// … where the body was cut; the body's first words when nothing in it matches.
pub(super) fn snippet(terms: &Terms, body: &str) -> String {
    let words: Vec<(String, bool)> = body
        .split_whitespace()
        .map(|word| marked(terms, word))
        .collect();
    if words.is_empty() {
        return String::new();
    }
    let width = SNIPPET_WORDS.min(words.len());
    // The window with the most matching words, the first such.
    let mut in_window = words[..width].iter().filter(|(_, hit)| *hit).count();
    let (mut best, mut best_start) = (in_window, 0);
    for start in 1..=words.len() - width {
        in_window += usize::from(words[start + width - 1].1);
        in_window -= usize::from(words[start - 1].1);
        if in_window > best {
            (best, best_start) = (in_window, start);
        }
    }
    // Centre the window on its matches.
    let start = if best == 0 {
        0
    } else {
        let window = best_start..best_start + width;
        let first = window.clone().find(|&n| words[n].1).unwrap_or(best_start);
        let last = window.rev().find(|&n| words[n].1).unwrap_or(first);
        let slack = width - (last - first + 1);
        first.saturating_sub(slack / 2).min(words.len() - width)
    };
    let end = (start + width).min(words.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(
        &words[start..end]
            .iter()
            .map(|(word, _)| word.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    );
    if end < words.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(query: &str) -> Terms {
        Terms::new(&super::super::query_words(query).expect("words"))
    }

    #[test]
    fn words_match_by_stem_and_the_last_as_a_prefix() {
        let terms = terms("vouchers deploy");
        assert_eq!(terms.matches("voucher"), Some(0));
        assert_eq!(terms.matches("vouchers"), Some(0));
        assert_eq!(terms.matches("deployments"), Some(1));
        assert_eq!(terms.matches("deployed"), Some(1));
        assert_eq!(terms.matches("vouch"), None);
        assert_eq!(terms.matches("employ"), None);
        // The last word's stem begins the word's stem: "happy" and "happiness" are both
        // stemmed "happi".
        assert_eq!(self::terms("happy").matches("happiness"), Some(0));
        assert_eq!(self::terms("happy").matches("hat"), None);
        assert_eq!(self::terms("voucherbad").matches("voucherbadge"), Some(0));
    }

    #[test]
    fn the_title_outweighs_the_body_and_more_matches_outrank_fewer() {
        let terms = terms("checkout");
        let scores = scores(
            &terms,
            &[
                ("web production", "the checkout page of the shop"),
                ("checkout", "the page of the shop"),
                ("web production", "checkout checkout checkout and the shop"),
                ("web production", "nothing here"),
            ],
        );
        assert!(scores[1] > scores[2], "{scores:?}");
        assert!(scores[2] > scores[0], "{scores:?}");
        assert_eq!(scores[3], 0.0);
        // A longer body dilutes the same one match.
        let diluted = super::scores(
            &terms,
            &[
                ("a", "checkout page"),
                (
                    "a",
                    "checkout page and many more words that say other things entirely",
                ),
            ],
        );
        assert!(diluted[0] > diluted[1], "{diluted:?}");
    }

    #[test]
    fn a_snippet_centres_on_the_matches() {
        let terms = terms("login fix");
        let body = "one two three four five six seven eight nine ten eleven twelve thirteen \
                    fourteen fifteen sixteen seventeen eighteen the Login page, fixed at last \
                    with twenty more words after it so that the end is cut away from view";
        let snippet = snippet(&terms, body);
        assert!(snippet.starts_with('…'), "{snippet}");
        assert!(snippet.ends_with('…'), "{snippet}");
        assert!(snippet.contains("«Login» page, «fixed»"), "{snippet}");
        assert_eq!(snippet.trim_matches('…').split(' ').count(), 16);
        // Nothing matches in the body: its start.
        assert_eq!(super::snippet(&terms, "short body"), "short body");
        assert_eq!(super::snippet(&terms, ""), "");
        // A long word is cut.
        let long = format!("{} login", "x".repeat(100));
        let snippet = super::snippet(&terms, &long);
        assert!(
            snippet.starts_with(&format!("{}…", "x".repeat(48))),
            "{snippet}"
        );
        assert!(snippet.ends_with("«login»"), "{snippet}");
    }
}
