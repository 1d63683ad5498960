//! Positions of a list in the order of its keys: how duplicates are found without a hash set.
//!
//! One function, not generic, so every caller shares one copy of the sort in the .wasm (each
//! `sort_unstable_by` with its own closure is another ~2.5 KB); a `HashSet` would cost ~10 KB.

/// The positions `0..keys.len()` sorted by key, equal keys by position: O(n log n), and the
/// first of each run of equal keys is the key's first appearance.
pub(crate) fn sorted_positions(keys: &[&str]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by(|&a, &b| keys[a].cmp(keys[b]).then(a.cmp(&b)));
    order
}
