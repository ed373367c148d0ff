//! X and LinkedIn: each connected account's name and followers, its token checked; and
//! the calls agents make as an account (publish a post, read its posts' counts), each
//! with the account's own sealed token.

use super::*;

/// The most LinkedIn posts whose counts one call reads (one request each).
const MAX_LINKEDIN_LOOKUPS: usize = 50;

impl Syncer {
    /// A call as one of the organization's accounts on this adapter's platform.
    pub(super) async fn social(&self, request: SocialRequest) -> Result<SocialResponse, SyncError> {
        let org = self.org();
        let keys = self.config.keys.as_ref().ok_or_else(|| {
            SyncError::Unusable(
                "this node has no master key to open the accounts' credentials".into(),
            )
        })?;
        let account = self
            .store
            .social_accounts()
            .get(org, request.account)
            .await?;
        if account.platform != request.platform {
            return Err(SyncError::Unusable(format!(
                "@{} is a {} account, not {}",
                account.handle, account.platform, request.platform
            )));
        }
        if !account.active {
            return Err(SyncError::Unusable(format!(
                "@{} is disconnected: connect it again with POST /api/social/accounts/{}/connect",
                account.handle, account.platform
            )));
        }
        let credentials = match keys.open_json(&account.credentials_encrypted) {
            Ok(Value::Object(credentials)) => credentials,
            _ => {
                return Err(SyncError::Unusable(format!(
                    "@{}: the credentials cannot be opened; connect the account again",
                    account.handle
                )));
            }
        };
        let token = token(account.platform.as_str(), &credentials)?;
        let base_url = self
            .config
            .base_urls
            .get(&self.integration.service)
            .cloned();
        match account.platform {
            SocialPlatform::Twitter => {
                let mut config = TwitterConfig::new(token);
                if let Some(url) = base_url {
                    config.base_url = url;
                }
                config.timeout = self.config.request_timeout;
                let client = TwitterClient::new(config)?;
                Ok(match request.call {
                    SocialCall::Publish { text } => {
                        let created = client
                            .create_post(&companyos_integrations::clients::twitter::NewPost::text(
                                text,
                            ))
                            .await?;
                        SocialResponse::Published {
                            external_id: created.id,
                        }
                    }
                    SocialCall::Metrics { posts } => {
                        let mut counts = Vec::with_capacity(posts.len());
                        for ids in
                            posts.chunks(companyos_integrations::clients::twitter::MAX_LOOKUP_IDS)
                        {
                            for found in client.post_metrics(ids).await? {
                                let metrics = found.public_metrics;
                                counts.push(PostCounts {
                                    external_id: found.id,
                                    likes: metrics.like_count,
                                    comments: metrics.reply_count,
                                    shares: metrics.retweet_count + metrics.quote_count,
                                    views: metrics.impression_count,
                                });
                            }
                        }
                        SocialResponse::Metrics(counts)
                    }
                })
            }
            SocialPlatform::Linkedin => {
                let mut config = LinkedInConfig::new(token);
                if let Some(url) = base_url {
                    config.base_url = url;
                }
                config.timeout = self.config.request_timeout;
                let client = LinkedInClient::new(config)?;
                Ok(match request.call {
                    SocialCall::Publish { text } => {
                        let author = if account.account_id.starts_with("urn:li:") {
                            account.account_id.clone()
                        } else {
                            format!("urn:li:person:{}", account.account_id)
                        };
                        let urn = client
                            .create_post(
                                &companyos_integrations::clients::linkedin::LinkedInPost::plain_text(
                                    author, &text,
                                ),
                            )
                            .await?;
                        SocialResponse::Published { external_id: urn }
                    }
                    SocialCall::Metrics { posts } => {
                        let mut counts = Vec::new();
                        for urn in posts.iter().take(MAX_LINKEDIN_LOOKUPS) {
                            match client.social_actions(urn).await {
                                Ok(actions) => counts.push(PostCounts {
                                    external_id: urn.clone(),
                                    likes: actions.likes,
                                    comments: actions.comments,
                                    ..PostCounts::default()
                                }),
                                // A deleted post: missing from the answer, as on X.
                                Err(companyos_integrations::IntegrationError::NotFound {
                                    ..
                                }) => {}
                                Err(error) => return Err(error.into()),
                            }
                        }
                        SocialResponse::Metrics(counts)
                    }
                })
            }
        }
    }
}

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
