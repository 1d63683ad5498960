//! A small string-keyed map for the client's bookkeeping (running creates, poll loops).
//!
//! A client holds a few entries, hundreds at most; a linear scan over a `Vec` is as fast as a
//! tree at that size and costs a fraction of the code a `BTreeMap` or `HashMap` instance adds
//! to the .wasm (measured: about 8 KB per map type).

pub(crate) struct Registry<T> {
    entries: Vec<(String, T)>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            entries: Vec::new(),
        }
    }
}

impl<T> Registry<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: String, value: T) {
        self.remove(&key);
        self.entries.push((key, value));
    }

    pub fn remove(&mut self, key: &str) -> Option<T> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.swap_remove(index).1)
    }
}
