//! Issue 14, item 2: no API token in any log line. The real binary serves requests carrying a
//! token in the query (`?api_token=`, which the seed's API allows) and in the `Authorization`
//! header, valid and invalid, at the log level a deployment runs with; its whole output is read
//! back and must hold neither token, while it does log those requests.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};
use tests::TestApp;

const EXE: &str = env!("CARGO_BIN_EXE_ocrchat-under-test");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_in_the_query_or_the_authorization_header_never_reach_the_log() {
    let app = TestApp::spawn().await;
    let valid = app.token_for("logged@example.com").await;
    let invalid = format!("ocr_invalid_{}", uuid::Uuid::new_v4().simple());

    let port = free_port();
    let log_path = app.isolation.data_dir.join("server.log");
    std::fs::create_dir_all(&app.isolation.data_dir).unwrap();
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(EXE)
        .arg("api")
        .envs(app.isolation.env(&app.config))
        .env("OCRCHAT_ADDR", format!("127.0.0.1:{port}"))
        // What `just run` logs (the binary's default filter), request lines included.
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("starting the binary");

    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let up = app.http.get(format!("{base}/healthz")).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let job = uuid::Uuid::new_v4();
    for token in [&valid, &invalid] {
        for path in [
            format!("/api/v1/ocr/{job}/?api_token={token}"),
            format!("/api/v1/ocr/{job}/?format=txt&API_TOKEN={token}"),
            format!("/api/v1/account/?api%5Ftoken={token}"),
        ] {
            let status = app
                .http
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .status();
            assert!(
                status.is_client_error() || status.is_success(),
                "{path}: {status}"
            );
        }
        let status = app
            .http
            .get(format!("{base}/api/v1/ocr/{job}/"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_client_error(), "{status}");
    }
    // SIGTERM: the server shuts down gracefully, and its output is complete.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let stopped = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() && Instant::now() < stopped {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();

    let logged = std::fs::read_to_string(&log_path).unwrap();
    // Three requests per token name the job in their path; the six with a token in the query
    // show where it was.
    assert_eq!(
        logged.matches(&job.to_string()).count(),
        6,
        "the requests are logged:\n{logged}"
    );
    assert_eq!(logged.matches("=[redacted]").count(), 6, "{logged}");
    for token in [&valid, &invalid] {
        assert!(
            !logged.contains(token.as_str()),
            "a token reached the log:\n{logged}"
        );
    }
}
