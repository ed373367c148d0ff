//! X and LinkedIn: each connected account's name and followers, its token checked.

use super::*;

impl Syncer {
    /// Each active account of the platform, through its own token.
    pub(super) async fn social_accounts(
        &self,
        platform: SocialPlatform,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let org = self.org();
        let keys = self.config.keys.as_ref().ok_or_else(|| {
            SyncError::Unusable(
                "this node has no master key to open the accounts' credentials".into(),
            )
        })?;
        let accounts = self
            .store
            .social_accounts()
            .list(org, Some(platform))
            .await?;
        let base_url = self
            .config
            .base_urls
            .get(&self.integration.service)
            .cloned();
        if accounts.is_empty() {
            report.notes.push(format!(
                "no {} account is connected: connect one with POST /api/social/accounts/{}/connect",
                platform.as_str(),
                platform.as_str()
            ));
        }
        for account in accounts.into_iter().filter(|account| account.active) {
            let credentials = match keys.open_json(&account.credentials_encrypted) {
                Ok(Value::Object(credentials)) => credentials,
                _ => {
                    report.notes.push(format!(
                        "@{}: the credentials cannot be opened",
                        account.handle
                    ));
                    continue;
                }
            };
            let token = match token(platform.as_str(), &credentials) {
                Ok(token) => token,
                Err(error) => {
                    report.notes.push(format!("@{}: {error}", account.handle));
                    continue;
                }
            };
            let followers = match platform {
                SocialPlatform::Twitter => {
                    let mut config = TwitterConfig::new(token);
                    if let Some(url) = &base_url {
                        config.base_url = url.clone();
                    }
                    config.timeout = self.config.request_timeout;
                    let me = TwitterClient::new(config)?.me().await;
                    match me {
                        Ok(me) => me
                            .public_metrics
                            .map(|metrics| {
                                i32::try_from(metrics.followers_count).unwrap_or(i32::MAX)
                            })
                            .unwrap_or(account.follower_count),
                        Err(error) if !error.is_retryable() => {
                            report.notes.push(format!("@{}: {error}", account.handle));
                            continue;
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
                SocialPlatform::Linkedin => {
                    let mut config = LinkedInConfig::new(token);
                    if let Some(url) = &base_url {
                        config.base_url = url.clone();
                    }
                    config.timeout = self.config.request_timeout;
                    match LinkedInClient::new(config)?.userinfo().await {
                        // LinkedIn's follower counts need the organization APIs; the
                        // sync checks the token and keeps the count it has.
                        Ok(_) => account.follower_count,
                        Err(error) if !error.is_retryable() => {
                            report.notes.push(format!("@{}: {error}", account.handle));
                            continue;
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
            };
            self.store
                .social_accounts()
                .record_sync(org, account.id, followers, companyos_store::now())
                .await?;
            report.count("social_accounts", 1);
        }
        Ok(())
    }
}
