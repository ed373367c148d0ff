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
        redis.append("bus", b"x").await,
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
    // A follower made now hears what is appended.
    let mut follower = redis.follow("bus");
    assert_eq!(
        follower
            .next(Duration::from_millis(50))
            .await
            .expect("read"),
        Vec::<Vec<u8>>::new(),
        "a new follower starts at the stream's end"
    );
    redis.append("bus", b"hello").await.expect("append");
    assert_eq!(
        follower.next(Duration::from_secs(5)).await.expect("read"),
        vec![b"hello".to_vec()]
    );
}

#[tokio::test]
async fn a_follower_that_lost_redis_goes_on_after_the_last_entry_it_read() {
    let mut server = RedisServer::start().await;
    let prefix = redis_prefix();
    let writer = Redis::new(&server.url(), &prefix).expect("address");
    let reader = Redis::new(&server.url(), &prefix).expect("address");
    let mut follower = reader.follow("bus");
    follower
        .next(Duration::from_millis(50))
        .await
        .expect("the follower finds the stream's end");
    writer.append("bus", b"one").await.expect("append");
    assert_eq!(
        follower.next(Duration::from_secs(5)).await.expect("read"),
        vec![b"one".to_vec()]
    );

    // Redis restarts (empty): the follower's connection is gone.
    server.stop();
    follower
        .next(Duration::from_millis(50))
        .await
        .expect_err("Redis is down");
    server.resume().await;
    // Entries appended before the follower reads again are not lost to it.
    eventually("the writer appends again", || async {
        writer.append("bus", b"two").await
    })
    .await;
    writer.append("bus", b"three").await.expect("append");
    let mut heard = Vec::new();
    for _ in 0..40 {
        match follower.next(Duration::from_millis(500)).await {
            Ok(payloads) => heard.extend(payloads),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
        if heard.len() >= 2 {
            break;
        }
    }
    // (An append whose answer was late may have been retried.)
    heard.dedup();
    assert_eq!(heard, vec![b"two".to_vec(), b"three".to_vec()]);
}
