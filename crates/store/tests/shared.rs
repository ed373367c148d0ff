//! What the nodes of a cluster share through Redis: two handles stand for two nodes on
//! the one Redis. A token bucket and an agent's LLM budgets are spent together; a Redis
//! that goes away fails each command fast (the callers fall back to their own count)
//! and is used again, without anything being rebuilt, once it is back.

use std::time::Duration;

use companyos_store::AgentId;
use companyos_store::shared::{Redis, SharedError, Spent};
use companyos_store::testing::{RedisServer, eventually, redis, redis_prefix, until};

/// A second node's handle on the same Redis and prefix as `redis`.
fn other_node(url: &str, prefix: &str) -> Redis {
    Redis::new(url, prefix).expect("a redis:// address")
}

#[tokio::test]
async fn a_bucket_is_spent_by_every_node_together() {
    let prefix = redis_prefix();
    let url = companyos_store::testing::redis_url();
    let (a, b) = (other_node(&url, &prefix), other_node(&url, &prefix));
    a.ping()
        .await
        .expect("Redis answers (scripts/services.sh starts it)");
    // Three a minute: two through one node, one through the other, then none on either.
    assert_eq!(a.take_token("user:1", 3).await.expect("redis"), Ok(()));
    assert_eq!(a.take_token("user:1", 3).await.expect("redis"), Ok(()));
    assert_eq!(b.take_token("user:1", 3).await.expect("redis"), Ok(()));
    for node in [&a, &b] {
        let wait = node
            .take_token("user:1", 3)
            .await
            .expect("redis")
            .expect_err("the bucket is empty for every node");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "one token comes back every 20 s: {wait:?}"
        );
    }
    // Another key has its own bucket, and another prefix (another cluster) its own.
    assert_eq!(b.take_token("user:2", 3).await.expect("redis"), Ok(()));
    let elsewhere = other_node(&url, &redis_prefix());
    assert_eq!(
        elsewhere.take_token("user:1", 3).await.expect("redis"),
        Ok(())
    );
}

#[tokio::test]
async fn an_agents_llm_budgets_hold_across_nodes() {
    let a = redis().await;
    let agent = AgentId::new();
    // Two requests a minute, counted wherever the agent runs.
    assert_eq!(
        a.reserve_request(agent, None, Some(2))
            .await
            .expect("redis"),
        None
    );
    let url = companyos_store::testing::redis_url();
    let b = other_node(&url, &a.key(""));
    assert_eq!(
        b.reserve_request(agent, None, Some(2))
            .await
            .expect("redis"),
        None
    );
    match b
        .reserve_request(agent, None, Some(2))
        .await
        .expect("redis")
    {
        Some(Spent::RequestsThisMinute { limit: 2, wait }) => {
            assert!(wait <= Duration::from_secs(60), "{wait:?}");
        }
        other => panic!("the minute's requests are spent on both nodes: {other:?}"),
    }
    // Tokens used on one node count against the day on the other.
    let other_agent = AgentId::new();
    a.record_tokens(other_agent, 600).await.expect("redis");
    assert_eq!(
        b.reserve_request(other_agent, Some(1000), None)
            .await
            .expect("redis"),
        None,
        "600 of 1000 tokens used"
    );
    a.record_tokens(other_agent, 400).await.expect("redis");
    match b
        .reserve_request(other_agent, Some(1000), None)
        .await
        .expect("redis")
    {
        Some(Spent::TokensToday { limit: 1000, wait }) => {
            assert!(wait <= Duration::from_secs(24 * 60 * 60), "{wait:?}");
        }
        other => panic!("the day's tokens are spent: {other:?}"),
    }
    // A refused request was not counted: with no minute budget, it goes.
    assert_eq!(
        b.reserve_request(agent, None, None).await.expect("redis"),
        None
    );
}

#[tokio::test]
async fn a_redis_that_goes_away_fails_fast_and_is_used_again_once_back() {
    let mut server = RedisServer::start().await;
    let redis = Redis::new(&server.url(), &redis_prefix()).expect("address");
    redis.ping().await.expect("the test's Redis answers");
    assert_eq!(redis.take_token("k", 1).await.expect("redis"), Ok(()));
    assert!(redis.is_up());

    server.stop();
    let error = redis.take_token("k", 1).await.expect_err("Redis is down");
    assert!(
        matches!(error, SharedError::Redis(_) | SharedError::Timeout),
        "{error:?}"
    );
    assert!(!redis.is_up(), "the failure is remembered");
    // Straight after a failure Redis is not asked at all.
    assert!(matches!(
        redis.publish("bus", b"x").await,
        Err(SharedError::Resting)
    ));

    server.resume().await;
    // The handle dials again by itself; the restarted Redis has forgotten the bucket.
    eventually("the handle uses Redis again", || async {
        redis.take_token("k", 1).await
    })
    .await
    .expect("a fresh bucket");
    until("Redis counts as up", || async { redis.is_up() }).await;
    // A subscription made now hears what is published.
    let mut messages = Box::pin(redis.subscribe("bus").await.expect("subscribe"));
    let mut heard = false;
    for _ in 0..40 {
        redis.publish("bus", b"hello").await.expect("publish");
        let next = tokio::time::timeout(
            Duration::from_millis(500),
            futures::StreamExt::next(&mut messages),
        )
        .await;
        if let Ok(Some(payload)) = next {
            assert_eq!(payload, b"hello");
            heard = true;
            break;
        }
    }
    assert!(heard, "nothing published on the restarted Redis was heard");
}
