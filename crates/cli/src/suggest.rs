//! "Did you mean": the names close to one that was not found, and lists cut to a readable
//! length with a count of the rest.

/// How many names a hint lists before "and N more".
pub const MAX_LISTED: usize = 8;

/// How many "did you mean" candidates a hint offers.
pub const MAX_SUGGESTED: usize = 4;

/// The candidates close to `wanted` (edit distance, case-insensitive), closest first, each
/// once. Close means a few typing mistakes for the length, or one name containing the other.
///
/// ```
/// let names = ["frontend", "backend", "front-end-v2", "db"];
/// assert_eq!(helm_why::suggest::closest("fronted", names), ["frontend"]);
/// assert!(helm_why::suggest::closest("zzz", names).is_empty());
/// ```
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let wanted = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let lower = c.to_lowercase();
            if lower == wanted {
                return Some((0, c));
            }
            let distance = strsim::damerau_levenshtein(&wanted, &lower);
            let allowed = (wanted.chars().count().max(3) / 3).max(1);
            let contains =
                wanted.len() >= 3 && (lower.contains(&wanted) || wanted.contains(&lower));
            (distance <= allowed || contains).then_some((distance, c))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().map(|(_, c)| c).collect()
}

/// `a, b, c and 12 more`: at most `max` items, then a count of the rest.
///
/// ```
/// let items: Vec<String> = (1..=5).map(|i| format!("r{i}")).collect();
/// assert_eq!(helm_why::suggest::cut_list(&items, 3), "r1, r2, r3 and 2 more");
/// assert_eq!(helm_why::suggest::cut_list(&items[..2], 3), "r1, r2");
/// ```
pub fn cut_list(items: &[String], max: usize) -> String {
    let shown = items.len().min(max.max(1));
    let mut out = items[..shown].join(", ");
    if items.len() > shown {
        out.push_str(&format!(" and {} more", items.len() - shown));
    }
    out
}

/// [`cut_list`] ending in "or" (`a, b or c`), for a question.
///
/// ```
/// let items = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
/// assert_eq!(helm_why::suggest::cut_list_or(&items, 8), "a, b or c");
/// ```
pub fn cut_list_or(items: &[String], max: usize) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() && items.len() <= max => {
            format!("{} or {last}", rest.join(", "))
        }
        _ => cut_list(items, max),
    }
}
