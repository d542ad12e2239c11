//! Conversation streams against a real Postgres: exchanges in order, ownership, racing appends,
//! rebuild equality and erasure. One fresh database per test, dropped afterwards.

use domain::{
    chat::{self, Answer, Citation, ConversationId, Role},
    AccountId, JobId, PageIndex,
};
use sea_orm::{ConnectionTrait, Database};
use storage::{Options, Store};

struct TestDb {
    name: String,
    store: Store,
}

impl TestDb {
    async fn create() -> TestDb {
        let name = format!("ocrchat_t_{}", uuid::Uuid::new_v4().simple());
        let store = Store::connect(&Options::new(format!("{}/{name}", server())))
            .await
            .expect("connect and migrate");
        TestDb { name, store }
    }

    async fn drop(self) {
        self.store.close().await.unwrap();
        let admin = Database::connect(format!("{}/postgres", server()))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name))
            .await
            .unwrap();
    }
}

fn server() -> String {
    std::env::var("OCRCHAT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

const JOB: JobId = JobId(uuid::Uuid::from_u128(10));
const ALICE: AccountId = AccountId(uuid::Uuid::from_u128(20));
const BOB: AccountId = AccountId(uuid::Uuid::from_u128(21));

fn answer(text: &str) -> Answer {
    let mut a = chat::not_found_answer(2);
    a.content = text.to_owned();
    a.citations = vec![Citation {
        page: PageIndex(1),
        snippet: format!("snippet for {text}"),
    }];
    a.meta.model = Some("local".into());
    a.meta.latency_ms = 42;
    a
}

#[tokio::test]
async fn exchanges_are_recorded_in_order_and_rebuild_identically() {
    let db = TestDb::create().await;
    let store = &db.store;
    let id = ConversationId::new_v7();

    let first = store
        .record_exchange(id, JOB, ALICE, "q1".into(), answer("a1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "started, asked, answered"
    );
    store
        .record_exchange(id, JOB, ALICE, "q2".into(), answer("a2"))
        .await
        .unwrap()
        .unwrap();

    let history = store.chat_history(JOB, ALICE, None).await.unwrap();
    let lines: Vec<(Role, &str)> = history
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (Role::User, "q1"),
            (Role::Assistant, "a1"),
            (Role::User, "q2"),
            (Role::Assistant, "a2"),
        ]
    );
    assert_eq!(history[1].citations[0].page, PageIndex(1));
    assert_eq!(history[1].meta.as_ref().unwrap().latency_ms, 42);
    assert!(history[0].meta.is_none() && history[0].citations.is_empty());

    // Another account sees nothing and cannot continue it.
    assert!(store.chat_history(JOB, BOB, None).await.unwrap().is_empty());
    let refused = store
        .record_exchange(id, JOB, BOB, "q".into(), answer("a"))
        .await
        .unwrap();
    assert_eq!(refused, Err(chat::Error::NotThisConversation(id)));

    // Rebuilding the projection from events gives the same transcript.
    assert_eq!(store.rebuild_conversation(id).await.unwrap(), 5);
    assert_eq!(store.chat_history(JOB, ALICE, None).await.unwrap(), history);
    assert_eq!(store.conversations_of(JOB, ALICE).await.unwrap(), vec![id]);
    assert_eq!(store.load_conversation(id).await.unwrap().turns.len(), 4);
    db.drop().await;
}

#[tokio::test]
async fn racing_exchanges_all_land_each_answer_after_its_question() {
    let db = TestDb::create().await;
    let id = ConversationId::new_v7();
    let racers = (0..6).map(|i| {
        let store = db.store.clone();
        async move {
            store
                .record_exchange(id, JOB, ALICE, format!("q{i}"), answer(&format!("a{i}")))
                .await
        }
    });
    for result in futures::future::join_all(racers).await {
        result.unwrap().unwrap();
    }
    let history = db.store.chat_history(JOB, ALICE, Some(id)).await.unwrap();
    assert_eq!(history.len(), 12);
    for pair in history.chunks(2) {
        assert_eq!(pair[0].role, Role::User);
        assert_eq!(pair[1].role, Role::Assistant);
        assert_eq!(pair[0].content[1..], pair[1].content[1..], "{pair:?}");
    }
    let seqs: Vec<u64> = history.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (2..=13).collect::<Vec<_>>(), "one stream, no gaps");
    db.drop().await;
}

#[tokio::test]
async fn erasing_a_job_erases_its_conversations_only() {
    let db = TestDb::create().await;
    let store = &db.store;
    let other = JobId(uuid::Uuid::from_u128(11));
    for job in [JOB, JOB, other] {
        store
            .record_exchange(
                ConversationId::new_v7(),
                job,
                ALICE,
                "q".into(),
                answer("a"),
            )
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(store.delete_job_conversations(JOB).await.unwrap(), 2);
    assert!(store
        .chat_history(JOB, ALICE, None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.all_conversation_ids().await.unwrap().len(), 1);
    assert_eq!(
        store.chat_history(other, ALICE, None).await.unwrap().len(),
        2
    );
    db.drop().await;
}
