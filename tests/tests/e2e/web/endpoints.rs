//! The page endpoints, the job listing and the page itself, over HTTP.

use super::{assert_not_found, done_job, get, header, layout_words};
use crate::support::tiny_png;
use serde_json::Value;
use std::collections::HashSet;
use tests::{corpus, Spawn, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn a_page_and_its_image_are_served_to_whoever_may_read_the_job_and_cached() {
    let app = TestApp::spawn().await;
    let owner = app.token_for("owner@example.com").await;
    let other = app.token_for("other@example.com").await;
    let receipt = corpus::entry("en_receipt_02.jpg");
    let bytes = std::fs::read(receipt.path()).expect("corpus file");
    let job = done_job(&app, bytes, "receipt.jpg", Some(&owner)).await;
    let uuid = job["uuid"].as_str().unwrap().to_owned();
    let (width, height) = (
        job["pages"][0]["width"].as_u64().unwrap(),
        job["pages"][0]["height"].as_u64().unwrap(),
    );

    // The image: the page's own frame, with caching headers, and a 304 for its ETag.
    let image_path = format!("/api/v1/ocr/{uuid}/pages/0/image/");
    let resp = get(&app, &image_path, Some(&owner), &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-type"), "image/jpeg");
    let cache = header(&resp, "cache-control");
    assert!(
        cache.contains("private") && cache.contains("max-age="),
        "{cache}"
    );
    assert_eq!(header(&resp, "vary"), "Authorization");
    assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    let etag = header(&resp, "etag");
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let data = resp.bytes().await.unwrap();
    assert_eq!(
        tests::pdf::jpeg_size(&data).map(|(w, h)| (u64::from(w), u64::from(h))),
        Some((width, height)),
        "the image is the frame the boxes are in"
    );
    let again = get(&app, &image_path, Some(&owner), &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), etag);
    assert!(again.bytes().await.unwrap().is_empty());

    // The layout: every word with its box and confidence, the same words the page's text has
    // and as many as the job's history counted.
    let layout_path = format!("/api/v1/ocr/{uuid}/pages/0/");
    let resp = get(&app, &layout_path, Some(&owner), &[]).await;
    assert_eq!(resp.status(), 200);
    let layout_etag = header(&resp, "etag");
    assert!(header(&resp, "cache-control").contains("private"));
    let layout: Value = resp.json().await.unwrap();
    assert_eq!(
        (layout["width"].as_u64(), layout["height"].as_u64()),
        (Some(width), Some(height))
    );
    let words = layout_words(&layout);
    assert!(words.len() > 20, "a receipt has words: {}", words.len());
    let text_words: Vec<&str> = layout["text"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(words, text_words, "the words are the page's text");
    let (_, events) = app
        .get_json(&format!("/api/v1/ocr/{uuid}/events/"), Some(&owner))
        .await;
    let recorded = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "page_recognized")
        .expect("a page event");
    assert_eq!(
        recorded["payload"]["page"]["words"].as_u64(),
        Some(words.len() as u64)
    );
    for word in layout["blocks"][0]["lines"][0]["words"].as_array().unwrap() {
        let b: Vec<u64> = word["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert!(
            b[0] < b[2] && b[2] <= width && b[1] < b[3] && b[3] <= height,
            "{word}"
        );
        let c = word["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{word}");
    }
    let again = get(
        &app,
        &layout_path,
        Some(&owner),
        &[("If-None-Match", &layout_etag)],
    )
    .await;
    assert_eq!(again.status(), 304);

    // Anyone else: as if the job did not exist, like every job endpoint.
    for path in [&image_path, &layout_path] {
        assert_not_found(&app, path, Some(&other), "job not found").await;
        assert_not_found(&app, path, None, "job not found").await;
    }
    let bad = app
        .http
        .get(app.url(&image_path))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);

    // Pages that are not there, and numbers that name no page.
    for n in ["1", "7", "-1", "abc", "0x0", "4294967296", "1.0"] {
        for suffix in ["image/", ""] {
            let path = format!("/api/v1/ocr/{uuid}/pages/{n}/{suffix}");
            assert_not_found(&app, &path, Some(&owner), "page not found").await;
        }
    }
    assert_not_found(
        &app,
        "/api/v1/ocr/not-a-uuid/pages/0/image/",
        Some(&owner),
        "job not found",
    )
    .await;

    // Anonymous jobs: read by uuid anonymously, not by an account.
    let anonymous = done_job(&app, tiny_png(), "tiny.png", None).await;
    let anon_uuid = anonymous["uuid"].as_str().unwrap();
    let anon_image = format!("/api/v1/ocr/{anon_uuid}/pages/0/image/");
    let resp = get(&app, &anon_image, None, &[]).await;
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "content-type").starts_with("image/"));
    assert_not_found(&app, &anon_image, Some(&owner), "job not found").await;

    // Erased: gone with the job.
    let resp = app
        .http
        .delete(app.url(&format!("/api/v1/ocr/{uuid}/")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_not_found(&app, &image_path, Some(&owner), "job not found").await;
    assert_not_found(&app, &layout_path, Some(&owner), "job not found").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_job_listing_shows_only_the_callers_jobs_newest_first_a_page_at_a_time() {
    let app = TestApp::spawn_with(Spawn {
        // Answered at once: the listing does not need finished jobs.
        configure: Box::new(|c| c.limits.inline_pages = 0),
        ..Spawn::default()
    })
    .await;
    let owner = app.token_for("lister@example.com").await;
    let other = app.token_for("neighbour@example.com").await;
    let mut mine = Vec::new();
    for i in 0..5 {
        let (status, job) = app
            .submit(tiny_png(), &format!("scan-{i}.png"), &[], Some(&owner))
            .await;
        assert_eq!(status, 200, "{job}");
        mine.push(job["uuid"].as_str().unwrap().to_owned());
    }
    let (status, theirs) = app
        .submit(tiny_png(), "theirs.png", &[], Some(&other))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.submit(tiny_png(), "anonymous.png", &[], None).await;
    assert_eq!(status, 200);

    // Two at a time: 2, 2, 1, each page's cursor leading to the next, the last without one.
    let mut listed: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/ocr/?limit=2&cursor={c}"),
            None => "/api/v1/ocr/?limit=2".to_owned(),
        };
        let (status, page) = app.get_json(&path, Some(&owner)).await;
        assert_eq!(status, 200, "{page}");
        let jobs = page["jobs"].as_array().unwrap().clone();
        pages.push(jobs.len());
        listed.extend(jobs);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages.len() < 10, "the cursor does not advance");
    }
    assert_eq!(pages, vec![2, 2, 1]);
    let uuids: Vec<&str> = listed.iter().map(|j| j["uuid"].as_str().unwrap()).collect();
    let expected: Vec<&str> = mine.iter().rev().map(String::as_str).collect();
    assert_eq!(
        uuids, expected,
        "every job of the caller once, newest first"
    );
    let first = &listed[0];
    assert_eq!(first["file_name"], "scan-4.png");
    assert_eq!(first["file_kind"], "png");
    assert_eq!(first["page_count"], 1);
    assert!(
        first["status"].is_string() && first["created_at"].is_string(),
        "{first}"
    );

    // The default page holds them all; the neighbour sees only theirs.
    let (_, all) = app.get_json("/api/v1/ocr/", Some(&owner)).await;
    assert_eq!(all["jobs"].as_array().unwrap().len(), 5);
    assert!(
        all.get("next_cursor").is_none() || all["next_cursor"].is_null(),
        "{all}"
    );
    let (_, neighbour) = app.get_json("/api/v1/ocr/", Some(&other)).await;
    let theirs_listed: Vec<&str> = neighbour["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(theirs_listed, vec![theirs["uuid"].as_str().unwrap()]);

    // Anonymous callers have no listing; bad input is a readable 400.
    let (status, body) = app.get_json("/api/v1/ocr/", None).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("account token"),
        "{body}"
    );
    for bad in [
        "cursor=nonsense",
        "cursor=12_zz",
        "limit=0",
        "limit=101",
        "limit=many",
    ] {
        let (status, body) = app
            .get_json(&format!("/api/v1/ocr/?{bad}"), Some(&owner))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"].is_string(), "{bad}: {body}");
    }

    // An erased job leaves the listing; a cursor naming it still works.
    let erased = &mine[2];
    let (_, page) = app.get_json("/api/v1/ocr/?limit=3", Some(&owner)).await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let resp = app
        .http
        .delete(app.url(&format!("/api/v1/ocr/{erased}/")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (_, rest) = app
        .get_json(
            &format!("/api/v1/ocr/?limit=3&cursor={cursor}"),
            Some(&owner),
        )
        .await;
    let rest: Vec<&str> = rest["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(rest, vec![mine[1].as_str(), mine[0].as_str()]);
    let (_, all) = app.get_json("/api/v1/ocr/", Some(&owner)).await;
    let all: HashSet<&str> = all["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(all.len(), 4);
    assert!(!all.contains(erased.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_is_served_at_the_root_with_its_security_headers_and_swagger_stays_at_docs() {
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        ..Spawn::default()
    })
    .await;
    let resp = get(&app, "/", None, &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
    let csp = header(&resp, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    assert_eq!(header(&resp, "x-frame-options"), "DENY");
    assert_eq!(header(&resp, "referrer-policy"), "no-referrer");
    let html = resp.text().await.unwrap();
    let limit = app.config.limits.max_upload_bytes.to_string();
    assert!(
        html.contains(&format!("content=\"{limit}\"")),
        "the page announces the upload limit"
    );
    assert!(!html.contains("{{"), "every placeholder is filled");

    // Every asset the page names is served, gzipped for a browser, revalidated by ETag.
    let mut assets: Vec<String> = html
        .split('"')
        .filter(|s| s.starts_with("/app/"))
        .map(str::to_owned)
        .collect();
    assets.extend(
        [
            "/app/api.js",
            "/app/viewer.js",
            "/app/chat.js",
            "/app/markdown.js",
            "/app/dom.js",
        ]
        .map(String::from),
    );
    for asset in &assets {
        let resp = get(&app, asset, None, &[("Accept-Encoding", "gzip")]).await;
        assert_eq!(resp.status(), 200, "{asset}");
        assert!(
            !header(&resp, "content-security-policy").is_empty(),
            "{asset}"
        );
        let etag = header(&resp, "etag");
        let again = get(&app, asset, None, &[("If-None-Match", &etag)]).await;
        assert_eq!(again.status(), 304, "{asset}");
    }
    let js = get(
        &app,
        "/app/app.js",
        None,
        &[("Accept-Encoding", "identity")],
    )
    .await;
    assert_eq!(
        header(&js, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(header(&js, "content-encoding").is_empty());
    assert_not_found(&app, "/app/nothing.js", None, "not found").await;
    assert_not_found(&app, "/app/index.html", None, "not found").await;

    let docs = get(&app, "/docs", None, &[]).await;
    assert_eq!(docs.status(), 200);
    assert!(docs
        .text()
        .await
        .unwrap()
        .to_lowercase()
        .contains("swagger"));
    let spec = get(&app, "/api/v1/openapi.json", None, &[]).await;
    let spec: Value = spec.json().await.unwrap();
    for (path, method, id) in [
        ("/api/v1/ocr/", "get", "list_jobs"),
        ("/api/v1/ocr/", "post", "submit_job"),
        ("/api/v1/ocr/{uuid}/pages/{n}/", "get", "get_page"),
        (
            "/api/v1/ocr/{uuid}/pages/{n}/image/",
            "get",
            "get_page_image",
        ),
    ] {
        assert_eq!(
            spec["paths"][path][method]["operationId"], id,
            "{path} {method}"
        );
    }
}
