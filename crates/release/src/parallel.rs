//! Independent work split over threads, with the results in order.

/// The threads this machine runs at once (1 when it cannot tell).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `f` run on `items` cut into `threads` contiguous parts, one thread each, and the results
/// in the order of `items`, whatever the thread count. With fewer than two threads or items,
/// `f` runs once, here. A panic in `f` is raised here.
///
/// ```
/// use helm_why_release::parallel::map_chunks;
/// let squares = map_chunks(&[1, 2, 3, 4, 5], 2, |part| part.iter().map(|n| n * n).collect());
/// assert_eq!(squares, [1, 4, 9, 16, 25]);
/// ```
pub fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    if threads < 2 || items.len() < 2 {
        return f(items);
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}
