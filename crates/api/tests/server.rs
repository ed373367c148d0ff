//! The HTTP server's limits, with raw TCP clients: a client that sends half a request is
//! cut off after the header-read timeout, an idle keep-alive connection after the idle
//! timeout, and a connection past the limit is closed at once. Each test waits for the
//! server to close the socket (a read of zero bytes, or a reset), not for a time.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use companyos_api::server::{ServerLimits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(limits: ServerLimits) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let app = Router::new().route("/", get(|| async { "hello" }));
    tokio::spawn(serve(listener, app, limits, std::future::pending()));
    address
}

/// Reads until the server closes the connection; the bytes it sent before.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return received,
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_) => panic!("the server kept the connection open"),
        }
    }
}

#[tokio::test]
async fn half_a_request_is_cut_off() {
    let address = start(ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        ..ServerLimits::default()
    })
    .await;
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow:")
        .await
        .expect("write");
    let answer = until_closed(&mut stream).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "closed without serving: {text}"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let address = start(ServerLimits {
        idle_timeout: Duration::from_secs(1),
        ..ServerLimits::default()
    })
    .await;
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let answer = until_closed(&mut stream).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "served first: {text}");
    assert!(text.ends_with("hello"), "{text}");
}

#[tokio::test]
async fn connections_past_the_limit_are_closed_at_once() {
    let address = start(ServerLimits {
        max_connections: 2,
        header_read_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(&address).await.expect("connect");
        // A served request proves the connection holds its place.
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buffer = [0u8; 256];
        let read = stream.read(&mut buffer).await.expect("read");
        assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
        open.push(stream);
    }
    let mut third = TcpStream::connect(&address).await.expect("connect");
    // Written before the server drops it, or refused: either way nothing is served.
    let _ = third.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(until_closed(&mut third).await.is_empty(), "nothing served");
    drop(open);
    // Room again once the others closed.
    let served =
        companyos_store::testing::eventually("a request served once the others closed", || async {
            let mut stream = TcpStream::connect(&address).await.expect("connect");
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await
                .map_err(|error| error.to_string())?;
            let answer = until_closed(&mut stream).await;
            if answer.is_empty() {
                Err("closed unanswered".to_owned())
            } else {
                Ok(answer)
            }
        })
        .await;
    assert!(served.starts_with(b"HTTP/1.1 200"));
}
