//! Benchmarks and load harnesses for CompanyOS live in `benches/`; this library holds
//! what the HTTP harnesses share: serving a router on a local port, and the load
//! generator's client. Figures and the commands that produce them are in BENCHMARKS.md.

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
