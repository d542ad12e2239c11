//! Conversations about jobs: their event streams, the transcript projection, and the page texts
//! chat reads.
//!
//! Like jobs, a conversation is an append-only stream (`conversation_events`, primary key
//! `(conversation_id, seq)`) appended at the expected version; the `conversations` and
//! `conversation_messages` projections are written in the same transaction and can be rebuilt from
//! the events at any time (`rebuild_conversation`). Projection code uses only the event and its
//! recorded time, so a rebuild writes the same rows.

use crate::{
    connect::Store,
    error::{Error, Result},
};
use chrono::{DateTime, FixedOffset, Utc};
use domain::{
    chat::{
        self, Answer, AnswerMeta, Citation, Conversation, ConversationEvent, ConversationId, Role,
    },
    AccountId, JobId, SCHEMA_VERSION,
};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement, TransactionTrait, Value,
};

/// How many times recording an exchange reloads after losing a race before giving up.
const MAX_CONFLICT_RETRIES: usize = 8;

fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}

/// A conversation event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedMessage {
    /// The stream.
    pub conversation: ConversationId,
    /// 1-based position in the stream.
    pub seq: u64,
    /// The event.
    pub event: ConversationEvent,
    /// Commit-time clock.
    pub recorded_at: DateTime<Utc>,
}

/// One message of a transcript, from the projection.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageView {
    /// The conversation it belongs to.
    pub conversation: ConversationId,
    /// Its position in the conversation's stream.
    pub seq: u64,
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
    /// Verified citations (assistant messages only).
    pub citations: Vec<Citation>,
    /// How the answer came about (assistant messages only).
    pub meta: Option<AnswerMeta>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// The text of one recognised page, without its layout: what chat indexes and verifies against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageTextRow {
    /// 0-based page index.
    pub index: u32,
    /// The page text, as in the job JSON.
    pub text: String,
    /// Tesseract languages the page was recognised with (`deu+eng`; empty if unknown).
    pub language: String,
}

impl Store {
    /// A conversation replayed from its events; an unknown id gives version 0 (not started).
    pub async fn load_conversation(&self, id: ConversationId) -> Result<Conversation> {
        let events = load_in(&self.db, id).await?;
        Ok(Conversation::replay(id, events.iter().map(|r| &r.event)))
    }

    /// Appends conversation events after `expected` and updates the projections, in one
    /// transaction. Fails with `Error::ConversationConflict` when another writer took a position.
    pub async fn append_conversation(
        &self,
        id: ConversationId,
        job: JobId,
        expected: u64,
        events: Vec<ConversationEvent>,
    ) -> Result<Vec<RecordedMessage>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let txn = self.db.begin().await?;
        // Microsecond precision, as Postgres stores it, so a rebuild sees what was projected.
        let now = DateTime::<Utc>::from_timestamp_micros(Utc::now().timestamp_micros())
            .unwrap_or_else(Utc::now);
        let mut recorded = Vec::with_capacity(events.len());
        for (offset, event) in events.into_iter().enumerate() {
            let seq = expected + 1 + offset as u64;
            let payload = serde_json::to_value(&event).map_err(Error::Serialize)?;
            // DO NOTHING and count rows: a lost race must not abort the transaction.
            let inserted = txn
                .execute(stmt(
                    "INSERT INTO conversation_events \
                       (conversation_id, seq, job_id, kind, schema_version, payload, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    vec![
                        id.0.into(),
                        (seq as i64).into(),
                        job.0.into(),
                        event.kind().into(),
                        (SCHEMA_VERSION as i32).into(),
                        payload.into(),
                        now.fixed_offset().into(),
                    ],
                ))
                .await?
                .rows_affected();
            if inserted == 0 {
                return Err(Error::ConversationConflict {
                    conversation: id.0,
                    expected,
                });
            }
            let rec = RecordedMessage {
                conversation: id,
                seq,
                event,
                recorded_at: now,
            };
            project(&txn, &rec).await?;
            recorded.push(rec);
        }
        txn.commit().await?;
        Ok(recorded)
    }

    /// Records a question with its answer (the first exchange also opens the conversation).
    /// On a lost race it reloads and records after the winner, a bounded number of times; a
    /// conversation of another job or account comes back as `Ok(Err(rule))`.
    pub async fn record_exchange(
        &self,
        id: ConversationId,
        job: JobId,
        account: AccountId,
        question: String,
        answer: Answer,
    ) -> Result<std::result::Result<Vec<RecordedMessage>, chat::Error>> {
        let mut attempt = 0;
        loop {
            let conversation = self.load_conversation(id).await?;
            let events = match chat::record_exchange(
                &conversation,
                job,
                account,
                question.clone(),
                answer.clone(),
            ) {
                Ok(events) => events,
                Err(rule) => return Ok(Err(rule)),
            };
            match self
                .append_conversation(id, job, conversation.version, events)
                .await
            {
                Ok(recorded) => return Ok(Ok(recorded)),
                Err(Error::ConversationConflict { .. }) if attempt < MAX_CONFLICT_RETRIES => {
                    attempt += 1;
                    tracing::debug!(conversation = %id, attempt, "conversation append lost a race");
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// The transcript of a job for an account, in order: every message of its conversations
    /// (or of one, when `only` is given). Messages of one exchange share a commit time, so the
    /// order is commit time, then conversation, then position.
    pub async fn chat_history(
        &self,
        job: JobId,
        account: AccountId,
        only: Option<ConversationId>,
    ) -> Result<Vec<MessageView>> {
        let rows = self
            .db
            .query_all(stmt(
                "SELECT m.conversation_id, m.seq, m.role, m.content, m.citations, m.meta, \
                        m.created_at \
                 FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id \
                 WHERE c.job_id = $1 AND c.account_id = $2 AND ($3::uuid IS NULL OR c.id = $3) \
                 ORDER BY m.created_at, m.conversation_id, m.seq",
                vec![job.0.into(), account.0.into(), only.map(|c| c.0).into()],
            ))
            .await?;
        rows.into_iter()
            .map(|row| {
                let conversation = ConversationId(row.try_get_by_index(0)?);
                let seq: i64 = row.try_get_by_index(1)?;
                let corrupt = |source| Error::CorruptConversation {
                    conversation: conversation.0,
                    seq,
                    source,
                };
                let role: String = row.try_get_by_index(2)?;
                let citations: serde_json::Value = row.try_get_by_index(4)?;
                let meta: Option<serde_json::Value> = row.try_get_by_index(5)?;
                let created_at: DateTime<FixedOffset> = row.try_get_by_index(6)?;
                Ok(MessageView {
                    conversation,
                    seq: seq as u64,
                    role: if role == Role::Assistant.as_str() {
                        Role::Assistant
                    } else {
                        Role::User
                    },
                    content: row.try_get_by_index(3)?,
                    citations: serde_json::from_value(citations).map_err(corrupt)?,
                    meta: meta
                        .map(serde_json::from_value)
                        .transpose()
                        .map_err(corrupt)?,
                    created_at: created_at.with_timezone(&Utc),
                })
            })
            .collect()
    }

    /// The account's conversations about a job, oldest first.
    pub async fn conversations_of(
        &self,
        job: JobId,
        account: AccountId,
    ) -> Result<Vec<ConversationId>> {
        let rows = self
            .db
            .query_all(stmt(
                "SELECT id FROM conversations WHERE job_id = $1 AND account_id = $2 \
                 ORDER BY created_at, id",
                vec![job.0.into(), account.0.into()],
            ))
            .await?;
        rows.into_iter()
            .map(|row| Ok(ConversationId(row.try_get_by_index(0)?)))
            .collect()
    }

    /// Drops a conversation's projection rows and rebuilds them from its events, in one
    /// transaction. Returns the number of events replayed (0: no such conversation).
    pub async fn rebuild_conversation(&self, id: ConversationId) -> Result<usize> {
        let txn = self.db.begin().await?;
        txn.execute(stmt(
            "DELETE FROM conversations WHERE id = $1",
            vec![id.0.into()],
        ))
        .await?;
        let events = load_in(&txn, id).await?;
        for rec in &events {
            project(&txn, rec).await?;
        }
        txn.commit().await?;
        Ok(events.len())
    }

    /// Every conversation with events, for a full replay.
    pub async fn all_conversation_ids(&self) -> Result<Vec<ConversationId>> {
        let rows = self
            .db
            .query_all(stmt(
                "SELECT DISTINCT conversation_id FROM conversation_events",
                vec![],
            ))
            .await?;
        rows.into_iter()
            .map(|row| Ok(ConversationId(row.try_get_by_index(0)?)))
            .collect()
    }

    /// Erases every conversation about a job: events and projections, in one transaction.
    /// Returns how many conversations were erased. Erasing a job calls this.
    pub async fn delete_job_conversations(&self, job: JobId) -> Result<u64> {
        let txn = self.db.begin().await?;
        let erased = delete_job_conversations_in(&txn, job).await?;
        txn.commit().await?;
        Ok(erased)
    }

    /// The texts of a job's recognised pages (all of them, or only `pages`), in page order,
    /// without their layout: far smaller than the full results the job JSON needs.
    pub async fn page_texts(&self, job: JobId, pages: Option<&[u32]>) -> Result<Vec<PageTextRow>> {
        let wanted: Option<Vec<i32>> =
            pages.map(|p| p.iter().filter_map(|i| i32::try_from(*i).ok()).collect());
        let rows = self
            .db
            .query_all(stmt(
                "SELECT idx, text, COALESCE(result->>'language', '') FROM pages \
                 WHERE job_id = $1 AND ($2::int4[] IS NULL OR idx = ANY($2)) ORDER BY idx",
                vec![
                    job.0.into(),
                    Value::Array(
                        sea_orm::sea_query::ArrayType::Int,
                        wanted.map(|w| Box::new(w.into_iter().map(Value::from).collect())),
                    ),
                ],
            ))
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(PageTextRow {
                    index: row.try_get_by_index::<i32>(0)?.max(0) as u32,
                    text: row.try_get_by_index(1)?,
                    language: row.try_get_by_index(2)?,
                })
            })
            .collect()
    }
}

/// Deletes a job's conversations (events and projections) inside a caller's transaction, so an
/// erasure can share it. Returns how many conversations were erased.
pub async fn delete_job_conversations_in(txn: &DatabaseTransaction, job: JobId) -> Result<u64> {
    // Messages go with their conversation row (ON DELETE CASCADE).
    txn.execute(stmt(
        "DELETE FROM conversations WHERE job_id = $1",
        vec![job.0.into()],
    ))
    .await?;
    let streams = txn
        .query_all(stmt(
            "DELETE FROM conversation_events WHERE job_id = $1 RETURNING conversation_id",
            vec![job.0.into()],
        ))
        .await?;
    let mut ids: Vec<uuid::Uuid> = streams
        .iter()
        .filter_map(|r| r.try_get_by_index(0).ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids.len() as u64)
}

async fn load_in<C: ConnectionTrait>(db: &C, id: ConversationId) -> Result<Vec<RecordedMessage>> {
    let rows = db
        .query_all(stmt(
            "SELECT seq, payload, recorded_at FROM conversation_events \
             WHERE conversation_id = $1 ORDER BY seq",
            vec![id.0.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            let seq: i64 = row.try_get_by_index(0)?;
            let payload: serde_json::Value = row.try_get_by_index(1)?;
            let recorded_at: DateTime<FixedOffset> = row.try_get_by_index(2)?;
            Ok(RecordedMessage {
                conversation: id,
                seq: seq as u64,
                event: serde_json::from_value(payload).map_err(|source| {
                    Error::CorruptConversation {
                        conversation: id.0,
                        seq,
                        source,
                    }
                })?,
                recorded_at: recorded_at.with_timezone(&Utc),
            })
        })
        .collect()
}

/// Applies one recorded event to the projections inside the append's transaction.
async fn project(txn: &DatabaseTransaction, rec: &RecordedMessage) -> Result<()> {
    let id = rec.conversation.0;
    let seq = rec.seq as i64;
    let at = rec.recorded_at.fixed_offset();
    let message = |role: Role, content: &str, citations: serde_json::Value, meta: Value| {
        stmt(
            "INSERT INTO conversation_messages \
               (conversation_id, seq, role, content, citations, meta, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            vec![
                id.into(),
                seq.into(),
                role.as_str().into(),
                content.into(),
                citations.into(),
                meta,
                at.into(),
            ],
        )
    };
    match &rec.event {
        ConversationEvent::Started { job, account } => {
            txn.execute(stmt(
                "INSERT INTO conversations (id, job_id, account_id, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
                vec![id.into(), job.0.into(), account.0.into(), seq.into(), at.into()],
            ))
            .await?;
        }
        ConversationEvent::UserAsked { content } => {
            txn.execute(message(
                Role::User,
                content,
                serde_json::Value::Array(Vec::new()),
                Value::Json(None),
            ))
            .await?;
        }
        ConversationEvent::AssistantAnswered {
            content,
            citations,
            meta,
        } => {
            let citations = serde_json::to_value(citations).map_err(Error::Serialize)?;
            let meta = serde_json::to_value(meta).map_err(Error::Serialize)?;
            txn.execute(message(Role::Assistant, content, citations, meta.into()))
                .await?;
        }
    }
    txn.execute(stmt(
        "UPDATE conversations SET version = $2, updated_at = $3 WHERE id = $1",
        vec![id.into(), seq.into(), at.into()],
    ))
    .await?;
    Ok(())
}
