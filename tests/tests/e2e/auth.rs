//! Ownership: tokens in the header or query, 401 for bad tokens, 404 for other people's jobs.

use tests::{corpus, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn jobs_are_visible_only_to_their_owner() {
    let app = TestApp::spawn().await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let bytes = std::fs::read(corpus::entry("en_receipt_02.jpg").path()).unwrap();

    let (status, job) = app
        .submit(bytes.clone(), "r.jpg", &[("language", "en")], Some(&alice))
        .await;
    assert_eq!(status, 200, "{job}");
    let path = format!("/api/v1/ocr/{}/", job["uuid"].as_str().unwrap());

    let (status, _) = app.get_json(&path, Some(&alice)).await;
    assert_eq!(status, 200, "owner reads it");
    let (status, body) = app.get_json(&path, Some(&bob)).await;
    assert_eq!(status, 404, "another account gets 404: {body}");
    assert_eq!(body["error"], "job not found");
    let (status, _) = app.get_json(&path, None).await;
    assert_eq!(status, 404, "anonymous gets 404");

    // ?api_token= works like the header.
    let resp = app
        .http
        .get(app.url(&format!("{path}?api_token={alice}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    // Anonymous jobs: visible by uuid to anonymous callers, not to accounts.
    let (status, anon) = app
        .submit(bytes, "r.jpg", &[("language", "en")], None)
        .await;
    assert_eq!(status, 200);
    let anon_path = format!("/api/v1/ocr/{}/", anon["uuid"].as_str().unwrap());
    assert_eq!(app.get_json(&anon_path, None).await.0, 200);
    assert_eq!(app.get_json(&anon_path, Some(&alice)).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_or_revoked_tokens_are_401() {
    let app = TestApp::spawn().await;
    let token = app.token_for("carol@example.com").await;
    let bytes = std::fs::read(corpus::entry("en_receipt_02.jpg").path()).unwrap();
    for bad in [
        "nonsense",
        "ocr_00000000000000000000000000000000_abc",
        &format!("{token}x"),
    ] {
        let (status, body) = app.submit(bytes.clone(), "r.jpg", &[], Some(bad)).await;
        assert_eq!(status, 401, "{bad}: {body}");
        assert!(body["error"].is_string());
        let (status, _) = app
            .get_json(
                "/api/v1/ocr/00000000-0000-0000-0000-000000000000/",
                Some(bad),
            )
            .await;
        assert_eq!(status, 401);
    }
    // A non-bearer Authorization header is not silently anonymous.
    let resp = app
        .http
        .get(app.url("/api/v1/ocr/00000000-0000-0000-0000-000000000000/"))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    let account = app
        .store()
        .account_by_email("carol@example.com")
        .await
        .unwrap();
    assert_eq!(app.store().revoke_tokens(account.id).await.unwrap(), 1);
    let (status, _) = app
        .get_json(
            "/api/v1/ocr/00000000-0000-0000-0000-000000000000/",
            Some(&token),
        )
        .await;
    assert_eq!(status, 401, "revoked token");
}
