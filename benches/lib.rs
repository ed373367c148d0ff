//! Benchmarks and load harnesses for CompanyOS live in `benches/`; this library holds
//! what the HTTP harnesses share: serving a router on a local port, and the load
//! generator's client. Figures and the commands that produce them are in BENCHMARKS.md.

pub mod load;

/// The node's allocator (the binary's, `cluster/src/main.rs`), so the benches measure
/// what a node runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs an operator's tool (`companyos-load`, `companyos-reads`): `run` on a Tokio
/// runtime with `threads` workers (one per core when `None`); its error is printed after
/// the tool's name, and the exit code is a failure.
pub fn run_tool<F>(name: &str, threads: Option<usize>, run: F) -> std::process::ExitCode
where
    F: std::future::Future<Output = Result<std::process::ExitCode, String>>,
{
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{name}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A secret given on the command line or in a file (without its line end); `missing`
/// says how to give it when neither is.
pub fn secret_argument(
    inline: Option<&str>,
    file: Option<&std::path::Path>,
    missing: &str,
) -> Result<String, String> {
    match (inline, file) {
        (Some(secret), _) => Ok(secret.to_owned()),
        (None, Some(file)) => Ok(std::fs::read_to_string(file)
            .map_err(|error| format!("cannot read {}: {error}", file.display()))?
            .trim_end()
            .to_owned()),
        (None, None) => Err(missing.to_owned()),
    }
}

/// Serves `app` on a free local port (with connect info, as a node does); returns its
/// base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    base
}

/// The load generator's client: keep-alive, a pool as large as the highest concurrency.
pub fn client() -> reqwest::Client {
    companyos_integrations::http::builder()
        .expect("tls")
        .pool_max_idle_per_host(256)
        .build()
        .expect("client")
}

/// The benches' code reviewer: its work is instant, so the pipeline is measured, not a
/// review.
pub struct InstantReview;

#[async_trait::async_trait]
impl companyos_supervisors::Behaviour for InstantReview {
    fn kind(&self) -> companyos_supervisors::AgentKind {
        companyos_supervisors::AgentKind::Executor
    }

    async fn perform(
        &mut self,
        _: &companyos_supervisors::TaskContext,
        _: &companyos_store::AgentTask,
    ) -> Result<Option<serde_json::Value>, companyos_supervisors::TaskFailure> {
        Ok(Some(serde_json::json!({"reviewed": true})))
    }
}

/// The built-in agent types, `code_review` being [`InstantReview`].
pub fn registry_with_instant_review() -> companyos_supervisors::AgentTypeRegistry {
    let mut registry = companyos_supervisors::AgentTypeRegistry::builtin();
    registry.register(companyos_supervisors::AgentType::plain(
        "code_review",
        companyos_supervisors::AgentKind::Executor,
        vec!["analyze_pr".into()],
        || Box::new(InstantReview),
    ));
    registry
}

/// Registers the node's first account, owner of a new organization named `organization`:
/// its access token and the organization's id.
pub async fn register(
    client: &reqwest::Client,
    base: &str,
    organization: &str,
) -> (String, String) {
    let registered: serde_json::Value = client
        .post(format!("{base}/api/auth/register"))
        .json(&serde_json::json!({"email": "bench@example.com", "name": "Bench", "password": "correct horse", "organization": organization}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let text = |value: &serde_json::Value, what: &str| value.as_str().expect(what).to_owned();
    (
        text(&registered["access_token"], "token"),
        text(&registered["organization"]["id"], "org"),
    )
}

/// Connects GitHub for `org` with webhook secret `secret`: the path of its webhook URL.
pub async fn connect_github(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    org: &str,
    secret: &[u8],
) -> String {
    let connected: serde_json::Value = client
        .post(format!("{base}/api/integrations/github/connect"))
        .bearer_auth(token)
        .header("x-organization-id", org)
        .json(&serde_json::json!({"credentials": {"token": "ghp_bench"}, "webhook_secret": String::from_utf8_lossy(secret)}))
        .send()
        .await
        .expect("connect")
        .json()
        .await
        .expect("json");
    let url = connected["webhook_url"].as_str().expect("webhook_url");
    url[base.len()..].to_owned()
}

/// The signed deliveries' body: GitHub's `pull_request` `opened` fixture (28 KB).
pub fn pull_request_fixture() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/github/pull_request/opened.payload.json"),
    )
    .expect("the pull_request fixture")
}

/// The `q` quantile of sorted durations (zero when there are none).
pub fn quantile(sorted: &[std::time::Duration], q: f64) -> std::time::Duration {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// This process's resident memory (Linux: `/proc/self/statm`; 0 where it cannot be read).
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
