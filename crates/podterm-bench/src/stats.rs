//! Medians and percentiles over small samples, and the figure wrapper every measurement returns.

use serde::Serialize;
use std::time::Duration;

/// A measurement's result, or why it could not be taken. Serialized as the figures themselves,
/// or as `{"error": "..."}`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Figure<T> {
    Ok(T),
    Failed { error: String },
}

impl<T> Figure<T> {
    pub fn from_result(r: Result<T, String>) -> Self {
        match r {
            Ok(v) => Figure::Ok(v),
            Err(error) => Figure::Failed { error },
        }
    }

    pub fn ok(&self) -> Option<&T> {
        match self {
            Figure::Ok(v) => Some(v),
            Figure::Failed { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            Figure::Ok(_) => None,
            Figure::Failed { error } => Some(error),
        }
    }
}

/// The value at percentile `p` (0..=100) by nearest rank; `None` for an empty sample.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

/// The median (mean of the two middle values for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// The median of the values that are present, if any.
pub fn median_of(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let v: Option<Vec<f64>> = values.into_iter().collect();
    v.and_then(|v| median(&v))
}

/// Megabytes (10^6 bytes) per second.
pub fn mb_per_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64().max(1e-9)
}

/// Latency figures over a sample of round trips, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub warmup_discarded: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    /// Every kept sample, in order, in milliseconds.
    pub raw_ms: Vec<f64>,
}

impl Latency {
    pub fn from_samples(raw: Vec<Duration>, warmup: usize) -> Result<Self, String> {
        let raw_ms: Vec<f64> = raw
            .iter()
            .skip(warmup)
            .map(|d| d.as_secs_f64() * 1e3)
            .collect();
        let pick = |p| percentile(&raw_ms, p).ok_or("no samples after the warm-up");
        Ok(Latency {
            samples: raw_ms.len(),
            warmup_discarded: warmup.min(raw.len()),
            p50_ms: pick(50.0)?,
            p90_ms: pick(90.0)?,
            p99_ms: pick(99.0)?,
            max_ms: pick(100.0)?,
            mean_ms: raw_ms.iter().sum::<f64>() / raw_ms.len() as f64,
            raw_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median_of([Some(1.0), None]), None);
    }
}
