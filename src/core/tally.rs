//! Answer percentages, computed exactly as the portal's poll widget shows them
//! (vote module JS, `vote-question` / `attached-result` components).
//!
//! * Single choice: largest-remainder rounding over the answers' own vote
//!   counts, so the numbers always sum to exactly 100.
//! * Multiple choice: the server's `PERCENT` (votes × 100 / voters, rounded
//!   half away from zero to 2 decimals, as PHP `round` does), then rounded
//!   half up (`Math.round`) for display.

use crate::error::{Error, Result};
use crate::prelude::*;

/// How to tally one question.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TallyOptions {
    /// Multiple choice (checkbox / multiselect): percentages are per voter
    /// and may sum to more than 100.
    pub multiple: bool,
    /// Ballots that answered the question (the question's COUNTER).
    /// Required when `multiple`.
    pub voters: Option<u64>,
    /// Decimal places of the result: 0, 1 or 2.
    pub decimals: u8,
}

/// Display percentages for `votes`, in the order given. Ties in the
/// single-choice remainder go to the earlier entry.
pub fn percentages(votes: &[u64], options: TallyOptions) -> Result<Vec<f64>> {
    if options.decimals > 2 {
        return Err(Error::invalid_argument("decimals must be 0, 1 or 2"));
    }
    let scale = 10u64.pow(u32::from(options.decimals));
    let mut units = single_choice_units(votes, scale);
    if options.multiple {
        let voters = options.voters.ok_or_else(|| {
            Error::invalid_argument("voters is required for a multiple-choice question")
        })?;
        for (unit, &v) in units.iter_mut().zip(votes) {
            *unit = multiple_choice_units(v, voters, scale);
        }
    }
    let mut shown = Vec::with_capacity(units.len());
    for unit in units {
        shown.push(unit as f64 / scale as f64);
    }
    Ok(shown)
}

/// The unrounded share: `votes × 100 / base`, 0 when `base` is 0.
pub fn exact_percent(votes: u64, base: u64) -> f64 {
    if base == 0 {
        0.0
    } else {
        votes as f64 / base as f64 * 100.0
    }
}

/// Single choice in units of `1/scale` percent: floor each share, then hand
/// the missing units to the largest fractional parts, earliest first.
fn single_choice_units(votes: &[u64], scale: u64) -> Vec<u64> {
    // Summed in f64: exact below 2^53, and no wrap or saturation above it.
    let mut total = 0.0;
    for &v in votes {
        total += v as f64;
    }
    // The widget divides first and multiplies after, in f64; keep that order
    // so that the fractional parts (and hence the tie-breaks) match it.
    let (mut shares, mut units, mut by_fraction) = (Vec::new(), Vec::new(), Vec::new());
    let mut handed_out = 0u64;
    for (index, &v) in votes.iter().enumerate() {
        let share = if total == 0.0 {
            0.0
        } else {
            v as f64 / total * 100.0 * scale as f64
        };
        // Shares are ≥ 0: truncation is the floor.
        shares.push(share);
        units.push(share as u64);
        handed_out = handed_out.saturating_add(share as u64);
        by_fraction.push(index);
    }
    if total == 0.0 {
        return units;
    }
    let remainder = (100 * scale).saturating_sub(handed_out);

    // Largest fraction first; the sort is stable, so equal fractions keep
    // their order, earlier first. Fractions are ≥ 0, so their bits order
    // like their values.
    sort_by_key(&mut by_fraction, |&index| {
        let fraction = shares.get(index).map_or(0.0, |s| s - (*s as u64) as f64);
        u128::from(u64::MAX - fraction.to_bits())
    });
    for &index in by_fraction.iter().take(remainder as usize) {
        if let Some(unit) = units.get_mut(index) {
            *unit += 1;
        }
    }
    units
}

/// Multiple choice in units of `1/scale` percent.
///
/// Integer arithmetic on the exact quotient gives what PHP's
/// `round(votes * 100 / voters, 2)` gives (its pre-rounding makes it round
/// the decimal value, not the binary one), and `Math.round` of a value with
/// two decimals is exact too.
fn multiple_choice_units(votes: u64, voters: u64, scale: u64) -> u64 {
    if voters == 0 {
        return 0;
    }
    // Inconsistent data (more votes than voters) is clamped to 100 %.
    let votes = votes.min(voters);
    // Keep 2 × votes × 10 000 within u64 (u128 division would cost a
    // kilobyte of wasm): beyond 2^48 voters, drop low bits of both.
    let shift = (u64::BITS - voters.leading_zeros()).saturating_sub(48);
    let (votes, voters) = (votes >> shift, (voters >> shift).max(1));
    // Server PERCENT in hundredths of a percent, half away from zero.
    let hundredths = (2 * votes * 10_000 + voters) / (2 * voters);
    // Then half up to the requested step.
    let step = 100 / scale.max(1);
    (hundredths + step / 2) / step
}

/// Sorts `items` by `key`, stable, in n log n. Every list of the crate is
/// sorted through here, so the wasm holds one instantiation of the standard
/// library's sort (on `(key, position)` pairs) instead of one per list
/// type and comparison, each of which costs kilobytes.
pub fn sort_by_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u128) {
    let mut order: Vec<(u128, usize)> = Vec::with_capacity(items.len());
    for (position, item) in items.iter().enumerate() {
        order.push((key(item), position));
    }
    // The position breaks ties: unstable on unique pairs is stable.
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    for (_, position) in order {
        if let Some(item) = slots.get_mut(position).and_then(Option::take) {
            items.push(item);
        }
    }
}

/// `(high, low)` as one sort key: by `high`, then by `low`.
pub fn pair_key(high: u64, low: u64) -> u128 {
    (u128::from(high) << 64) | u128::from(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(votes: &[u64]) -> Vec<f64> {
        percentages(votes, TallyOptions::default()).unwrap()
    }

    fn multiple(votes: &[u64], voters: u64, decimals: u8) -> Vec<f64> {
        let options = TallyOptions {
            multiple: true,
            voters: Some(voters),
            decimals,
        };
        percentages(votes, options).unwrap()
    }

    #[test]
    fn thirds_give_the_spare_point_to_the_first_answer() {
        // Equal fractions: the stable sort keeps the earliest answer first.
        assert_eq!(single(&[1, 1, 1]), vec![34.0, 33.0, 33.0]);
        assert_eq!(single(&[2, 2, 2]), vec![34.0, 33.0, 33.0]);
    }

    #[test]
    fn largest_fraction_wins_over_position() {
        // 1/6 = 16.67, 2/6 = 33.33, 3/6 = 50: the .67 gets the point.
        assert_eq!(single(&[1, 2, 3]), vec![17.0, 33.0, 50.0]);
        // 1/7 = 14.29, 3/7 = 42.86, 3/7 = 42.86: two spare points, 42.86s first.
        assert_eq!(single(&[1, 3, 3]), vec![14.0, 43.0, 43.0]);
    }

    #[test]
    fn ties_between_non_adjacent_answers_go_to_the_earlier_one() {
        // 1/3 each for answers 0 and 2, 1/3 for answer 1: all tie.
        assert_eq!(
            single(&[0, 1, 0, 1, 0, 1]),
            vec![0.0, 34.0, 0.0, 33.0, 0.0, 33.0]
        );
    }

    #[test]
    fn all_zero_votes_are_all_zero() {
        assert_eq!(single(&[0, 0, 0]), vec![0.0, 0.0, 0.0]);
        assert_eq!(multiple(&[0, 0], 0, 0), vec![0.0, 0.0]);
        assert_eq!(single(&[]), Vec::<f64>::new());
    }

    #[test]
    fn single_choice_always_sums_to_100() {
        for votes in [
            &[1u64, 1, 1, 1, 1, 1, 1][..],
            &[7, 3, 9, 1],
            &[1, 0, 0],
            &[13, 17, 19, 23, 29],
        ] {
            for decimals in 0..=2u8 {
                let options = TallyOptions {
                    decimals,
                    ..Default::default()
                };
                let scale = 10f64.powi(i32::from(decimals));
                let sum: f64 = percentages(votes, options)
                    .unwrap()
                    .iter()
                    .map(|p| (p * scale).round())
                    .sum();
                assert_eq!(sum, 100.0 * scale, "{votes:?} at {decimals} decimals");
            }
        }
    }

    #[test]
    fn decimals_apply_the_same_method_at_finer_steps() {
        let one = TallyOptions {
            decimals: 1,
            ..Default::default()
        };
        assert_eq!(
            percentages(&[1, 1, 1], one).unwrap(),
            vec![33.4, 33.3, 33.3]
        );
        let two = TallyOptions {
            decimals: 2,
            ..Default::default()
        };
        assert_eq!(
            percentages(&[1, 2, 3], two).unwrap(),
            vec![16.67, 33.33, 50.0]
        );
    }

    #[test]
    fn multiple_choice_can_sum_over_100() {
        // 3 voters; answers chosen by 2, 2 and 3 of them.
        let shown = multiple(&[2, 2, 3], 3, 0);
        assert_eq!(shown, vec![67.0, 67.0, 100.0]);
        assert!(shown.iter().sum::<f64>() > 100.0);
    }

    #[test]
    fn multiple_choice_rounds_like_php_then_math_round() {
        // 1/8 = 12.5 % -> PHP 12.5 -> Math.round 13 (half up).
        assert_eq!(multiple(&[1], 8, 0), vec![13.0]);
        // 1/32 = 3.125 % -> PHP round(.., 2) = 3.13 (half away from zero).
        assert_eq!(multiple(&[1], 32, 2), vec![3.13]);
        assert_eq!(multiple(&[1], 32, 1), vec![3.1]);
        // 1/200 = 0.5 % -> shown as 1.
        assert_eq!(multiple(&[1], 200, 0), vec![1.0]);
        // 2/3 = 66.666.. -> 66.67 -> 67.
        assert_eq!(multiple(&[2], 3, 2), vec![66.67]);
    }

    #[test]
    fn inconsistent_multiple_choice_is_clamped() {
        assert_eq!(multiple(&[5], 3, 0), vec![100.0]);
    }

    #[test]
    fn huge_counters_neither_overflow_nor_panic() {
        assert_eq!(
            multiple(&[u64::MAX, u64::MAX / 2], u64::MAX, 2),
            vec![100.0, 50.0]
        );
        assert_eq!(single(&[u64::MAX, u64::MAX]), vec![50.0, 50.0]);
    }

    #[test]
    fn bad_options_are_invalid_arguments() {
        let no_voters = TallyOptions {
            multiple: true,
            ..Default::default()
        };
        assert_eq!(
            percentages(&[1], no_voters).unwrap_err().code(),
            "INVALID_ARGUMENT"
        );
        let three = TallyOptions {
            decimals: 3,
            ..Default::default()
        };
        assert_eq!(
            percentages(&[1], three).unwrap_err().code(),
            "INVALID_ARGUMENT"
        );
    }

    #[test]
    fn exact_percent_is_unrounded() {
        assert_eq!(exact_percent(1, 3), 1.0 / 3.0 * 100.0);
        assert_eq!(exact_percent(4, 0), 0.0);
    }
}
