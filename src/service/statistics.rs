//! The statistics analysts read about finished pairs, each with its sample
//! size and a 95% confidence interval, and none at all below
//! [`MIN_FINISHED_PAIRS`]: a correlation over five pairs says next to
//! nothing, and a bare number hides that.
//!
//! - Rank correlation: Spearman's ρ ([`crate::service::reports::spearman`])
//!   with the Fisher z interval and the Bonett–Wright variance for ρ,
//!   `tanh(atanh ρ ± z₀.₉₇₅ · √((1 + ρ²/2) / (n − 3)))` (Bonett & Wright,
//!   Psychometrika 65, 2000).
//! - Shares: the Wilson score interval, which stays inside 0..1 and is
//!   sound at 0 and n successes (unlike the normal approximation).
//!
//! Pure functions, checked against values computed by hand.

use serde::Serialize;
use utoipa::ToSchema;

/// Fewest finished pairs a statistic is computed on: below it the value
/// and interval are null and the note says [`TOO_FEW_PAIRS`].
pub const MIN_FINISHED_PAIRS: usize = 10;

/// The standard normal quantile of 0.975 (two-sided 95%).
pub const Z95: f64 = 1.959_963_984_540_054;

/// The note of a statistic over fewer than [`MIN_FINISHED_PAIRS`] pairs.
pub const TOO_FEW_PAIRS: &str = "too few finished pairs to tell";

/// The note of a correlation when the scores or the growth do not vary.
pub const NO_SPREAD: &str = "the scores or the growth do not vary";

/// A rank correlation over `n` finished pairs.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Correlation {
    /// Spearman's ρ; null below the minimum sample or without spread.
    pub value: Option<f64>,
    /// Lower end of the 95% interval (Fisher z, Bonett–Wright variance).
    pub ci95_low: Option<f64>,
    /// Upper end of the 95% interval.
    pub ci95_high: Option<f64>,
    /// Finished pairs it is computed on.
    pub n: usize,
    /// Why the value is null, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A share of finished pairs: `count` of `n`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Share {
    /// `count / n`; null below the minimum sample.
    pub value: Option<f64>,
    /// Lower end of the 95% interval (Wilson score).
    pub ci95_low: Option<f64>,
    /// Upper end of the 95% interval.
    pub ci95_high: Option<f64>,
    /// The numerator: pairs counted.
    pub count: usize,
    /// The denominator: finished pairs it is over.
    pub n: usize,
    /// Why the value is null, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The 95% interval of a rank correlation `r` over `n` pairs: Fisher's z
/// with the Bonett–Wright variance `(1 + r²/2) / (n − 3)`. `None` for
/// `n ≤ 3` or `r` outside −1..1; `r = ±1` gives `(r, r)`.
pub fn spearman_ci95(r: f64, n: usize) -> Option<(f64, f64)> {
    if n <= 3 || !(-1.0..=1.0).contains(&r) {
        return None;
    }
    let z = r.atanh();
    let half = Z95 * ((1.0 + r * r / 2.0) / (n as f64 - 3.0)).sqrt();
    Some(((z - half).tanh(), (z + half).tanh()))
}

/// The Wilson score 95% interval of `k` successes in `n` trials; `None`
/// when `n` is 0 or `k > n`.
pub fn wilson_ci95(k: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 || k > n {
        return None;
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Spearman's ρ of `x` and `y` (one entry per finished pair) with its
/// interval, or a note saying why not.
pub fn rank_correlation(x: &[f64], y: &[f64]) -> Correlation {
    let n = x.len().min(y.len());
    let empty = |note: &str| Correlation {
        value: None,
        ci95_low: None,
        ci95_high: None,
        n,
        note: Some(note.to_owned()),
    };
    if n < MIN_FINISHED_PAIRS {
        return empty(TOO_FEW_PAIRS);
    }
    let Some(r) = crate::service::reports::spearman(&x[..n], &y[..n]) else {
        return empty(NO_SPREAD);
    };
    let ci = spearman_ci95(r, n);
    Correlation {
        value: Some(r),
        ci95_low: ci.map(|c| c.0),
        ci95_high: ci.map(|c| c.1),
        n,
        note: None,
    }
}

/// The share `count / n` with its interval; null below the minimum.
pub fn share(count: usize, n: usize) -> Share {
    if n < MIN_FINISHED_PAIRS {
        return Share {
            value: None,
            ci95_low: None,
            ci95_high: None,
            count,
            n,
            note: Some(TOO_FEW_PAIRS.to_owned()),
        };
    }
    let ci = wilson_ci95(count, n);
    Share {
        value: Some(count as f64 / n as f64),
        ci95_low: ci.map(|c| c.0),
        ci95_high: ci.map(|c| c.1),
        count,
        n,
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn wilson_matches_the_intervals_computed_by_hand() {
        // 0 of 10: (0, z²/(n + z²)) = (0, 3.841459/13.841459).
        let (lo, hi) = wilson_ci95(0, 10).expect("interval");
        assert!(
            close(lo, 0.0) && close(hi, 0.277_532_799_862_889_2),
            "{lo} {hi}"
        );
        // 5 of 10: 0.5 ± 0.263407, the textbook (0.2366, 0.7634).
        let (lo, hi) = wilson_ci95(5, 10).expect("interval");
        assert!(close(lo, 0.236_593_090_512_564) && close(hi, 0.763_406_909_487_436_1));
        let (lo, hi) = wilson_ci95(3, 12).expect("interval");
        assert!(close(lo, 0.088_941_668_394_054_71) && close(hi, 0.532_305_334_933_565_7));
        let (lo, hi) = wilson_ci95(10, 10).expect("interval");
        assert!(close(lo, 0.722_467_200_137_110_7) && close(hi, 1.0));
        assert_eq!(wilson_ci95(1, 0), None);
        assert_eq!(wilson_ci95(3, 2), None);
    }

    #[test]
    fn the_correlation_interval_follows_fisher_z_with_bonett_wright() {
        // r = 0.5, n = 20: atanh 0.5 = 0.549306, se = √(1.125/17) = 0.257248.
        let (lo, hi) = spearman_ci95(0.5, 20).expect("interval");
        assert!(close(lo, 0.045_078_996_382_231_895) && close(hi, 0.783_164_416_330_118_7));
        let (lo, hi) = spearman_ci95(-0.3, 12).expect("interval");
        assert!(close(lo, -0.751_929_015_076_939_4) && close(hi, 0.343_750_760_427_513_07));
        // Symmetric around 0.
        let (lo, hi) = spearman_ci95(0.0, 10).expect("interval");
        assert!(close(lo, -0.629_626_300_388_329_3) && close(hi, -lo));
        assert_eq!(spearman_ci95(1.0, 12), Some((1.0, 1.0)));
        assert_eq!(spearman_ci95(0.4, 3), None);
    }

    #[test]
    fn five_pairs_are_too_few_to_tell_and_ten_are_enough() {
        let x: Vec<f64> = (0..5).map(f64::from).collect();
        let five = rank_correlation(&x, &x);
        assert_eq!(five.value, None);
        assert_eq!(five.n, 5);
        assert_eq!(five.note.as_deref(), Some(TOO_FEW_PAIRS));
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let ten = rank_correlation(&x, &x);
        assert_eq!(ten.value, Some(1.0));
        assert_eq!((ten.ci95_low, ten.ci95_high), (Some(1.0), Some(1.0)));
        assert_eq!(ten.note, None);
        let flat = rank_correlation(&x, &[2.0; 10]);
        assert_eq!((flat.value, flat.note.as_deref()), (None, Some(NO_SPREAD)));
    }

    #[test]
    fn a_share_keeps_its_counts_and_is_null_below_the_minimum() {
        let small = share(2, 9);
        assert_eq!((small.value, small.count, small.n), (None, 2, 9));
        assert_eq!(small.note.as_deref(), Some(TOO_FEW_PAIRS));
        let s = share(5, 10);
        assert_eq!(s.value, Some(0.5));
        assert!(close(s.ci95_low.expect("low"), 0.236_593_090_512_564));
        assert_eq!(s.note, None);
    }
}
