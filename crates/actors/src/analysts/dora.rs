//! The four DORA keys of software delivery, computed from an organization's history over
//! a window, overall and per project, each with the performance band it falls in.
//!
//! - **Deployment frequency**: production deployments that became ready, per day.
//! - **Lead time for changes**: median time from a pull request opened to the production
//!   deployment that contains it. A merged pull request is contained in the first ready
//!   production deployment at or after its merge whose commit is the pull request's head
//!   commit or, failing that, whose project has the repository's name.
//! - **Change failure rate**: the share of finished production deployments (ready or
//!   error) that failed: the build failed (`error`), an incident was opened for it, it
//!   was rolled back, or the next deployment of its project within a day was a hotfix or
//!   a revert.
//! - **Time to restore**: median time from a failed deployment to service restored — the
//!   incident's own time to restore when it recorded one, otherwise the next ready
//!   production deployment of the project that did not fail.
//!
//! The bands are those of the DORA 2023 State of DevOps report: deployment frequency
//! elite ≥ 1 a day, high ≥ 1 a week, medium ≥ 1 a month; lead time elite < 1 day, high
//! < 1 week, medium < 1 month; change failure rate elite ≤ 5 %, high ≤ 10 %, medium ≤
//! 15 %; time to restore elite < 1 hour, high < 1 day, medium < 1 week; otherwise low.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use companyos_store::{DeploymentId, DeploymentState, PullRequestId};
use serde::{Deserialize, Serialize};

/// One production deployment, as the keys need it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentFact {
    pub id: DeploymentId,
    pub project: String,
    pub state: DeploymentState,
    pub commit_sha: Option<String>,
    pub branch: Option<String>,
    pub commit_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
}

impl DeploymentFact {
    /// When it served production: ready, else created.
    fn live_at(&self) -> DateTime<Utc> {
        self.ready_at.unwrap_or(self.created_at)
    }

    /// A hotfix or a revert: its branch or its commit message says so.
    fn is_fix(&self) -> bool {
        let branch = self
            .branch
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let message = self
            .commit_message
            .as_deref()
            .unwrap_or_default()
            .trim_start()
            .to_ascii_lowercase();
        branch.starts_with("hotfix")
            || branch.starts_with("revert-")
            || message.starts_with("hotfix")
            || message.starts_with("revert")
    }
}

/// One merged pull request.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeFact {
    pub pull_request: PullRequestId,
    /// `owner/name`.
    pub repository: String,
    pub repository_name: String,
    pub head_sha: Option<String>,
    pub opened_at: Option<DateTime<Utc>>,
    pub merged_at: DateTime<Utc>,
}

/// An incident opened for a deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentFact {
    pub deployment: Option<DeploymentId>,
    pub opened_at: DateTime<Utc>,
    /// The incident's own time to restore, when it was resolved.
    pub restored_after: Option<Duration>,
}

/// What the keys are computed from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeliveryHistory {
    /// Production deployments created in the window.
    pub deployments: Vec<DeploymentFact>,
    /// Pull requests merged in the window or shortly before it.
    pub changes: Vec<ChangeFact>,
    pub incidents: Vec<IncidentFact>,
    /// Deployments rolled back from.
    pub rolled_back: Vec<DeploymentId>,
}

/// A DORA performance band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Elite => "elite",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }

    fn deployment_frequency(per_day: f64) -> Band {
        if per_day >= 1.0 {
            Band::Elite
        } else if per_day >= 1.0 / 7.0 {
            Band::High
        } else if per_day >= 1.0 / 30.0 {
            Band::Medium
        } else {
            Band::Low
        }
    }

    fn lead_time(hours: f64) -> Band {
        Band::below(hours, [24.0, 24.0 * 7.0, 24.0 * 30.0])
    }

    fn time_to_restore(hours: f64) -> Band {
        Band::below(hours, [1.0, 24.0, 24.0 * 7.0])
    }

    fn change_failure_rate(percent: f64) -> Band {
        if percent <= 5.0 {
            Band::Elite
        } else if percent <= 10.0 {
            Band::High
        } else if percent <= 15.0 {
            Band::Medium
        } else {
            Band::Low
        }
    }

    fn below(value: f64, [elite, high, medium]: [f64; 3]) -> Band {
        if value < elite {
            Band::Elite
        } else if value < high {
            Band::High
        } else if value < medium {
            Band::Medium
        } else {
            Band::Low
        }
    }
}

/// One key's value and band.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Key {
    pub value: f64,
    pub band: Band,
}

/// The four keys of one scope, with the counts they come from. A key without data (no
/// finished deployment, no change deployed, no failure restored) is `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DoraKeys {
    /// Ready production deployments per day.
    pub deployment_frequency: Key,
    /// Median hours from a pull request opened to its production deployment.
    pub lead_time_hours: Option<Key>,
    /// Failed production deployments, percent of finished ones.
    pub change_failure_rate: Option<Key>,
    /// Median hours from a failed deployment to service restored.
    pub time_to_restore_hours: Option<Key>,
    /// Ready production deployments.
    pub deployments: u32,
    /// Finished production deployments that failed.
    pub failures: u32,
    /// Merged pull requests found in a production deployment.
    pub changes_deployed: u32,
    /// Failures restored.
    pub restored: u32,
}

/// The keys of one project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectKeys {
    pub project: String,
    #[serde(flatten)]
    pub keys: DoraKeys,
}

/// The four keys of a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DoraReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub overall: DoraKeys,
    /// Per project, by name.
    pub projects: Vec<ProjectKeys>,
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

fn hours(duration: Duration) -> f64 {
    duration.num_milliseconds() as f64 / 3_600_000.0
}

/// How far apart a deployment and the hotfix after it may be for the hotfix to mark it
/// failed.
const FIX_WITHIN: Duration = Duration::hours(24);

/// Everything per deployment, computed once for all scopes.
struct Reading<'a> {
    failed: BTreeSet<DeploymentId>,
    /// Restore time of each restored failure.
    restore: BTreeMap<DeploymentId, f64>,
    /// Lead time of each change found deployed, by the deployment that contains it.
    lead: Vec<(&'a DeploymentFact, f64)>,
}

fn read(history: &DeliveryHistory) -> Reading<'_> {
    let deployments = &history.deployments;
    let mut failed: BTreeSet<DeploymentId> = deployments
        .iter()
        .filter(|d| d.state == DeploymentState::Error)
        .map(|d| d.id)
        .collect();
    failed.extend(history.incidents.iter().filter_map(|i| i.deployment));
    failed.extend(history.rolled_back.iter().copied());
    // The next deployment of the same project within a day is a hotfix or a revert.
    for (i, deployment) in deployments.iter().enumerate() {
        if deployment.state != DeploymentState::Ready {
            continue;
        }
        let next = deployments[i + 1..].iter().find(|later| {
            later.project == deployment.project
                && matches!(later.state, DeploymentState::Ready | DeploymentState::Error)
        });
        if let Some(next) = next
            && next.is_fix()
            && next.created_at - deployment.live_at() <= FIX_WITHIN
        {
            failed.insert(deployment.id);
        }
    }

    let mut restore = BTreeMap::new();
    for deployment in deployments.iter().filter(|d| failed.contains(&d.id)) {
        let recorded = history
            .incidents
            .iter()
            .filter(|i| i.deployment == Some(deployment.id))
            .find_map(|i| i.restored_after);
        let after = recorded.or_else(|| {
            deployments
                .iter()
                .filter(|later| {
                    later.project == deployment.project
                        && later.state == DeploymentState::Ready
                        && !failed.contains(&later.id)
                        && later.created_at > deployment.created_at
                })
                .map(|later| later.live_at() - deployment.created_at)
                .min()
        });
        if let Some(after) = after {
            restore.insert(deployment.id, hours(after).max(0.0));
        }
    }

    let mut ready: Vec<&DeploymentFact> = deployments
        .iter()
        .filter(|d| d.state == DeploymentState::Ready)
        .collect();
    ready.sort_by_key(|d| (d.live_at(), d.id));
    let mut lead = Vec::new();
    for change in &history.changes {
        let by_commit = ready.iter().find(|d| {
            d.live_at() >= change.merged_at
                && change.head_sha.is_some()
                && d.commit_sha == change.head_sha
        });
        let by_project = || {
            ready.iter().find(|d| {
                d.live_at() >= change.merged_at
                    && (d.project.eq_ignore_ascii_case(&change.repository_name)
                        || d.project.eq_ignore_ascii_case(&change.repository))
            })
        };
        if let Some(deployment) = by_commit.or_else(by_project) {
            let start = change.opened_at.unwrap_or(change.merged_at);
            lead.push((*deployment, hours(deployment.live_at() - start).max(0.0)));
        }
    }
    Reading {
        failed,
        restore,
        lead,
    }
}

/// The deployments of `history` that failed, as the change failure rate counts them.
pub fn failed_deployments(history: &DeliveryHistory) -> BTreeSet<DeploymentId> {
    read(history).failed
}

fn keys(
    reading: &Reading<'_>,
    deployments: &[&DeploymentFact],
    in_scope: impl Fn(&DeploymentFact) -> bool,
    days: f64,
) -> DoraKeys {
    let ready = deployments
        .iter()
        .filter(|d| d.state == DeploymentState::Ready)
        .count();
    let finished: Vec<&&DeploymentFact> = deployments
        .iter()
        .filter(|d| matches!(d.state, DeploymentState::Ready | DeploymentState::Error))
        .collect();
    let failures = finished
        .iter()
        .filter(|d| reading.failed.contains(&d.id))
        .count();
    let mut restores: Vec<f64> = finished
        .iter()
        .filter_map(|d| reading.restore.get(&d.id).copied())
        .collect();
    let mut leads: Vec<f64> = reading
        .lead
        .iter()
        .filter(|(deployment, _)| in_scope(deployment))
        .map(|(_, hours)| *hours)
        .collect();
    let per_day = ready as f64 / days;
    let rate = (!finished.is_empty()).then(|| 100.0 * failures as f64 / finished.len() as f64);
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    DoraKeys {
        deployment_frequency: Key {
            value: per_day,
            band: Band::deployment_frequency(per_day),
        },
        lead_time_hours: median(&mut leads).map(|value| Key {
            value,
            band: Band::lead_time(value),
        }),
        change_failure_rate: rate.map(|value| Key {
            value,
            band: Band::change_failure_rate(value),
        }),
        time_to_restore_hours: median(&mut restores).map(|value| Key {
            value,
            band: Band::time_to_restore(value),
        }),
        deployments: count(ready),
        failures: count(failures),
        changes_deployed: count(leads.len()),
        restored: count(restores.len()),
    }
}

/// The four keys of `[from, to)`, overall and per project.
pub fn compute(history: &DeliveryHistory, from: DateTime<Utc>, to: DateTime<Utc>) -> DoraReport {
    let days = (hours(to - from) / 24.0).max(1.0 / 24.0);
    let reading = read(history);
    let in_window: Vec<&DeploymentFact> = history
        .deployments
        .iter()
        .filter(|d| d.created_at >= from && d.created_at < to)
        .collect();
    let window_ids: BTreeSet<DeploymentId> = in_window.iter().map(|d| d.id).collect();
    let overall = keys(&reading, &in_window, |d| window_ids.contains(&d.id), days);
    let projects: BTreeSet<&str> = in_window.iter().map(|d| d.project.as_str()).collect();
    let projects = projects
        .into_iter()
        .map(|project| {
            let own: Vec<&DeploymentFact> = in_window
                .iter()
                .copied()
                .filter(|d| d.project == project)
                .collect();
            ProjectKeys {
                project: project.to_owned(),
                keys: keys(
                    &reading,
                    &own,
                    |d| d.project == project && window_ids.contains(&d.id),
                    days,
                ),
            }
        })
        .collect();
    DoraReport {
        from,
        to,
        overall,
        projects,
    }
}

#[cfg(test)]
mod tests {
    //! Every key computed by hand on a fixed ten-day history of two projects.

    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1 + day, hour, minute, 0)
            .single()
            .expect("a valid time")
    }

    struct Deploy {
        project: &'static str,
        state: DeploymentState,
        sha: Option<&'static str>,
        branch: Option<&'static str>,
        created: DateTime<Utc>,
        ready: Option<DateTime<Utc>>,
    }

    fn fact(d: Deploy) -> DeploymentFact {
        DeploymentFact {
            id: DeploymentId::new(),
            project: d.project.into(),
            state: d.state,
            commit_sha: d.sha.map(Into::into),
            branch: d.branch.map(Into::into),
            commit_message: None,
            created_at: d.created,
            ready_at: d.ready,
        }
    }

    fn ready(
        project: &'static str,
        sha: &'static str,
        created: DateTime<Utc>,
        live: DateTime<Utc>,
    ) -> DeploymentFact {
        fact(Deploy {
            project,
            state: DeploymentState::Ready,
            sha: Some(sha),
            branch: Some("main"),
            created,
            ready: Some(live),
        })
    }

    fn change(
        repository: &str,
        sha: Option<&str>,
        opened: DateTime<Utc>,
        merged: DateTime<Utc>,
    ) -> ChangeFact {
        ChangeFact {
            pull_request: PullRequestId::new(),
            repository: format!("acme/{repository}"),
            repository_name: repository.into(),
            head_sha: sha.map(Into::into),
            opened_at: Some(opened),
            merged_at: merged,
        }
    }

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-9
    }

    #[test]
    fn every_key_matches_the_hand_computed_figures() {
        // web: W2's build fails (restored by W3 after 2 h); W4 is followed by a hotfix
        // (W5) within the day (restored by it after 2 h); W6 was canceled.
        let w1 = ready("web", "a1", at(0, 10, 0), at(0, 10, 10));
        let w2 = fact(Deploy {
            project: "web",
            state: DeploymentState::Error,
            sha: Some("a2"),
            branch: Some("main"),
            created: at(1, 9, 0),
            ready: None,
        });
        let w3 = ready("web", "a3", at(1, 10, 30), at(1, 11, 0));
        let w4 = ready("web", "a4", at(3, 12, 0), at(3, 12, 20));
        let w5 = fact(Deploy {
            project: "web",
            state: DeploymentState::Ready,
            sha: Some("a5"),
            branch: Some("hotfix/login"),
            created: at(3, 13, 40),
            ready: Some(at(3, 14, 0)),
        });
        let w6 = fact(Deploy {
            project: "web",
            state: DeploymentState::Canceled,
            sha: None,
            branch: Some("main"),
            created: at(4, 9, 0),
            ready: None,
        });
        // api: A1 had an incident that restored service in 30 minutes; A2 was rolled
        // back and A3 restored it 24.5 h after A2 was created.
        let a1 = ready("api", "b1", at(2, 8, 0), at(2, 8, 30));
        let a2 = ready("api", "b2", at(5, 16, 0), at(5, 16, 15));
        let a3 = ready("api", "b3", at(6, 16, 0), at(6, 16, 30));
        let a4 = ready("api", "b4", at(9, 10, 0), at(9, 10, 5));
        let history = DeliveryHistory {
            deployments: vec![
                w1.clone(),
                w2.clone(),
                w3.clone(),
                a1.clone(),
                w4.clone(),
                w5.clone(),
                w6,
                a2.clone(),
                a3,
                a4,
            ],
            changes: vec![
                // By its commit: in W3 (day 1 11:00), opened day 0 09:00 → 26 h.
                change("web", Some("a3"), at(0, 9, 0), at(1, 10, 0)),
                // No commit match; by project: W4 (day 3 12:20), opened 08:00 → 4 h 20 m.
                change("web", Some("zz"), at(3, 8, 0), at(3, 11, 0)),
                // In A2 (day 5 16:15), opened day 4 16:00 → 24.25 h.
                change("api", Some("b2"), at(4, 16, 0), at(5, 15, 0)),
                // Merged after the last api deployment: not deployed.
                change("api", None, at(9, 11, 0), at(9, 12, 0)),
                // No project of that name: not deployed.
                change("docs", None, at(1, 0, 0), at(2, 0, 0)),
            ],
            incidents: vec![IncidentFact {
                deployment: Some(a1.id),
                opened_at: at(2, 9, 0),
                restored_after: Some(Duration::minutes(30)),
            }],
            rolled_back: vec![a2.id],
        };
        let report = compute(&history, at(0, 0, 0), at(10, 0, 0));

        // Overall: 8 ready in 10 days; 4 of 9 finished failed (W2, W4, A1, A2);
        // restores 2, 2, 0.5, 24.5 h → median 2; leads 26, 4.33, 24.25 → median 24.25.
        let overall = &report.overall;
        assert_eq!(overall.deployments, 8);
        assert!(close(overall.deployment_frequency.value, 0.8));
        assert_eq!(overall.deployment_frequency.band, Band::High);
        assert_eq!(overall.failures, 4);
        let rate = overall.change_failure_rate.expect("a rate");
        assert!(close(rate.value, 400.0 / 9.0), "{}", rate.value);
        assert_eq!(rate.band, Band::Low);
        assert_eq!(overall.restored, 4);
        let restore = overall.time_to_restore_hours.expect("a restore time");
        assert!(close(restore.value, 2.0), "{}", restore.value);
        assert_eq!(restore.band, Band::High);
        assert_eq!(overall.changes_deployed, 3);
        let lead = overall.lead_time_hours.expect("a lead time");
        assert!(close(lead.value, 24.25), "{}", lead.value);
        assert_eq!(lead.band, Band::High);

        // Per project, by name: api, then web.
        let names: Vec<&str> = report.projects.iter().map(|p| p.project.as_str()).collect();
        assert_eq!(names, ["api", "web"]);
        let api = &report.projects[0].keys;
        assert_eq!(
            (api.deployments, api.failures, api.changes_deployed),
            (4, 2, 1)
        );
        assert!(close(api.change_failure_rate.expect("a rate").value, 50.0));
        assert!(close(
            api.time_to_restore_hours.expect("a restore").value,
            12.5
        ));
        assert!(close(api.lead_time_hours.expect("a lead").value, 24.25));
        let web = &report.projects[1].keys;
        assert_eq!(
            (web.deployments, web.failures, web.changes_deployed),
            (4, 2, 2)
        );
        assert!(close(web.deployment_frequency.value, 0.4));
        assert!(close(web.change_failure_rate.expect("a rate").value, 40.0));
        assert!(close(
            web.time_to_restore_hours.expect("a restore").value,
            2.0
        ));
        let web_lead = web.lead_time_hours.expect("a lead");
        assert!(
            close(web_lead.value, (26.0 + 13.0 / 3.0) / 2.0),
            "{}",
            web_lead.value
        );
        assert_eq!(web_lead.band, Band::Elite);
        // W1 and W3 did not fail; W5, the hotfix, neither.
        let reading = read(&history);
        assert!(!reading.failed.contains(&w1.id));
        assert!(!reading.failed.contains(&w3.id));
        assert!(!reading.failed.contains(&w5.id));
        assert!(reading.failed.contains(&w2.id) && reading.failed.contains(&w4.id));
    }

    #[test]
    fn an_empty_window_has_a_frequency_and_no_other_key() {
        let report = compute(&DeliveryHistory::default(), at(0, 0, 0), at(7, 0, 0));
        assert_eq!(report.overall.deployment_frequency.value, 0.0);
        assert_eq!(report.overall.deployment_frequency.band, Band::Low);
        assert_eq!(report.overall.lead_time_hours, None);
        assert_eq!(report.overall.change_failure_rate, None);
        assert_eq!(report.overall.time_to_restore_hours, None);
        assert!(report.projects.is_empty());
    }

    #[test]
    fn the_bands_follow_the_dora_thresholds() {
        assert_eq!(Band::deployment_frequency(3.0), Band::Elite);
        assert_eq!(Band::deployment_frequency(0.2), Band::High);
        assert_eq!(Band::deployment_frequency(0.05), Band::Medium);
        assert_eq!(Band::deployment_frequency(0.01), Band::Low);
        assert_eq!(Band::lead_time(23.9), Band::Elite);
        assert_eq!(Band::lead_time(24.0), Band::High);
        assert_eq!(Band::lead_time(200.0), Band::Medium);
        assert_eq!(Band::lead_time(800.0), Band::Low);
        assert_eq!(Band::change_failure_rate(5.0), Band::Elite);
        assert_eq!(Band::change_failure_rate(7.0), Band::High);
        assert_eq!(Band::change_failure_rate(15.0), Band::Medium);
        assert_eq!(Band::change_failure_rate(15.1), Band::Low);
        assert_eq!(Band::time_to_restore(0.5), Band::Elite);
        assert_eq!(Band::time_to_restore(5.0), Band::High);
        assert_eq!(Band::time_to_restore(100.0), Band::Medium);
        assert_eq!(Band::time_to_restore(200.0), Band::Low);
    }
}
