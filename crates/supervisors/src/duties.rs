//! Separation of duties: which work a person may ask for by hand, and which they may
//! approve. Pure rules, read by [`crate::Runtime::submit_by`] and
//! [`crate::Runtime::approve`]:
//! - work that reaches outside (a posted review, a rollback, a deploy, a published post)
//!   always waits for a person's approval when someone asks for it by hand;
//! - rollbacks are asked for and approved by an admin or owner only;
//! - the person who asked for a task does not approve it, unless the organization allows
//!   it (`settings.allow_self_approval`, for a team of one).

use companyos_actors::names;
use companyos_store::{AgentTask, MemberRole, NewTask, UserId};
use serde_json::Value;

/// A person acting in an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Person {
    pub user: UserId,
    pub role: MemberRole,
}

impl Person {
    fn is_admin(self) -> bool {
        matches!(self.role, MemberRole::Owner | MemberRole::Admin)
    }
}

/// Task types that act outside CompanyOS in the organization's name: never run without
/// a person's approval when a person asked for them.
pub const GATED: [&str; 4] = [
    names::POST_REVIEW,
    names::ROLLBACK,
    names::DEPLOY,
    names::PUBLISH_POST,
];

/// Task types only an admin or owner asks for and approves.
pub const ADMINS_ONLY: [&str; 1] = [names::ROLLBACK];

/// Why a person may not do what they tried.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{task_type} tasks need an admin or owner, and your role is {role}: ask one to request or approve it"
    )]
    AdminsOnly { task_type: String, role: MemberRole },
    #[error(
        "you asked for this task: another member must approve it (an admin can allow self-approval for a team of one in the organization's settings)"
    )]
    OwnRequest,
}

/// Checks a task a person asks for by hand and gates it where its type says.
pub fn request(task: &mut NewTask, person: Person) -> Result<(), Refusal> {
    if ADMINS_ONLY.contains(&task.task_type.as_str()) && !person.is_admin() {
        return Err(Refusal::AdminsOnly {
            task_type: task.task_type.clone(),
            role: person.role,
        });
    }
    if GATED.contains(&task.task_type.as_str()) {
        task.requires_human_approval = true;
    }
    task.requested_by = Some(person.user);
    Ok(())
}

/// Whether `person` may approve `task`, in an organization whose settings are
/// `settings`.
pub fn approve(task: &AgentTask, person: Person, settings: &Value) -> Result<(), Refusal> {
    if ADMINS_ONLY.contains(&task.task_type.as_str()) && !person.is_admin() {
        return Err(Refusal::AdminsOnly {
            task_type: task.task_type.clone(),
            role: person.role,
        });
    }
    if task.requested_by == Some(person.user) && !allows_self_approval(settings) {
        return Err(Refusal::OwnRequest);
    }
    Ok(())
}

/// The organization setting that lets a person approve what they asked for.
pub fn allows_self_approval(settings: &Value) -> bool {
    settings
        .get("allow_self_approval")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use companyos_store::{AgentId, OrgId};

    fn person(role: MemberRole) -> Person {
        Person {
            user: UserId(uuid::Uuid::from_u128(7)),
            role,
        }
    }

    fn task(task_type: &str) -> NewTask {
        NewTask::new(
            OrgId(uuid::Uuid::from_u128(1)),
            AgentId(uuid::Uuid::from_u128(2)),
            task_type,
        )
    }

    #[test]
    fn work_that_acts_outside_always_waits_when_asked_for_by_hand() {
        for task_type in GATED {
            let mut asked = task(task_type);
            asked.requires_human_approval = false;
            request(&mut asked, person(MemberRole::Owner)).expect("an owner may ask");
            assert!(asked.requires_human_approval, "{task_type}");
        }
        let mut check = task(names::CHECK_DEPLOYMENT);
        request(&mut check, person(MemberRole::Member)).expect("a member may ask");
        assert!(!check.requires_human_approval);
        assert_eq!(check.requested_by, Some(person(MemberRole::Member).user));
    }

    #[test]
    fn rollbacks_are_for_admins_and_owners() {
        let mut rollback = task(names::ROLLBACK);
        assert_eq!(
            request(&mut rollback, person(MemberRole::Member)),
            Err(Refusal::AdminsOnly {
                task_type: "rollback".into(),
                role: MemberRole::Member
            })
        );
        assert!(request(&mut rollback, person(MemberRole::Admin)).is_ok());
    }
}
