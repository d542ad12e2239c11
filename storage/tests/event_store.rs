//! The event store against a real Postgres: one fresh database per test, dropped afterwards.

use domain::{
    events::{FileMeta, Submission},
    job, EventMeta, FileKind, JobEvent, JobId, LanguageSpec, Owner, PageResult, Tier,
};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use storage::{Error, Options, Store};

struct TestDb {
    name: String,
    store: Store,
}

impl TestDb {
    async fn create() -> TestDb {
        let server = std::env::var("OCRCHAT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let name = format!("ocrchat_t_{}", uuid::Uuid::new_v4().simple());
        let store = Store::connect(&Options::new(format!("{server}/{name}")))
            .await
            .expect("connect and migrate");
        TestDb { name, store }
    }

    async fn drop(self) {
        let server = std::env::var("OCRCHAT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        self.store.close().await.unwrap();
        let admin = Database::connect(format!("{server}/postgres"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name))
            .await
            .unwrap();
    }
}

fn submission(pages: u32) -> Submission {
    Submission {
        tier: Tier::Cpu,
        language: "en".into(),
        language_spec: LanguageSpec::Named(vec!["eng".into()]),
        tool: None,
        page_count: pages,
        owner: Owner::Anonymous {
            ip: "127.0.0.1".into(),
        },
        file: FileMeta {
            name: Some("x.png".into()),
            kind: FileKind::Png,
            size: 3,
            sha256: "abc".into(),
        },
        plan: None,
        callback_url: None,
        translate_to: None,
        force_ocr: false,
        engine: Default::default(),
    }
}

fn page(index: u32) -> PageResult {
    PageResult {
        index,
        width: 100,
        height: 100,
        dpi: 300,
        text: format!("text of page {index}"),
        blocks: vec![],
        mean_confidence: Some(0.5),
        language: "eng".into(),
        engine: "tesseract".into(),
        tables: Vec::new(),
        rotation: 0,
        detection: None,
        translation: None,
        markdown: None,
        source: None,
    }
}

async fn dump(store: &Store, sql: &str) -> Vec<String> {
    store
        .connection()
        .query_all(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

#[tokio::test]
async fn second_writer_at_the_same_position_gets_a_conflict() {
    let db = TestDb::create().await;
    let id = JobId::new_v7();
    db.store
        .submit_job(id, submission(2), vec![1, 2, 3], None, None)
        .await
        .unwrap();
    let first = db
        .store
        .append(
            id,
            1,
            vec![JobEvent::PageRecognized { page: page(0) }],
            EventMeta::default(),
        )
        .await;
    assert!(first.is_ok());
    let second = db
        .store
        .append(
            id,
            1,
            vec![JobEvent::PageRecognized { page: page(1) }],
            EventMeta::default(),
        )
        .await;
    assert!(
        matches!(second, Err(Error::Conflict { expected: 1, .. })),
        "{second:?}"
    );
    // The loser left nothing behind: two events, one page.
    assert_eq!(db.store.load_events(id).await.unwrap().len(), 2);
    let view = db.store.job_view(id, true).await.unwrap().unwrap();
    assert_eq!((view.pages_done, view.pages.len()), (1, 1));
    db.drop().await;
}

#[tokio::test]
async fn racing_writers_record_each_page_exactly_once() {
    let db = TestDb::create().await;
    let id = JobId::new_v7();
    db.store
        .submit_job(id, submission(4), vec![0], None, None)
        .await
        .unwrap();
    // Eight writers, each page offered twice, all at once.
    let writers = (0..8u32).map(|i| {
        let store = db.store.clone();
        async move {
            store
                .decide_and_append(id, EventMeta::default(), |j| {
                    job::record_page(j, page(i % 4))
                })
                .await
        }
    });
    for result in futures::future::join_all(writers).await {
        assert!(result.unwrap().is_ok());
    }
    let events = db.store.load_events(id).await.unwrap();
    let mut pages: Vec<u32> = events
        .iter()
        .filter_map(|r| match &r.event {
            JobEvent::PageRecognized { page } => Some(page.index),
            _ => None,
        })
        .collect();
    pages.sort_unstable();
    assert_eq!(pages, vec![0, 1, 2, 3]);
    assert_eq!(
        events.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=5).collect::<Vec<_>>()
    );
    db.drop().await;
}

#[tokio::test]
async fn projections_rebuilt_from_events_are_identical_and_uploads_go_with_the_job() {
    let db = TestDb::create().await;
    let id = JobId::new_v7();
    db.store
        .submit_job(id, submission(2), vec![9; 10], None, None)
        .await
        .unwrap();
    assert!(db.store.has_upload(id).await.unwrap());
    for events in [
        job::start_processing(&db.store.load_job(id).await.unwrap(), 1).unwrap(),
        vec![JobEvent::PageRecognized { page: page(1) }],
        vec![JobEvent::PageRecognized { page: page(0) }],
    ] {
        let v = db.store.load_job(id).await.unwrap().version;
        db.store
            .append(id, v, events, EventMeta::default())
            .await
            .unwrap();
    }
    assert!(
        db.store.has_upload(id).await.unwrap(),
        "kept while the job runs"
    );
    let state = db.store.load_job(id).await.unwrap();
    db.store
        .append(
            id,
            state.version,
            job::finish(&state).unwrap(),
            EventMeta::default(),
        )
        .await
        .unwrap();
    assert!(
        !db.store.has_upload(id).await.unwrap(),
        "deleted when the job ends"
    );

    let jobs_sql = "SELECT row_to_json(j)::text FROM jobs j ORDER BY id";
    let pages_sql = "SELECT row_to_json(p)::text FROM pages p ORDER BY job_id, idx";
    let before = (
        dump(&db.store, jobs_sql).await,
        dump(&db.store, pages_sql).await,
    );
    assert_eq!(db.store.rebuild_job(id).await.unwrap(), 5);
    let after = (
        dump(&db.store, jobs_sql).await,
        dump(&db.store, pages_sql).await,
    );
    assert_eq!(before, after);
    let view = db.store.job_view(id, true).await.unwrap().unwrap();
    assert_eq!(view.status, domain::JobStatus::Done);
    assert_eq!(
        view.pages
            .iter()
            .map(|p| p.result.index)
            .collect::<Vec<_>>(),
        vec![0, 1]
    );
    db.drop().await;
}

#[tokio::test]
async fn a_failed_job_is_charged_for_its_recognised_pages_and_refunded_the_rest() {
    use domain::billing::{Plan, Pricing};
    use storage::billing::{Charge, Subject};
    let db = TestDb::create().await;
    let id = JobId::new_v7();
    let charge = Charge {
        subject: Subject::ip("192.0.2.1"),
        plan: Plan::Anonymous,
        pricing: Pricing::default(),
        tier: Tier::Cpu,
    };
    db.store
        .submit_job(id, submission(3), vec![1], Some(&charge), None)
        .await
        .unwrap();
    db.store
        .append(
            id,
            1,
            vec![JobEvent::PageRecognized { page: page(0) }],
            EventMeta::default(),
        )
        .await
        .unwrap();
    // A replayed page event (another worker) cannot charge twice: the append itself conflicts.
    assert!(db
        .store
        .append(
            id,
            1,
            vec![JobEvent::PageRecognized { page: page(0) }],
            EventMeta::default()
        )
        .await
        .is_err());
    db.store
        .append(
            id,
            2,
            vec![JobEvent::Failed {
                code: domain::FailureCode::BadFile,
                message: "x".into(),
            }],
            EventMeta::default(),
        )
        .await
        .unwrap();
    let charges = db.store.job_charges(id).await.unwrap();
    assert_eq!(
        (
            charges.reserved,
            charges.charged,
            charges.pages_charged,
            charges.refunded
        ),
        (3, 1, 1, 2)
    );
    let usage = db
        .store
        .usage(
            &Subject::ip("192.0.2.1"),
            Plan::Anonymous,
            &Pricing::default(),
        )
        .await
        .unwrap();
    assert_eq!((usage.used, usage.cap, usage.remaining), (1, Some(10), 9));
    db.drop().await;
}
