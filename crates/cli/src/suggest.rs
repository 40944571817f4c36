//! "Did you mean": the names close to one that was not found, and lists cut to a readable
//! length with a count of the rest.

/// How many names a hint lists before "and N more".
pub const MAX_LISTED: usize = 8;

/// Names longer than this (Kubernetes allows 253 characters) are never measured.
const MAX_MEASURED: usize = 256;

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
            let (n, m) = (wanted.chars().count(), lower.chars().count());
            let allowed = (n.max(3) / 3).max(1);
            let contains = n >= 3 && (lower.contains(&wanted) || wanted.contains(&lower));
            // The distance is at least the difference in length: names too different or too
            // long are not measured (the edit distance is quadratic in their lengths).
            let distance = if n.abs_diff(m) <= allowed && n.max(m) <= MAX_MEASURED {
                strsim::damerau_levenshtein(&wanted, &lower)
            } else {
                n.max(m)
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_names_closest_first() {
        let names = ["web", "web-2", "api", "webb", "website"];
        assert_eq!(closest("wbe", names), ["web"]);
        assert_eq!(closest("webs", names), ["web", "webb", "website"]);
        assert_eq!(closest("WEB", names)[0], "web");
        assert!(closest("x", names).is_empty());
    }

    #[test]
    fn long_or_many_names_cost_little() {
        let long: Vec<String> = (0..20_000)
            .map(|i| format!("{i}-{}", "x".repeat(2_000)))
            .collect();
        let started = std::time::Instant::now();
        assert!(closest("web", long.iter().map(String::as_str)).is_empty());
        assert!(closest(&"y".repeat(5_000), long.iter().map(String::as_str)).is_empty());
        // Unmeasured: no quadratic distance on 2,000-character names (seconds in a debug build).
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn lists_are_cut_with_a_count() {
        let items: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
        assert_eq!(cut_list(&items, 3), "1, 2, 3 and 17 more");
        assert_eq!(cut_list_or(&items[..2], 3), "1 or 2");
        assert_eq!(cut_list_or(&items[..1], 3), "1");
        assert_eq!(cut_list(&[], 3), "");
    }
}
