//! The rank-maximal objective: coverage first, then as many mentees with
//! their first choice as possible, then as many with their second, and so
//! on (the mentees' ranks of [`Preferences`]: wishes, then score).
//!
//! Solved exactly as a min-cost flow whose costs are *vectors* compared
//! lexicographically: the edge of rank `k` costs `e₀ − e_k` (zero for a
//! first choice), so every cost is non-negative and, all maximum flows
//! having the same size, the cheapest one has the lexicographically
//! largest signature `(n₀, n₁, …)`. Successive shortest paths (Dijkstra
//! with potentials over the ordered group `ℤ^R`) add one mentee at a time,
//! each time at least cost for the flow so far, until no augmenting path is
//! left — so coverage is maximal and the signature optimal among maximal
//! assignments. No weights `n^(R−k)` are formed, so nothing can overflow
//! (coordinates stay within `±2·rows`).
//!
//! Complexity: `O(m · (V² + E) · R)` for `m` matched mentees, `V = rows +
//! cols`, `E` allowed cells and `R` the longest preference list; memory
//! `O(V · R + rows · cols)`. Fine for a school's component; a component of
//! a thousand mentees with hundreds of candidates each takes seconds.

use crate::matching::stable::Preferences;

/// A vector cost, compared lexicographically.
type Cost = Vec<i64>;

fn add(a: &[i64], b: &[i64]) -> Cost {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

fn sub(a: &[i64], b: &[i64]) -> Cost {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// A rank-maximal assignment among those matching the most mentees;
/// `(mentee, mentor)` pairs sorted by mentee. `capacity.len()` must be
/// `prefs.cols()` (else panics). Ties in the signature go to the first
/// shortest path found (lowest indices), deterministically.
///
/// ```rust
/// use mentor_match::matching::assignment::rank_maximal::rank_maximal;
/// use mentor_match::matching::stable::Preferences;
///
/// // Both mentees want mentor 0 first; mentee 1 has no other choice, so
/// // mentee 0 takes its second choice and both are matched.
/// let prefs = Preferences::new(2, 2, &[1, 1, 1, i64::MIN], &[vec![0, 1], vec![0]], &[]);
/// assert_eq!(rank_maximal(&prefs, &[1, 1]), [(0, 1), (1, 0)]);
/// ```
pub fn rank_maximal(prefs: &Preferences, capacity: &[u32]) -> Vec<(usize, usize)> {
    let (rows, cols) = (prefs.rows(), prefs.cols());
    assert_eq!(capacity.len(), cols, "one capacity per mentor");
    let depth = (0..rows)
        .map(|r| prefs.mentee_list(r).len())
        .max()
        .unwrap_or(0)
        .max(1);
    let zero = vec![0i64; depth];
    let cost = |r: usize, c: usize| -> Cost {
        let mut v = zero.clone();
        if let Some(k) = prefs.mentee_rank(r, c).filter(|&k| k > 0) {
            v[0] += 1;
            v[k] -= 1;
        }
        v
    };
    // Nodes: rows 0..rows, columns rows..rows + cols.
    let n = rows + cols;
    let mut potential: Vec<Cost> = vec![zero.clone(); n];
    let mut mentor_of: Vec<Option<usize>> = vec![None; rows];
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); cols];
    loop {
        // Dijkstra from every free mentee at once, on reduced costs.
        let mut dist: Vec<Option<Cost>> = vec![None; n];
        let mut from: Vec<usize> = vec![usize::MAX; n];
        let mut done = vec![false; n];
        for r in 0..rows {
            if mentor_of[r].is_none() {
                dist[r] = Some(zero.clone());
            }
        }
        let mut target: Option<(usize, Cost)> = None;
        loop {
            let mut best: Option<usize> = None;
            for v in 0..n {
                if let (false, Some(d)) = (done[v], &dist[v])
                    && best.is_none_or(|b| dist[b].as_ref().is_some_and(|db| d < db))
                {
                    best = Some(v);
                }
            }
            let Some(u) = best else { break };
            done[u] = true;
            let du = dist[u].clone().unwrap_or_else(|| zero.clone());
            if u >= rows {
                let c = u - rows;
                if (held[c].len() as u64) < u64::from(capacity[c]) {
                    // The first settled column with room is the nearest.
                    target = Some((c, du));
                    break;
                }
                for &r in &held[c] {
                    // Undo the pair (r, c): cost −(e₀ − e_k).
                    let reduced = add(&sub(&sub(&zero, &cost(r, c)), &potential[r]), &potential[u]);
                    relax(&mut dist, &mut from, &done, r, u, add(&du, &reduced));
                }
            } else {
                for &c in prefs.mentee_list(u) {
                    if mentor_of[u] == Some(c) {
                        continue;
                    }
                    let v = rows + c;
                    let reduced = add(&sub(&cost(u, c), &potential[v]), &potential[u]);
                    relax(&mut dist, &mut from, &done, v, u, add(&du, &reduced));
                }
            }
        }
        let Some((c, dt)) = target else { break };
        for v in 0..n {
            let step = match &dist[v] {
                Some(d) if done[v] && d < &dt => d.clone(),
                _ => dt.clone(),
            };
            potential[v] = add(&potential[v], &step);
        }
        // Augment along the path back to a free mentee.
        let mut col = c;
        loop {
            let r = from[rows + col];
            let previous = mentor_of[r];
            if let Some(p) = previous {
                held[p].retain(|&x| x != r);
            }
            mentor_of[r] = Some(col);
            held[col].push(r);
            match previous {
                Some(p) => col = p,
                None => break,
            }
        }
    }
    mentor_of
        .iter()
        .enumerate()
        .filter_map(|(r, c)| c.map(|c| (r, c)))
        .collect()
}

fn relax(
    dist: &mut [Option<Cost>],
    from: &mut [usize],
    done: &[bool],
    v: usize,
    u: usize,
    d: Cost,
) {
    if done[v] {
        return;
    }
    if dist[v].as_ref().is_none_or(|old| &d < old) {
        dist[v] = Some(d);
        from[v] = u;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::assignment::FORBIDDEN;

    #[test]
    fn first_choices_win_over_a_larger_total_of_seconds() {
        // Mentees 0 and 1 both put mentor 0 first; mentee 2 puts mentor 1
        // first. One place each: the best signature is two first choices.
        let prefs = Preferences::new(3, 2, &[1; 6], &[vec![0, 1], vec![0, 1], vec![1, 0]], &[]);
        let pairs = rank_maximal(&prefs, &[1, 1]);
        let firsts = pairs
            .iter()
            .filter(|&&(r, c)| prefs.mentee_rank(r, c) == Some(0))
            .count();
        assert_eq!((pairs.len(), firsts), (2, 2));
    }

    #[test]
    fn coverage_comes_before_first_choices() {
        let prefs = Preferences::new(2, 2, &[1, 1, 1, FORBIDDEN], &[vec![0, 1], vec![0]], &[]);
        assert_eq!(rank_maximal(&prefs, &[1, 1]), [(0, 1), (1, 0)]);
    }

    #[test]
    fn capacities_are_filled_by_rank() {
        let prefs = Preferences::from_scores(3, 2, &[9, 1, 8, 2, 7, 3]);
        assert_eq!(rank_maximal(&prefs, &[2, 1]), [(0, 0), (1, 0), (2, 1)]);
        assert!(rank_maximal(&prefs, &[0, 0]).is_empty());
    }
}
