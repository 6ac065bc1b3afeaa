//! A bounded cache of upstream closures.
//!
//! A dataset's upstream closure can never change: datasets and their sources are immutable, parents
//! exist before their children, and visibility is fixed at registration. So a paged walk computes its
//! closure once instead of once per page. Downstream closures grow and are never cached.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::domain::lineage::ClosureEntry;

/// Closure nodes kept in all (about 40 bytes each).
pub const DEFAULT_BUDGET: usize = 1_000_000;

type Key = (Uuid, u32);

/// Upstream closures by (root, max_depth), oldest evicted first once the node budget is spent.
pub struct ClosureCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    closures: HashMap<Key, Arc<Vec<ClosureEntry>>>,
    order: VecDeque<Key>,
    nodes: usize,
}

impl ClosureCache {
    /// A cache holding at most `budget` closure nodes.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The cached closure of `root` within `max_depth`, if any.
    pub fn get(&self, root: Uuid, max_depth: u32) -> Option<Arc<Vec<ClosureEntry>>> {
        self.lock().closures.get(&(root, max_depth)).cloned()
    }

    /// Keeps `closure`, evicting the oldest closures to stay within the budget. A closure larger
    /// than the whole budget is not kept.
    pub fn insert(&self, root: Uuid, max_depth: u32, closure: Arc<Vec<ClosureEntry>>) {
        if closure.len() > self.budget {
            return;
        }
        let mut inner = self.lock();
        let key = (root, max_depth);
        if inner.closures.contains_key(&key) {
            return;
        }
        while inner.nodes + closure.len() > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(evicted) = inner.closures.remove(&oldest) {
                inner.nodes -= evicted.len();
            }
        }
        inner.nodes += closure.len();
        inner.order.push_back(key);
        inner.closures.insert(key, closure);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind, still consistent enough to read.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::Visibility;

    fn closure(n: usize) -> Arc<Vec<ClosureEntry>> {
        Arc::new(
            (0..n)
                .map(|i| ClosureEntry {
                    id: Uuid::now_v7(),
                    depth: i as u32,
                    organization_id: Uuid::nil(),
                    visibility: Visibility::Private,
                })
                .collect(),
        )
    }

    #[test]
    fn closures_are_found_by_root_and_depth() {
        let cache = ClosureCache::new(100);
        let root = Uuid::now_v7();
        cache.insert(root, 5, closure(3));
        assert_eq!(cache.get(root, 5).map(|c| c.len()), Some(3));
        assert!(cache.get(root, 6).is_none());
    }

    #[test]
    fn the_oldest_closures_make_room_and_oversized_ones_are_not_kept() {
        let cache = ClosureCache::new(10);
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        cache.insert(a, 1, closure(4));
        cache.insert(b, 1, closure(4));
        cache.insert(c, 1, closure(4));
        assert!(cache.get(a, 1).is_none());
        assert!(cache.get(b, 1).is_some() && cache.get(c, 1).is_some());
        cache.insert(a, 1, closure(11));
        assert!(cache.get(a, 1).is_none());
        assert!(cache.get(b, 1).is_some());
    }
}
