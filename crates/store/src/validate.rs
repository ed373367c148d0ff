//! Checks every repository makes of a value before it is written.

use crate::error::StoreError;

pub(crate) fn validate_email(email: &str) -> Result<(), StoreError> {
    let valid = email.len() <= 255
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "email",
            reason: format!("{email:?} is not an email address"),
        })
    }
}

pub(crate) fn non_empty(field: &'static str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    if value.len() > max {
        return Err(StoreError::Invalid {
            field,
            reason: format!("must be at most {max} bytes"),
        });
    }
    Ok(())
}
