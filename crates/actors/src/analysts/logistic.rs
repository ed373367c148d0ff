//! A logistic regression over standardised features, fitted by `linfa-logistic`
//! (L2-regularised, L-BFGS): what the deployment-risk model and the content forecast
//! share.

use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

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

/// A feature's part in a model's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    /// The feature's value, as a person reads it.
    pub value: f64,
    /// Its effect on the log-odds against the model's reference: positive raises the
    /// probability.
    pub effect: f64,
}

/// A model's parameters, as scoring reads them (the models keep their own serialised
/// shapes).
pub struct Scoring<'a> {
    pub means: &'a [f64],
    pub scales: &'a [f64],
    pub weights: &'a [f64],
    pub intercept: f64,
    /// The standardised features the factors' effects are measured from.
    pub reference: &'a [f64],
}

impl Scoring<'_> {
    fn standardise(&self, vector: &[f64]) -> Vec<f64> {
        vector
            .iter()
            .enumerate()
            .map(|(i, x)| (x - self.means[i]) / self.scales[i])
            .collect()
    }

    /// The probability of the positive label for the raw feature `vector`.
    pub fn probability(&self, vector: &[f64]) -> f64 {
        let x = self.standardise(vector);
        sigmoid(self.intercept + self.weights.iter().zip(&x).map(|(w, x)| w * x).sum::<f64>())
    }

    /// The `keep` features that weigh most for `vector`, largest effect first, each
    /// named from `names` and shown with its value in `shown`.
    pub fn top_factors(
        &self,
        names: &[&str],
        vector: &[f64],
        shown: &[f64],
        keep: usize,
    ) -> Vec<Factor> {
        let x = self.standardise(vector);
        let mut factors: Vec<Factor> = (0..names.len())
            .map(|i| Factor {
                name: names[i].into(),
                value: shown[i],
                effect: self.weights[i] * (x[i] - self.reference[i]),
            })
            .collect();
        factors.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()));
        factors.truncate(keep);
        factors
    }
}

/// Why a model could not be fitted.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error("no rows, or rows of different widths")]
    Rows,
    #[error(transparent)]
    Shape(#[from] ndarray::ShapeError),
    #[error(transparent)]
    Linfa(#[from] linfa_logistic::error::Error),
}

/// Fits `rows` (each of the same width) against `labels` (true: positive).
pub fn fit(rows: &[Vec<f64>], labels: &[bool]) -> Result<Fitted, FitError> {
    let width = rows.first().map_or(0, Vec::len);
    if rows.is_empty() || width == 0 || rows.iter().any(|row| row.len() != width) {
        return Err(FitError::Rows);
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
    let records = Array2::from_shape_vec((rows.len(), width), standardised)?;
    let targets: Array1<usize> = labels.iter().map(|label| usize::from(*label)).collect();
    let fitted = LogisticRegression::default()
        .alpha(1.0)
        .max_iterations(200)
        .fit(&Dataset::new(records, targets))?;
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
