//! The OpenAPI document in the shape client generators read without loss (issue 13).
//!
//! poem-openapi describes a field that has a description and a schema of its own (an enum, an
//! object) as `{"allOf": [{"$ref": …}, {"description": …}]}`. `openapi-python-client` cannot
//! take such an `allOf` of an enum ("Cannot take allOf a non-object") and drops every schema
//! that uses one (the job, the chat answer), and `openapi-typescript` types it `X & unknown`.
//! It also leaves `Option` fields merely optional, while most of them are sent as `null`. So,
//! after generation:
//!
//! - an `allOf` of one `$ref` plus annotations becomes that `$ref` with the annotations beside
//!   it (OpenAPI 3.0 tools read the reference and keep or ignore the description);
//! - every property that is not required is `nullable` (a `$ref` one as the usual 3.0 form,
//!   `{"allOf": [{"$ref": …}], "nullable": true}`): each is either sent as `null` or left out,
//!   and a client must accept both;
//! - the upload's `file` part lists the media types the server reads (`encoding`), so clients
//!   and fuzzers know a document is wanted, not any bytes (the server decides from the bytes);
//! - the upload's `file` is required, as the handler requires it (it answers `400` without), and
//!   the form takes no other fields than those described (a part named in bytes that are not
//!   UTF-8 cannot even be parsed);
//! - unsigned integers (`format: uint64`) have `minimum: 0`, which a `format` alone does not say
//!   to validators (a contract fuzzer sent `Last-Event-ID: -1`);
//! - every operation with a request body declares `415` (no or a wrong `Content-Type`);
//! - a `text/event-stream` answer is described as one event, its `data` (JSON in a string) by
//!   the fields of the item schema, which leaves `components` when nothing else refers to it;
//! - the submit's answer links to the job's operations by its `uuid` (OpenAPI links), so
//!   stateful clients and fuzzers can follow a job from its creation.

use serde_json::{Map, Value};

/// Keys that only annotate a schema.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "default",
    "example",
    "readOnly",
    "writeOnly",
    "deprecated",
];

/// Applies every rewrite above to a whole document.
pub fn for_generators(doc: &mut Value) {
    flatten_single_ref_all_of(doc);
    unsigned_minimums(doc);
    json_bodies_are_objects(doc);
    event_streams_by_event(doc);
    constrain_fields(doc);
    declare_unsupported_media_type(doc);
    link_submit_to_the_job(doc);
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            nullable_optionals(schema);
        }
    }
    require_upload_file(doc);
    declare_upload_types(doc);
}

/// `minimum: 0` on every `uint*` integer.
fn unsigned_minimums(node: &mut Value) {
    match node {
        Value::Object(map) => {
            let unsigned = map.get("type").and_then(Value::as_str) == Some("integer")
                && map
                    .get("format")
                    .and_then(Value::as_str)
                    .is_some_and(|f| f.starts_with("uint"));
            if unsigned && !map.contains_key("minimum") {
                map.insert("minimum".into(), Value::from(0));
            }
            let largest = match map.get("format").and_then(Value::as_str) {
                Some("uint64") => Some(Value::from(u64::MAX)),
                Some("uint32") => Some(Value::from(u32::MAX)),
                Some("uint16") => Some(Value::from(u16::MAX)),
                Some("uint8") => Some(Value::from(u8::MAX)),
                _ => None,
            };
            if let (true, Some(largest)) = (unsigned, largest) {
                map.entry("maximum").or_insert(largest);
            }
            map.values_mut().for_each(unsigned_minimums);
        }
        Value::Array(items) => items.iter_mut().for_each(unsigned_minimums),
        _ => {}
    }
}

/// A JSON media type whose schema poem-openapi wrote as binary (a download in JSON format) is a
/// JSON object, not a string.
fn json_bodies_are_objects(node: &mut Value) {
    match node {
        Value::Object(map) => {
            for (media, content) in map.iter_mut() {
                let binary = content.get("schema").is_some_and(|schema| {
                    schema.get("type") == Some(&Value::from("string"))
                        && schema.get("format") == Some(&Value::from("binary"))
                });
                if media.starts_with("application/json") && binary {
                    content["schema"] = serde_json::json!({
                        "type": "object",
                        "description": "The JSON document of this format."
                    });
                }
            }
            map.values_mut().for_each(json_bodies_are_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(json_bodies_are_objects),
        _ => {}
    }
}

/// `text/event-stream` is described event by event (what a reader of the stream validates),
/// each event's `data` being one item of the original array schema, as JSON. OpenAPI 3.0 cannot
/// reference a schema for the JSON inside a string (3.1's `contentSchema` is an error to 3.0
/// validators), so the item's fields are listed in `data`'s description, and the item schema,
/// then referenced nowhere, leaves `components`: generators report an unused schema as a
/// warning (OpenAPI Generator's `validate`), and a model nothing returns is no use to a client.
fn event_streams_by_event(doc: &mut Value) {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let mut items = Vec::new();
    rewrite_event_streams(doc, &schemas, &mut items);
    for item in items {
        let reference = Value::from(format!("#/components/schemas/{item}"));
        if !refers_to(doc, &reference) {
            if let Some(schemas) = doc
                .pointer_mut("/components/schemas")
                .and_then(Value::as_object_mut)
            {
                schemas.remove(&item);
            }
        }
    }
}

fn rewrite_event_streams(node: &mut Value, schemas: &Value, items: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(stream) = map.get_mut("text/event-stream") {
                let item = stream
                    .pointer("/schema/items/$ref")
                    .and_then(Value::as_str)
                    .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned());
                if let Some(item) = item {
                    let data = match schemas.get(&item) {
                        Some(schema) => json_fields(schema),
                        None => format!("A {item}, as JSON."),
                    };
                    stream["schema"] = serde_json::json!({
                        "type": "object",
                        "description": "One server-sent event; its `data` is a JSON object.",
                        "required": ["data"],
                        "properties": {
                            "data": {"type": "string", "description": data},
                            "event": {"type": "string"},
                            "id": {"type": "string", "description": "The event's sequence number (send it back as `Last-Event-ID` to resume)."},
                            "retry": {"type": "integer", "minimum": 0}
                        }
                    });
                    items.push(item);
                }
            }
            map.values_mut()
                .for_each(|v| rewrite_event_streams(v, schemas, items));
        }
        Value::Array(values) => values
            .iter_mut()
            .for_each(|v| rewrite_event_streams(v, schemas, items)),
        _ => {}
    }
}

/// An object schema's description and fields, as Markdown: what a reader of `data` decodes.
fn json_fields(schema: &Value) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut text = match schema.get("description").and_then(Value::as_str) {
        Some(what) => format!("{}, as a JSON object:\n", what.trim_end_matches('.')),
        None => "A JSON object:\n".to_owned(),
    };
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, property) in properties {
        let kind = property
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("object");
        let presence = if required.contains(&name.as_str()) {
            ""
        } else {
            ", absent or null when it does not apply"
        };
        let what = property
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .replace('\n', " ");
        text.push_str(&format!("\n- `{name}` ({kind}{presence}): {what}"));
    }
    text
}

/// Whether `node` holds `reference` as a `$ref` anywhere.
fn refers_to(node: &Value, reference: &Value) -> bool {
    match node {
        Value::Object(map) => {
            map.get("$ref") == Some(reference) || map.values().any(|v| refers_to(v, reference))
        }
        Value::Array(values) => values.iter().any(|v| refers_to(v, reference)),
        _ => false,
    }
}

/// A pattern that matches text with at least one character a chat question keeps
/// (`domain::chat::validate_question` drops NULs and trims white space): one outside Unicode's
/// White_Space set and not NUL, listed rather than written `\S`, whose set differs between
/// regex engines (ECMA-262's leaves out U+0085 and adds U+FEFF). A fuzzer's questions of
/// `\u0085` and of `\u0000` passed `\S`, and the server, left with nothing, refused them.
const NOT_ONLY_WHITE_SPACE: &str =
    "[^\\u0000\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// What the server enforces on free-text fields and closed sets, said in the schema so clients
/// and validators know before the server answers `400`.
fn constrain_fields(doc: &mut Value) {
    if let Some(message) = doc.pointer_mut("/components/schemas/ChatRequest/properties/message") {
        if let Some(map) = message.as_object_mut() {
            map.insert("minLength".into(), Value::from(1));
            map.insert(
                "maxLength".into(),
                Value::from(domain::chat::MAX_QUESTION_CHARS as u64),
            );
            // Not only white space (the server trims the question).
            map.insert("pattern".into(), Value::from(NOT_ONLY_WHITE_SPACE));
        }
    }
    let form =
        "/paths/~1api~1v1~1ocr~1/post/requestBody/content/multipart~1form-data/schema/properties";
    let closed: [(&str, Vec<&str>); 3] = [
        (
            "tier",
            domain::Tier::ALL.iter().map(|t| t.as_str()).collect(),
        ),
        (
            "tool",
            domain::Tool::ALL.iter().map(|t| t.as_str()).collect(),
        ),
        (
            "engine",
            domain::EngineChoice::ALL
                .iter()
                .map(|e| e.as_str())
                .collect(),
        ),
    ];
    if let Some(properties) = doc.pointer_mut(form).and_then(Value::as_object_mut) {
        for (field, values) in closed {
            if let Some(map) = properties.get_mut(field).and_then(Value::as_object_mut) {
                map.insert("enum".into(), Value::from(values));
            }
        }
        let patterns = [
            ("language", domain::language::request_pattern()),
            ("translate_to", domain::language::translate_target_pattern()),
            ("callback_url", workers::webhook::URL_PATTERN.to_owned()),
        ];
        for (field, pattern) in patterns {
            if let Some(map) = properties.get_mut(field).and_then(Value::as_object_mut) {
                map.insert("pattern".into(), Value::from(pattern));
            }
        }
    }
    if let Some(schema) = parameter_schema(doc, "post", "Idempotency-Key") {
        schema.insert(
            "maxLength".into(),
            Value::from(crate::routes::ocr::MAX_IDEMPOTENCY_KEY_CHARS as u64),
        );
    }
    if let Some(schema) = parameter_schema(doc, "get", "cursor") {
        schema.insert(
            "pattern".into(),
            Value::from(domain::listing::JobCursor::PATTERN),
        );
    }
}

/// The schema of the parameter `name` of `method` on `/api/v1/ocr/`, if the document has it.
fn parameter_schema<'a>(
    doc: &'a mut Value,
    method: &str,
    name: &str,
) -> Option<&'a mut Map<String, Value>> {
    doc.pointer_mut(&format!("/paths/~1api~1v1~1ocr~1/{method}/parameters"))?
        .as_array_mut()?
        .iter_mut()
        .find(|p| p["name"] == name)?
        .get_mut("schema")?
        .as_object_mut()
}

/// The operations of a document, as (path, method, operation) entries.
fn operations(doc: &mut Value) -> Vec<&mut Map<String, Value>> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(Value::as_object_mut)
        .filter(|op| op.contains_key("responses"))
        .collect()
}

/// `415` with the JSON error body on every operation that takes a body.
fn declare_unsupported_media_type(doc: &mut Value) {
    for op in operations(doc) {
        if !op.contains_key("requestBody") {
            continue;
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            responses.entry("415").or_insert_with(|| {
                serde_json::json!({
                    "description": "The body is not of the declared media type (or has no \
                                    `Content-Type`).",
                    "content": {"application/json; charset=utf-8": {
                        "schema": {"$ref": "#/components/schemas/ErrorBody"}
                    }}
                })
            });
        }
    }
}

/// The operations a job's `uuid` leads to from the submit's answer.
const JOB_OPERATIONS: &[(&str, &str)] = &[
    ("GetJob", "get_job"),
    ("DeleteJob", "delete_job"),
    ("DownloadJob", "download_job"),
    ("ListJobEvents", "list_job_events"),
    ("StreamJobEvents", "stream_job_events"),
    ("Chat", "chat"),
    ("GetChatHistory", "get_chat_history"),
];

/// OpenAPI links from `submit_job`'s `200` to every operation on the job.
fn link_submit_to_the_job(doc: &mut Value) {
    let known: Vec<String> = operations(doc)
        .iter()
        .filter_map(|op| op.get("operationId")?.as_str().map(str::to_owned))
        .collect();
    let Some(ok) = doc.pointer_mut("/paths/~1api~1v1~1ocr~1/post/responses/200") else {
        return;
    };
    let links: Map<String, Value> = JOB_OPERATIONS
        .iter()
        .filter(|(_, id)| known.iter().any(|k| k == id))
        .map(|(name, id)| {
            (
                (*name).to_owned(),
                serde_json::json!({
                    "operationId": id,
                    "parameters": {"uuid": "$response.body#/uuid"},
                    "description": "The job this answer describes, by its `uuid`."
                }),
            )
        })
        .collect();
    if let Some(ok) = ok.as_object_mut() {
        ok.insert("links".into(), Value::Object(links));
    }
}

/// `{"allOf": [{"$ref": X}, {"description": D}]}` → `{"$ref": X, "description": D}`, anywhere.
fn flatten_single_ref_all_of(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if let Some(flat) = single_ref(map) {
                *map = flat;
            }
            for value in map.values_mut() {
                flatten_single_ref_all_of(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(flatten_single_ref_all_of),
        _ => {}
    }
}

fn single_ref(map: &Map<String, Value>) -> Option<Map<String, Value>> {
    let members = map.get("allOf")?.as_array()?;
    let (refs, others): (Vec<&Value>, Vec<&Value>) =
        members.iter().partition(|m| m.get("$ref").is_some());
    let annotation_only = |m: &&Value| {
        m.as_object()
            .is_some_and(|o| o.keys().all(|k| ANNOTATIONS.contains(&k.as_str())))
    };
    if refs.len() != 1 || !others.iter().all(annotation_only) {
        return None;
    }
    let mut flat: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| k.as_str() != "allOf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for other in others.iter().filter_map(|o| o.as_object()) {
        flat.extend(other.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    flat.insert("$ref".into(), refs[0]["$ref"].clone());
    Some(flat)
}

/// Marks an object schema's optional properties nullable.
fn nullable_optionals(schema: &mut Value) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if required.contains(name) {
            continue;
        }
        let Some(map) = property.as_object_mut() else {
            continue;
        };
        if let Some(reference) = map.remove("$ref") {
            map.insert(
                "allOf".into(),
                Value::Array(vec![serde_json::json!({ "$ref": reference })]),
            );
        }
        map.insert("nullable".into(), Value::Bool(true));
    }
}

/// The submit's `file` part: `encoding.file.contentType` lists every format read.
fn declare_upload_types(doc: &mut Value) {
    let Some(media) = doc
        .pointer_mut("/paths/~1api~1v1~1ocr~1/post/requestBody/content/multipart~1form-data")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let types: Vec<&str> = domain::FileKind::ALL.iter().map(|k| k.mime()).collect();
    media.insert(
        "encoding".into(),
        serde_json::json!({"file": {"contentType": types.join(", ")}}),
    );
}

/// The submit's multipart schema lists `file` as required.
fn require_upload_file(doc: &mut Value) {
    let Some(schema) = doc.pointer_mut(
        "/paths/~1api~1v1~1ocr~1/post/requestBody/content/multipart~1form-data/schema",
    ) else {
        return;
    };
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#').to_owned();
            let Some(target) = doc.pointer_mut(&pointer) else {
                return;
            };
            target
        }
        None => schema,
    };
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    map.insert("additionalProperties".into(), Value::Bool(false));
    let required = map
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = required.as_array_mut() {
        if !list.iter().any(|v| v == "file") {
            list.insert(0, Value::String("file".into()));
        }
    }
    if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
        if let Some(file) = props.get_mut("file").and_then(Value::as_object_mut) {
            file.remove("nullable");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_described_reference_becomes_a_plain_reference_with_its_description() {
        let mut doc = json!({"components": {"schemas": {"Job": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"allOf": [{"$ref": "#/components/schemas/Status"}, {"description": "Where it stands."}]},
                "both": {"allOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
                "mixed": {"allOf": [{"$ref": "#/components/schemas/A"}, {"type": "object", "properties": {}}]}
            }
        }}}});
        for_generators(&mut doc);
        let props = &doc["components"]["schemas"]["Job"]["properties"];
        assert_eq!(
            props["status"],
            json!({"$ref": "#/components/schemas/Status", "description": "Where it stands."})
        );
        // Real compositions stay (and, being optional, become nullable).
        assert_eq!(props["both"]["allOf"].as_array().unwrap().len(), 2);
        assert_eq!(props["mixed"]["allOf"].as_array().unwrap().len(), 2);
        assert_eq!(props["mixed"]["nullable"], true);
    }

    #[test]
    fn optional_properties_are_nullable_and_required_ones_untouched() {
        let mut doc = json!({"components": {"schemas": {"Page": {
            "type": "object",
            "required": ["index"],
            "properties": {
                "index": {"type": "integer"},
                "mean_confidence": {"type": "number", "description": "null before any page"},
                "metadata": {"allOf": [{"$ref": "#/components/schemas/Meta"}, {"description": "Extra."}]}
            }
        }}}});
        for_generators(&mut doc);
        let props = &doc["components"]["schemas"]["Page"]["properties"];
        assert_eq!(props["index"], json!({"type": "integer"}));
        assert_eq!(
            props["mean_confidence"],
            json!({"type": "number", "description": "null before any page", "nullable": true})
        );
        assert_eq!(
            props["metadata"],
            json!({"allOf": [{"$ref": "#/components/schemas/Meta"}], "description": "Extra.", "nullable": true})
        );
    }

    #[test]
    fn an_event_stream_is_one_event_whose_data_lists_the_item_fields() {
        let mut doc = json!({
            "paths": {"/events": {"get": {"responses": {"200": {"content": {
                "text/event-stream": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Progress"}}}
            }}}}}},
            "components": {"schemas": {
                "Progress": {"type": "object", "description": "A live update.", "required": ["seq"], "properties": {
                    "seq": {"type": "integer", "description": "Position."},
                    "error": {"type": "string", "description": "Why it failed."}
                }},
                "Kept": {"type": "object"}
            }}
        });
        for_generators(&mut doc);
        let event = &doc["paths"]["/events"]["get"]["responses"]["200"]["content"]
            ["text/event-stream"]["schema"];
        assert_eq!(event["required"], json!(["data"]));
        assert_eq!(
            event["properties"]["data"]["description"],
            "A live update, as a JSON object:\n\n- `seq` (integer): Position.\n- `error` (string, \
             absent or null when it does not apply): Why it failed."
        );
        // Referenced by nothing any more, the item schema goes; the others stay.
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        assert!(!schemas.contains_key("Progress"));
        assert!(schemas.contains_key("Kept"));
    }

    #[test]
    fn the_white_space_the_pattern_lists_is_what_trim_strips() {
        // Every `\uXXXX` and range of the class, expanded, against what a question drops.
        let class = NOT_ONLY_WHITE_SPACE
            .trim_start_matches("[^")
            .trim_end_matches(']');
        let mut listed: Vec<char> = vec!['\t', '\n', '\u{c}', '\r', ' '];
        let escapes: Vec<u32> = class
            .split("\\u")
            .skip(1)
            .map(|e| u32::from_str_radix(&e[..4], 16).unwrap())
            .collect();
        let mut i = 0;
        while i < escapes.len() {
            if class.contains(&format!(
                "{:04x}-\\u{:04x}",
                escapes[i],
                escapes.get(i + 1).copied().unwrap_or(0)
            )) {
                listed.extend((escapes[i]..=escapes[i + 1]).filter_map(char::from_u32));
                i += 2;
            } else {
                listed.extend(char::from_u32(escapes[i]));
                i += 1;
            }
        }
        listed.sort();
        let white: Vec<char> = (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace() || *c == '\0')
            .collect();
        assert_eq!(listed, white);
    }

    #[test]
    fn the_upload_file_is_required() {
        let mut doc = json!({"paths": {"/api/v1/ocr/": {"post": {"requestBody": {"content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"},
                "tier": {"type": "string"}
            }}}
        }}}}}});
        for_generators(&mut doc);
        let schema = &doc["paths"]["/api/v1/ocr/"]["post"]["requestBody"]["content"]
            ["multipart/form-data"]["schema"];
        assert_eq!(schema["required"], json!(["file"]));
    }
}
