//! A logistic regression over standardised features, fitted by `linfa-logistic`
//! (L2-regularised, L-BFGS): what the deployment-risk model and the content forecast
//! share.

use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

/// A fitted model: `sigmoid(intercept + Σ weight · (x − mean) / scale)` is the
/// probability of the positive label.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub means: Vec<f64>,
    pub scales: Vec<f64>,
    pub weights: Vec<f64>,
    pub intercept: f64,
}

pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Fits `rows` (each of the same width) against `labels` (true: positive); linfa's
/// error in words when it does not converge or the data cannot be fitted.
pub fn fit(rows: &[Vec<f64>], labels: &[bool]) -> Result<Fitted, String> {
    let width = rows.first().map_or(0, Vec::len);
    if rows.is_empty() || width == 0 || rows.iter().any(|row| row.len() != width) {
        return Err("no rows, or rows of different widths".into());
    }
    let n = rows.len() as f64;
    let mut means = vec![0.0; width];
    let mut scales = vec![0.0; width];
    for row in rows {
        for (mean, x) in means.iter_mut().zip(row) {
            *mean += x / n;
        }
    }
    for row in rows {
        for ((scale, mean), x) in scales.iter_mut().zip(&means).zip(row) {
            *scale += (x - mean).powi(2) / n;
        }
    }
    for scale in &mut scales {
        *scale = if *scale > 1e-12 { scale.sqrt() } else { 1.0 };
    }
    let standardised: Vec<f64> = rows
        .iter()
        .flat_map(|row| (0..width).map(|i| (row[i] - means[i]) / scales[i]))
        .collect();
    let records = Array2::from_shape_vec((rows.len(), width), standardised)
        .map_err(|error| error.to_string())?;
    let targets: Array1<usize> = labels.iter().map(|label| usize::from(*label)).collect();
    let fitted = LogisticRegression::default()
        .alpha(1.0)
        .max_iterations(200)
        .fit(&Dataset::new(records, targets))
        .map_err(|error| error.to_string())?;
    // linfa gives the probability of the class it labelled positive: the more frequent
    // one. The model here is of label 1.
    let sign = if fitted.labels().pos.class == 1 {
        1.0
    } else {
        -1.0
    };
    Ok(Fitted {
        means,
        scales,
        weights: fitted.params().iter().map(|w| sign * w).collect(),
        intercept: sign * fitted.intercept(),
    })
}
