//! The PostgreSQL and SQLite migrations are kept in step: after migrating both, their
//! tables, columns, nullability and named indexes must be the same.

use std::collections::BTreeSet;

use companyos_store::testing::TestDb;

/// `(table, column, not_null)` for every column, and the index names.
struct Shape {
    columns: BTreeSet<(String, String, bool)>,
    indexes: BTreeSet<String>,
}

async fn postgres_shape(db: &TestDb) -> Shape {
    let pool = db.store.postgres_pool().expect("a PostgreSQL store");
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT, is_nullable::TEXT FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("read columns");
    let indexes: Vec<(String,)> =
        sqlx::query_as("SELECT indexname::TEXT FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx_%'")
            .fetch_all(pool)
            .await
            .expect("read indexes");
    Shape {
        columns: columns
            .into_iter()
            .map(|(table, column, nullable)| (table, column, nullable == "NO"))
            .collect(),
        indexes: indexes.into_iter().map(|(name,)| name).collect(),
    }
}

async fn sqlite_shape(db: &TestDb) -> Shape {
    let pool = db.store.sqlite_write_pool().expect("a SQLite store");
    let columns: Vec<(String, String, bool, i64)> = sqlx::query_as(
        "SELECT m.name, c.name, c.\"notnull\", c.pk FROM sqlite_master m, pragma_table_info(m.name) c
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("read columns");
    let indexes: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%'")
            .fetch_all(pool)
            .await
            .expect("read indexes");
    Shape {
        // SQLite does not report primary keys as NOT NULL; PostgreSQL does.
        columns: columns
            .into_iter()
            .map(|(table, column, not_null, primary_key)| {
                (table, column, not_null || primary_key > 0)
            })
            .collect(),
        indexes: indexes.into_iter().map(|(name,)| name).collect(),
    }
}

/// Full-text search is each engine's own: PostgreSQL's generated `tsvector` column, its
/// GIN index and the index that reads a frequent word's newest matches first; SQLite's
/// FTS5 table `search_fts` (the shadow tables FTS5 keeps, the view it reads).
/// Everything else of search (`search_documents`) is in step.
fn engine_specific(table: &str, column: &str) -> bool {
    (table == "search_documents" && column == "tsv") || table.starts_with("search_fts")
}

#[tokio::test]
async fn postgres_and_sqlite_schemas_are_in_step() {
    let postgres = TestDb::postgres().await;
    let sqlite = TestDb::sqlite().await;
    let (mut pg, mut lite) = (postgres_shape(&postgres).await, sqlite_shape(&sqlite).await);
    for shape in [&mut pg, &mut lite] {
        shape
            .columns
            .retain(|(table, column, _)| !engine_specific(table, column));
        shape.indexes.remove("idx_search_documents_tsv");
        shape.indexes.remove("idx_search_documents_recent");
    }

    postgres.cleanup().await;
    sqlite.cleanup().await;

    let only_pg: Vec<_> = pg.columns.difference(&lite.columns).collect();
    let only_lite: Vec<_> = lite.columns.difference(&pg.columns).collect();
    assert!(
        only_pg.is_empty() && only_lite.is_empty(),
        "columns differ (table, column, not null):\n  only in postgres: {only_pg:?}\n  only in sqlite: {only_lite:?}"
    );
    assert_eq!(pg.indexes, lite.indexes, "named indexes differ");

    // Every table of the seed schema, and what the design adds, is there.
    let tables: BTreeSet<&str> = pg
        .columns
        .iter()
        .map(|(table, _, _)| table.as_str())
        .collect();
    for table in [
        "users",
        "organizations",
        "organization_members",
        "integrations",
        "webhooks",
        "repositories",
        "pull_requests",
        "deployments",
        "figma_files",
        "design_components",
        "social_accounts",
        "social_posts",
        "agents",
        "agent_tasks",
        "agent_collaborations",
        "events",
        "metrics",
        "refresh_tokens",
        "task_outbox",
        "workflow_runs",
        "workflow_steps",
        "schedules",
    ] {
        assert!(tables.contains(table), "table {table} missing");
    }
    assert!(
        pg.columns.len() > 200,
        "suspiciously few columns: {}",
        pg.columns.len()
    );
}
