//! How agents reach the vendors: the [`IntegrationPort`] the node gives every agent,
//! and the typed requests each vendor's adapter answers. The adapter of the
//! organization's integration owns the client and its rate-limit state; an agent never
//! builds a client of its own.

use async_trait::async_trait;
use companyos_integrations::clients::{github, slack, vercel};
use companyos_store::{FigmaFileId, OrgId, RepositoryId, Service, SocialAccountId, SocialPlatform};
use serde::{Deserialize, Serialize};

use crate::behaviour::TaskFailure;

/// What a sync asks of an integration's adapter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum SyncRequest {
    /// The service's listings: GitHub repositories, Vercel's recent deployments, Figma
    /// team components and files, the organization's X or LinkedIn accounts.
    Integration { service: Service },
    /// One repository's open pull requests and recent deployments.
    Repository { repository_id: RepositoryId },
    /// One Figma file and its published components.
    FigmaFile { figma_file_id: FigmaFileId },
}

/// What a sync did: rows brought up to date by kind, the narrower syncs it leaves to
/// follow (a repository each, a file each), and anything a person should know.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncReport {
    pub service: Service,
    pub synced: std::collections::BTreeMap<&'static str, u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub follow_up: Vec<SyncRequest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl SyncReport {
    pub fn new(service: Service) -> Self {
        Self {
            service,
            synced: Default::default(),
            follow_up: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn count(&mut self, kind: &'static str, by: u64) {
        *self.synced.entry(kind).or_default() += by;
    }
}

/// The node's integration adapters, as agents reach them. A sync or a vendor call runs
/// in the adapter of the organization's integration with that service, which holds the
/// service's client and its rate-limit state; the agent waits for the answer.
#[async_trait]
pub trait IntegrationPort: Send + Sync + 'static {
    async fn sync(&self, org: OrgId, request: SyncRequest) -> Result<SyncReport, TaskFailure>;

    /// Where the node's health probes may go: public https addresses unless the operator
    /// allows the node's own network.
    fn probe_reach(&self) -> companyos_integrations::probe::Reach {
        companyos_integrations::probe::Reach::PublicHttps
    }

    /// One call to a vendor through the organization's adapter of that vendor.
    async fn call(&self, org: OrgId, request: VendorRequest)
    -> Result<VendorResponse, TaskFailure>;
}

impl dyn IntegrationPort {
    /// A call to GitHub through the organization's GitHub adapter.
    pub async fn github(
        &self,
        org: OrgId,
        request: GitHubRequest,
    ) -> Result<GitHubResponse, TaskFailure> {
        match self.call(org, VendorRequest::GitHub(request)).await? {
            VendorResponse::GitHub(response) => Ok(response),
            other => Err(other.unexpected(Service::Github)),
        }
    }

    /// A call to Vercel through the organization's Vercel adapter.
    pub async fn vercel(
        &self,
        org: OrgId,
        request: VercelRequest,
    ) -> Result<VercelResponse, TaskFailure> {
        match self.call(org, VendorRequest::Vercel(request)).await? {
            VendorResponse::Vercel(response) => Ok(response),
            other => Err(other.unexpected(Service::Vercel)),
        }
    }

    /// A call to an X or LinkedIn account through the organization's adapter of that
    /// platform.
    pub async fn social(
        &self,
        org: OrgId,
        request: SocialRequest,
    ) -> Result<SocialResponse, TaskFailure> {
        let service = request.service();
        match self.call(org, VendorRequest::Social(request)).await? {
            VendorResponse::Social(response) => Ok(response),
            other => Err(other.unexpected(service)),
        }
    }

    /// A call to Slack through the organization's Slack adapter.
    pub async fn slack(
        &self,
        org: OrgId,
        request: SlackRequest,
    ) -> Result<SlackResponse, TaskFailure> {
        match self.call(org, VendorRequest::Slack(request)).await? {
            VendorResponse::Slack(response) => Ok(response),
            other => Err(other.unexpected(Service::Slack)),
        }
    }
}

/// A call an agent makes to a vendor, by vendor.
#[derive(Clone, Debug, PartialEq)]
pub enum VendorRequest {
    GitHub(GitHubRequest),
    Vercel(VercelRequest),
    Slack(SlackRequest),
    Social(SocialRequest),
}

impl VendorRequest {
    /// The service whose adapter makes the call.
    pub fn service(&self) -> Service {
        match self {
            VendorRequest::GitHub(_) => Service::Github,
            VendorRequest::Vercel(_) => Service::Vercel,
            VendorRequest::Slack(_) => Service::Slack,
            VendorRequest::Social(request) => request.service(),
        }
    }
}

/// The vendor's answer to a [`VendorRequest`], of the same vendor.
#[derive(Clone, Debug, PartialEq)]
pub enum VendorResponse {
    GitHub(GitHubResponse),
    Vercel(VercelResponse),
    Slack(SlackResponse),
    Social(SocialResponse),
}

impl VendorResponse {
    fn unexpected(&self, asked: Service) -> TaskFailure {
        TaskFailure::Permanent(format!(
            "the {asked} adapter answered with another vendor's response"
        ))
    }
}

/// What an agent asks of its organization's GitHub adapter. `repository` is
/// `owner/name`.
#[derive(Clone, Debug, PartialEq)]
pub enum GitHubRequest {
    /// A pull request and every file it touches (all pages).
    PullRequest { repository: String, number: u64 },
    /// A file's text at a commit or branch.
    File {
        repository: String,
        path: String,
        reference: String,
    },
    /// The people who last changed each path.
    RecentAuthors {
        repository: String,
        paths: Vec<String>,
    },
    /// A review with inline comments.
    PostReview {
        repository: String,
        number: u64,
        review: github::NewReview,
    },
    /// A status on the newest GitHub deployment of a commit (in `environment`, when
    /// given). `None` in the answer: GitHub has no deployment of that commit.
    DeploymentStatus {
        repository: String,
        sha: String,
        environment: Option<String>,
        status: github::NewDeploymentStatus,
    },
    /// Every path of the repository's tree at a branch, tag or commit.
    Tree {
        repository: String,
        reference: String,
    },
    /// Files committed on a new branch from `base`'s head, and a pull request of that
    /// branch into `base`. A branch left by an earlier attempt is reused, and a file
    /// already as wanted there is not written again.
    OpenPullRequest {
        repository: String,
        base: String,
        branch: String,
        files: Vec<(String, String)>,
        message: String,
        title: String,
        body: String,
    },
}

/// What an agent asks of its organization's Vercel adapter.
#[derive(Clone, Debug, PartialEq)]
pub enum VercelRequest {
    /// A deployment as Vercel knows it now (an id or its hostname).
    Deployment { id: String },
    /// Every event of a deployment's build, oldest first.
    Events { id: String },
    /// The project's production deployments that are ready, newest first.
    ReadyProduction { project_id: String, limit: u32 },
    /// Points the project's production domains back at `to` (a deployment id).
    Rollback {
        project_id: String,
        to: String,
        description: Option<String>,
    },
    /// Builds a deployment's source again as a new deployment.
    Redeploy(vercel::Redeploy),
}

/// Vercel's answer to a [`VercelRequest`], of the matching variant.
#[derive(Clone, Debug, PartialEq)]
pub enum VercelResponse {
    Deployment(Box<vercel::Deployment>),
    Events(Vec<vercel::DeploymentEvent>),
    Deployments(Vec<vercel::DeploymentSummary>),
    RolledBack,
}

/// What an agent asks of one connected X or LinkedIn account; the account's own sealed
/// token makes the call.
#[derive(Clone, Debug, PartialEq)]
pub struct SocialRequest {
    pub platform: SocialPlatform,
    pub account: SocialAccountId,
    pub call: SocialCall,
}

impl SocialRequest {
    /// The service whose adapter makes the call: the account's platform.
    pub fn service(&self) -> Service {
        match self.platform {
            SocialPlatform::Twitter => Service::Twitter,
            SocialPlatform::Linkedin => Service::Linkedin,
        }
    }
}

/// A call to a social account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocialCall {
    /// Publishes a text post as the account.
    Publish { text: String },
    /// The counts of the account's posts: X post ids, LinkedIn post URNs.
    Metrics { posts: Vec<String> },
}

/// A social account's answer to a [`SocialRequest`], of the matching variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocialResponse {
    /// The new post's id (X) or URN (LinkedIn).
    Published { external_id: String },
    /// The posts found, each with its counts; a deleted post is missing.
    Metrics(Vec<PostCounts>),
}

/// A published post's counts as its platform gives them (LinkedIn gives no shares or
/// views to a post's author through the API: 0).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostCounts {
    pub external_id: String,
    pub likes: u64,
    pub comments: u64,
    pub shares: u64,
    pub views: u64,
}

/// What an agent asks of its organization's Slack adapter.
#[derive(Clone, Debug, PartialEq)]
pub enum SlackRequest {
    Post(slack::SlackMessage),
    /// A message only `user` sees.
    Ephemeral {
        channel: String,
        user: String,
        text: String,
    },
    /// Who a Slack user is.
    User {
        id: String,
    },
}

/// Slack's answer to a [`SlackRequest`], of the matching variant.
#[derive(Clone, Debug, PartialEq)]
pub enum SlackResponse {
    Posted(slack::PostedMessage),
    Done,
    User(slack::SlackUser),
}

/// GitHub's answer to a [`GitHubRequest`], of the matching variant.
#[derive(Clone, Debug, PartialEq)]
pub enum GitHubResponse {
    PullRequest {
        pull_request: Box<github::PullRequest>,
        files: Vec<github::PullRequestFile>,
    },
    /// `None`: no such file there.
    File(Option<String>),
    /// Logins, newest change first, each once.
    Authors(Vec<String>),
    Review(github::Review),
    /// The deployment the status was added to, and the status.
    DeploymentStatus(Option<(u64, github::DeploymentStatus)>),
    Tree(github::Tree),
    PullRequestOpened(Box<github::PullRequest>),
}
