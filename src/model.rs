//! The one normalized view of a task, whatever the provider.
//!
//! Providers name their states differently (Lensmor items are `unlocked`, a Salesfinity request
//! is `completed` or `not-found`). Callers see one vocabulary, and the provider's own word is kept
//! next to it (`provider_status`) so nothing is hidden.

use crate::kind::TaskKind;

/// The state of the task as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    Pending,
    Processing,
    /// Finished; items may still hold mixed outcomes.
    Completed,
    /// Finished without completing. Items are still reported, whatever state they were left in.
    Failed,
    /// A status string this library does not know. Not terminal: polling goes on until the
    /// deadline, because guessing "finished" could report contacts as lost that are not.
    Unknown,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Processing => "processing",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Unknown => "unknown",
        }
    }

    pub fn is_terminal(self) -> bool {
        match self {
            TaskStatus::Completed | TaskStatus::Failed => true,
            TaskStatus::Pending | TaskStatus::Processing | TaskStatus::Unknown => false,
        }
    }
}

/// The outcome of one contact (a Lensmor personnel record, or the one Salesfinity profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemState {
    Pending,
    Processing,
    /// The provider says unlocked/completed **and** the value is present.
    Delivered,
    /// The provider says this contact failed.
    Failed,
    /// The lookup finished and there is no value to find (Salesfinity `not-found`; free).
    NotFound,
    /// The provider says unlocked/completed but sent no value. Not delivered, and not hidden:
    /// it is reported as its own case so the caller can refresh the record or ask support.
    NoValue,
    /// A status string this library does not know (kept in `provider_status`).
    Unknown,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::Processing => "processing",
            ItemState::Delivered => "delivered",
            ItemState::Failed => "failed",
            ItemState::NotFound => "not-found",
            ItemState::NoValue => "no-value",
            ItemState::Unknown => "unknown",
        }
    }

    /// How much a caller keeps of this outcome: a delivered value is worth most, then "unlocked
    /// without a value", then "nothing to find", then a failure; a running or unknown state is
    /// worth nothing yet. Merging keeps the higher rank, so a delivered email is never replaced
    /// by a failure the provider reports for the same contact, in the same answer or a later one.
    fn rank(self) -> u8 {
        match self {
            ItemState::Delivered => 4,
            ItemState::NoValue => 3,
            ItemState::NotFound => 2,
            ItemState::Failed => 1,
            ItemState::Pending | ItemState::Processing | ItemState::Unknown => 0,
        }
    }

    /// Whether this item has its final outcome.
    pub fn is_settled(self) -> bool {
        match self {
            ItemState::Delivered | ItemState::Failed | ItemState::NotFound | ItemState::NoValue => {
                true
            }
            ItemState::Pending | ItemState::Processing | ItemState::Unknown => false,
        }
    }
}

/// One contact's state in a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Lensmor: the personnel id. Salesfinity: the LinkedIn URL (the input the caller knows).
    pub id: String,
    pub state: ItemState,
    /// The provider's own status word, as received.
    pub provider_status: String,
    /// The email or phone number, only when delivered.
    pub value: Option<String>,
    /// Salesfinity: `work` or `personal`, the type of the email found.
    pub value_type: Option<String>,
    /// The provider's error code for a failed item, when given (e.g. `TASK_FAILED`).
    pub error_code: Option<String>,
    /// Whether the provider charges for this item under its published rules.
    pub chargeable: bool,
}

/// What a task looks like at one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub kind: TaskKind,
    pub task_id: String,
    pub status: TaskStatus,
    /// The provider's own task status word, as received.
    pub provider_status: String,
    pub items: Vec<Item>,
    /// Salesfinity: the `external_id` given when the request was created.
    pub external_id: Option<String>,
    /// What was odd about the last answer (an item without an id, an id listed twice). The
    /// rest of the answer was read; these say what could not be taken at face value.
    pub anomalies: Vec<Anomaly>,
    /// A group's parts, one task each (`group.rs`); empty for a single task.
    pub parts: Vec<PartState>,
}

/// One part of a group: its task, the status last read, and the error it ended with (a
/// part that fails is reported here, without sinking the others).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartState {
    pub task_id: String,
    pub status: TaskStatus,
    pub error: Option<crate::error::Error>,
}

/// Something odd in one answer that did not stop the rest of it from being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// The item at this index of `items` has no usable id (absent, empty, or not a string or
    /// integer), so it cannot be matched to a contact. It is left out of `items`.
    ItemWithoutId { index: usize },
    /// The item at this index of `items` has no status word. It is left out of `items`.
    ItemWithoutStatus { index: usize, id: String },
    /// This id appeared more than once in one answer; the entry that says most was kept.
    RepeatedId { id: String },
}

impl Snapshot {
    /// Whether the task reached a terminal state: no poll after this one is useful.
    pub fn done(&self) -> bool {
        self.status.is_terminal()
    }

    /// Sorts the items into outcomes and prices the task at `price` credits per chargeable
    /// contact (the provider's price: `providers::credits_per_contact`).
    pub fn summary(&self, price: u64) -> Summary {
        let mut summary = Summary::default();
        for item in &self.items {
            let list = match item.state {
                ItemState::Delivered => &mut summary.delivered,
                ItemState::Failed => &mut summary.failed,
                ItemState::NotFound => &mut summary.not_found,
                ItemState::NoValue => &mut summary.no_value,
                ItemState::Pending | ItemState::Processing | ItemState::Unknown => {
                    &mut summary.unresolved
                }
            };
            list.push(item.clone());
            if item.chargeable {
                summary.credits += price;
            }
        }
        summary
    }
}

/// Adds `item` to `items`, or, when its id is already there, keeps the entry that says more:
/// a settled outcome over a running one, a better outcome over a worse one ([`ItemState`]'s
/// rank), the newer over the older otherwise. Returns whether the id was already there.
///
/// The reference that [`merge_items`] is tested against (it merges a whole list in one sort).
#[cfg(test)]
pub(crate) fn merge_item(items: &mut Vec<Item>, item: Item) -> bool {
    match items.iter_mut().find(|known| known.id == item.id) {
        Some(known) => {
            if item.state.rank() >= known.state.rank() {
                *known = item;
            }
            true
        }
        None => {
            items.push(item);
            false
        }
    }
}

/// Merges the entries that share an id, in one sort instead of a scan per entry (a 2,000-item
/// answer made that four million comparisons): each id keeps the entry [`merge_item`] would
/// keep, at the place it first appeared. Returns, for each id listed more than once, the index
/// of its second entry (in no particular order).
pub(crate) fn merge_items(items: &mut Vec<Item>) -> Vec<(usize, String)> {
    let keys: Vec<&str> = items.iter().map(|item| item.id.as_str()).collect();
    let order = crate::order::sorted_positions(&keys);
    let mut dropped = vec![false; items.len()];
    let mut repeated = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let first = order[start];
        let mut end = start + 1;
        // The latest of the best-ranked entries, as one `merge_item` after another keeps.
        let mut best = first;
        while end < order.len() && items[order[end]].id == items[first].id {
            let k = order[end];
            if items[k].state.rank() >= items[best].state.rank() {
                best = k;
            }
            dropped[k] = true;
            end += 1;
        }
        if end > start + 1 {
            items.swap(first, best);
            repeated.push((order[start + 1], items[first].id.clone()));
        }
        start = end;
    }
    let mut index = 0;
    items.retain(|_| {
        index += 1;
        !dropped[index - 1]
    });
    repeated
}

impl Snapshot {
    /// Keeps what an earlier answer said where this one says less. Providers glitch: an item
    /// missing from a later answer keeps its last known state, a settled item (a delivered
    /// email, a failure) never goes back to running, and a delivered value is never replaced by
    /// a worse outcome. A contact once reported is never lost.
    pub fn carry_over(&mut self, previous: &Snapshot) {
        let mut items = previous.items.clone();
        items.append(&mut self.items);
        merge_items(&mut items);
        self.items = items;
    }
}

/// A task's items sorted by outcome, with its price.
///
/// Every item lands in exactly one list: a partial failure never looks like success, because
/// failed and unresolved items are listed, not just counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub delivered: Vec<Item>,
    pub failed: Vec<Item>,
    pub not_found: Vec<Item>,
    pub no_value: Vec<Item>,
    /// Items still pending, processing or in an unknown state (e.g. left behind by a failed task).
    pub unresolved: Vec<Item>,
    /// Credits the task costs under the published rules, counting the items the provider marks
    /// unlocked/completed. An estimate: contacts unlocked before are not charged again, and the
    /// provider's balance stays the source of truth.
    pub credits: u64,
}

/// A finished task: its last snapshot and the sorted outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskResult {
    pub snapshot: Snapshot,
    pub summary: Summary,
}

impl TaskResult {
    pub fn new(snapshot: Snapshot, price: u64) -> TaskResult {
        let summary = snapshot.summary(price);
        TaskResult { snapshot, summary }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, state: ItemState, chargeable: bool) -> Item {
        Item {
            id: id.into(),
            state,
            provider_status: String::new(),
            value: None,
            value_type: None,
            error_code: None,
            chargeable,
        }
    }

    /// `merge_items` keeps what one `merge_item` after another keeps, in the same order, and
    /// names each repeated id at its second entry: 20,000 generated lists, compared.
    #[test]
    fn merge_items_agrees_with_merging_one_by_one() {
        const STATES: [ItemState; 5] = [
            ItemState::Processing,
            ItemState::Failed,
            ItemState::NotFound,
            ItemState::NoValue,
            ItemState::Delivered,
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..20_000 {
            let len = next(12) as usize;
            let list: Vec<Item> = (0..len)
                .map(|i| {
                    let mut it = item(&next(5).to_string(), STATES[next(5) as usize], false);
                    it.provider_status = i.to_string(); // tells equal-looking entries apart
                    it
                })
                .collect();
            let mut expected = Vec::new();
            let mut repeats = Vec::new();
            for (index, entry) in list.iter().enumerate() {
                let id = entry.id.clone();
                if merge_item(&mut expected, entry.clone())
                    && !repeats.iter().any(|(_, r)| *r == id)
                {
                    repeats.push((index, id));
                }
            }
            let mut merged = list.clone();
            let mut named = merge_items(&mut merged);
            named.sort_unstable();
            assert_eq!(named, repeats, "{list:?}");
            assert_eq!(merged, expected, "{list:?}");
        }
    }

    #[test]
    fn summary_lists_every_item_once_and_prices_chargeable_ones() {
        let snapshot = Snapshot {
            kind: TaskKind::LensmorPhone,
            task_id: "1".into(),
            status: TaskStatus::Failed,
            provider_status: "failed".into(),
            items: vec![
                item("a", ItemState::Delivered, true),
                item("b", ItemState::Failed, false),
                item("c", ItemState::NoValue, true),
                item("d", ItemState::Processing, false),
            ],
            external_id: None,
            anomalies: Vec::new(),
            parts: Vec::new(),
        };
        let s = snapshot.summary(150);
        assert_eq!(s.delivered.len(), 1);
        assert_eq!(s.failed.len(), 1);
        assert_eq!(s.no_value.len(), 1);
        assert_eq!(s.unresolved.len(), 1);
        assert_eq!(s.credits, 300);
        assert!(snapshot.done());
    }

    #[test]
    fn merging_never_trades_an_outcome_for_a_worse_one() {
        let mut items = vec![item("a", ItemState::Delivered, true)];
        for worse in [ItemState::Failed, ItemState::NoValue, ItemState::Processing] {
            assert!(merge_item(&mut items, item("a", worse, false)));
            assert_eq!(items[0].state, ItemState::Delivered, "{worse:?}");
        }
        let mut items = vec![item("b", ItemState::Processing, false)];
        merge_item(&mut items, item("b", ItemState::Failed, false));
        merge_item(&mut items, item("b", ItemState::NoValue, true));
        assert_eq!(
            items[0].state,
            ItemState::NoValue,
            "a better outcome replaces a worse one"
        );
        assert!(!merge_item(
            &mut items,
            item("c", ItemState::Pending, false)
        ));
        assert_eq!(items.len(), 2);
    }
}
