//! Disjoint-set forest (union–find), shared by the engine's decomposition
//! and the assignment solver's component split.
//!
//! Path halving in [`UnionFind::find`] and union by size in
//! [`UnionFind::union`]: `m` operations on `n` nodes take `O(m · α(n))`
//! (`α` the inverse Ackermann function, at most 4 in practice), memory
//! `2n` words of 32 bits. Which node ends as a set's root depends only on
//! the sequence of unions (ties keep the first argument's root), never on
//! how paths were compressed, so callers that order their output by node
//! index get the same answer whatever the order of their `find` calls.

/// A forest of `n` nodes `0..n`, each starting in its own set.
#[derive(Debug, Clone)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// A forest of `n` singletons. `O(n)`.
    ///
    /// # Panics
    /// If `n > u32::MAX` (nodes are stored as `u32`; every caller bounds
    /// its problem far below that).
    pub(crate) fn new(n: usize) -> Self {
        let top = u32::try_from(n).unwrap_or_else(|_| panic!("union-find of {n} nodes"));
        Self {
            parent: (0..top).collect(),
            size: vec![1; n],
        }
    }

    /// Representative of `a`'s set; halves the path on the way up.
    /// `O(α(n))` amortised.
    pub(crate) fn find(&mut self, mut a: usize) -> usize {
        while self.parent[a] as usize != a {
            let grand = self.parent[self.parent[a] as usize];
            self.parent[a] = grand;
            a = grand as usize;
        }
        a
    }

    /// Current parent of `a`, without compressing: its root when `a` is a
    /// root or was just compressed. `O(1)`.
    pub(crate) fn parent_of(&self, a: usize) -> usize {
        self.parent[a] as usize
    }

    /// Merges the sets of `a` and `b`; the larger set's root stays root
    /// (`a`'s on a tie). `O(α(n))` amortised.
    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        // `a < n ≤ u32::MAX`, checked in `new`.
        self.parent[b] = a as u32;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use super::UnionFind;

    #[test]
    fn unions_join_sets_and_nothing_else() {
        let mut uf = UnionFind::new(6);
        uf.union(0, 1);
        uf.union(2, 3);
        uf.union(1, 3);
        assert_eq!(uf.find(0), uf.find(2));
        assert_ne!(uf.find(0), uf.find(4));
        assert_ne!(uf.find(4), uf.find(5));
    }

    #[test]
    fn the_larger_set_keeps_its_root() {
        let mut uf = UnionFind::new(4);
        uf.union(1, 2);
        let root = uf.find(1);
        uf.union(3, 1);
        assert_eq!(uf.find(3), root);
        // A tie keeps the first argument's root.
        let mut tie = UnionFind::new(2);
        tie.union(1, 0);
        assert_eq!(tie.find(0), 1);
    }

    #[test]
    fn find_leaves_a_node_pointing_at_its_root() {
        let n = 64;
        let mut uf = UnionFind::new(n);
        // Pairs, then pairs of pairs, …: a tree of depth log2(n).
        let mut step = 1;
        while step < n {
            for a in (0..n).step_by(2 * step) {
                uf.union(a, a + step);
            }
            step *= 2;
        }
        let root = uf.find(n - 1);
        assert!((0..n).all(|k| uf.find(k) == root));
        assert_eq!(uf.parent_of(n - 1), root);
    }

    #[test]
    fn an_empty_forest_is_fine() {
        let uf = UnionFind::new(0);
        assert_eq!(uf.parent.len(), 0);
    }
}
