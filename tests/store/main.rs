//! Store conformance: one suite of behaviours every [`Store`] implementation must show, generated
//! once per backend. A new backend adds one `backend!` line.

mod suite;
#[path = "../support/postgres.rs"]
mod support_postgres;

use std::sync::Arc;

use provenance_registry::store::Store;
use provenance_registry::store::postgres::PostgresStore;
use provenance_registry::store::sqlite::SqliteStore;
use support_postgres::TestDatabase;

/// A fresh SQLite store in its own temporary directory (kept alive with the store).
async fn sqlite() -> Option<(Arc<dyn Store>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&SqliteStore::url_in(dir.path(), "registry.db"))
        .await
        .unwrap();
    Some((Arc::new(store), dir))
}

/// A fresh PostgreSQL store in a database of its own (dropped with the guard); `None` when the
/// PostgreSQL run is skipped.
async fn postgres() -> Option<(Arc<dyn Store>, TestDatabase)> {
    let database = TestDatabase::create(&support_postgres::server_url()?).await;
    let store = PostgresStore::open(&database.url, 4).await.unwrap();
    Some((Arc::new(store), database))
}

/// The suite's tests for one backend, each on a fresh store of its own.
macro_rules! backend {
    ($backend:ident, $open:path, [$($test:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test]
                async fn $test() {
                    let Some((store, _guard)) = $open().await else { return };
                    crate::suite::$test(store).await;
                }
            )*
        }
    };
}

/// Every test of the suite on every backend.
macro_rules! conformance {
    ([$($test:ident),* $(,)?]) => {
        backend!(sqlite, crate::sqlite, [$($test),*]);
        backend!(postgres, crate::postgres, [$($test),*]);
    };
}

conformance!([
    cosignatures_are_kept_once_per_witness_and_checkpoint,
    organization_names_are_unique_and_a_refused_insert_appends_no_event,
    organizations_list_in_id_order_by_exact_name_and_resume_after_an_id,
    a_batch_decides_each_registration_and_writes_only_the_accepted_ones,
    a_unit_is_stored_whole_or_not_at_all_and_links_earlier_items,
    names_find_the_newest_version_or_the_given_one_and_aliases_resolve,
    a_stored_dataset_reads_back_field_for_field,
    listing_filters_by_viewer_name_and_owner_and_resumes_after_an_id,
    closures_hold_each_node_once_at_its_shortest_depth_within_the_limit,
    edges_leave_the_given_nodes_in_the_walk_direction,
    events_are_filtered_by_viewer_and_chain_from_the_head,
    a_revocation_is_recorded_once_and_only_for_the_owning_organisation,
    an_issuance_batch_stores_each_accepted_certificate_and_only_those,
    key_fingerprints_are_recorded_once_and_replaced_only_from_the_expected_value,
    an_attestation_covers_its_policies_in_order_and_keeps_its_purpose,
]);

/// SQLite-specific: the database itself refuses to rewrite history, whoever connects to it.
#[tokio::test]
async fn sqlite_refuses_updates_and_deletes_of_datasets_and_events() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let url = SqliteStore::url_in(dir.path(), "registry.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    suite::seed_two_datasets(&store).await;
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for statement in [
        "UPDATE datasets SET name = 'rewritten'",
        "DELETE FROM datasets",
        "UPDATE dataset_sources SET uri = 'x'",
        "DELETE FROM dataset_sources",
        "UPDATE events SET payload = '{}'",
        "DELETE FROM events",
        "UPDATE attestations SET declared_purpose = 'competing_model'",
        "UPDATE attestations SET declared_purpose = NULL",
        "UPDATE attestation_policies SET policy_version = 'x'",
        "DELETE FROM attestation_policies",
    ] {
        let error = sqlx::query(statement)
            .execute(&mut conn)
            .await
            .expect_err(statement);
        let message = error.to_string();
        assert!(
            message.contains("immutable") || message.contains("append-only"),
            "{statement}: {message}"
        );
    }
}

/// PostgreSQL-specific: the database itself refuses to rewrite history, whoever connects to it.
#[tokio::test]
async fn postgres_refuses_updates_and_deletes_of_history() {
    use sqlx::Connection;
    let Some((store, database)) = postgres().await else {
        return;
    };
    suite::seed_two_datasets(&store).await;
    let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
    for statement in [
        "UPDATE organizations SET name = 'rewritten'",
        "UPDATE datasets SET name = 'rewritten'",
        "DELETE FROM datasets",
        "UPDATE dataset_sources SET uri = 'x'",
        "DELETE FROM dataset_sources",
        "UPDATE events SET payload = '{}'",
        "DELETE FROM events",
        "UPDATE log_nodes SET hash = hash",
        "DELETE FROM log_nodes",
        "UPDATE attestations SET declared_purpose = 'competing_model'",
        "UPDATE attestations SET declared_purpose = NULL",
        "UPDATE attestation_policies SET policy_version = 'x'",
        "DELETE FROM attestation_policies",
    ] {
        let error = sqlx::query(statement)
            .execute(&mut conn)
            .await
            .expect_err(statement);
        let message = error.to_string();
        assert!(
            message.contains("immutable") || message.contains("append-only"),
            "{statement}: {message}"
        );
    }
}
