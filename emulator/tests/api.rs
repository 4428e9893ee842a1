//! Every operation against the emulator over raw HTTP: each success body validated against
//! the spec's schema (`check_response`), Cloudflare's error envelopes for unauthenticated
//! calls, unknown ids, invalid bodies, chunk-rule violations and rate limits, the list
//! filters, the processing clock and persistence across a restart.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stream_emulator::{Config, Emulator};

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn new(emulator: &Emulator) -> Self {
        Api {
            http: reqwest::Client::new(),
            base: format!(
                "{}/accounts/{}/stream",
                emulator.api_base_url(),
                emulator.account_id()
            ),
            token: emulator.token().to_owned(),
        }
    }

    /// Calls `operation`, asserts success, checks the body against the spec, returns it.
    async fn ok(&self, operation: &str, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(method, path, body).await;
        assert!(status.is_success(), "{operation}: {status} {value}");
        if value.is_object()
            && let Err(errors) = stream_emulator::check_response(operation, &value)
        {
            panic!("{operation}: the answer breaks the spec: {errors:?}\n{value}");
        }
        value
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("the emulator answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// How many videos `videos_list` answers with `query`.
    async fn listed(&self, query: &str) -> Option<usize> {
        let list = self.ok("videos_list", Method::GET, query, None).await;
        list["result"].as_array().map(Vec::len)
    }

    /// Calls each of `calls` in order as [`Api::ok`] does, for the answers not looked at.
    async fn ok_each(&self, calls: &[(&str, Method, &str, Option<Value>)]) {
        for (operation, method, path, body) in calls {
            self.ok(operation, method.clone(), path, body.clone()).await;
        }
    }

    /// Sends a multipart form.
    async fn multipart(
        &self,
        method: Method,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .expect("the emulator answers")
    }

    /// Creates a tus upload of `length` bytes (as text: the header's value).
    async fn tus_create(&self, length: &str, metadata: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(&self.base)
            .bearer_auth(&self.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length);
        if let Some(m) = metadata {
            request = request.header("Upload-Metadata", m);
        }
        request.send().await.expect("create")
    }

    /// Sends `bytes` to the tus upload at `location`, claiming they start at `offset`.
    async fn tus_patch(&self, location: &str, offset: u64, bytes: Vec<u8>) -> reqwest::Response {
        self.http
            .patch(location)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes)
            .send()
            .await
            .expect("patch")
    }

    async fn tus_video(&self, bytes: &[u8], metadata: Option<&str>) -> String {
        let created = self.tus_create(&bytes.len().to_string(), metadata).await;
        assert_eq!(created.status(), 201);
        let patched = self.tus_patch(&location(&created), 0, bytes.to_vec()).await;
        assert_eq!(patched.status(), 204);
        header(&created, "stream-media-id")
    }
}

/// The value of header `name`.
fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().expect("ascii").to_owned()
}

/// Where a tus upload was created.
fn location(created: &reqwest::Response) -> String {
    header(created, "location")
}

const MP4: &[u8] = b"\0\0\0\x18ftypmp42 and then some video bytes";

fn config() -> Config {
    Config {
        processing_step: Duration::from_secs(3600),
        ..Config::default()
    }
}

#[tokio::test]
async fn every_operation_answers_as_the_spec_says() {
    let emulator = Emulator::start(config()).await.expect("start");
    let api = Api::new(&emulator);
    let uid = api.tus_video(MP4, Some("name c2NlbmFyaW8ubXA0")).await;
    let not_video = api.tus_video(b"just some text", None).await;

    // Processing is a state machine on the emulator's clock.
    let v = api
        .ok("videos_get", Method::GET, &format!("/{uid}"), None)
        .await;
    assert_eq!(v["result"]["status"]["state"], "queued");
    emulator.advance(Duration::from_secs(3600 + 1800));
    let v = api
        .ok("videos_get", Method::GET, &format!("/{uid}"), None)
        .await;
    assert_eq!(v["result"]["status"]["state"], "inprogress");
    assert_eq!(v["result"]["status"]["pctComplete"], "25");
    emulator.advance(Duration::from_secs(2 * 3600));
    let v = api
        .ok("videos_get", Method::GET, &format!("/{uid}"), None)
        .await;
    assert_eq!(v["result"]["status"]["state"], "ready");
    assert_eq!(v["result"]["readyToStream"], true);
    let e = api
        .ok("videos_get", Method::GET, &format!("/{not_video}"), None)
        .await;
    assert_eq!(e["result"]["status"]["state"], "error");
    assert_eq!(e["result"]["status"]["errorReasonCode"], "ERR_NON_VIDEO");

    // Videos.
    let list = api
        .ok(
            "videos_list",
            Method::GET,
            "?include_counts=true&limit=1&asc=true",
            None,
        )
        .await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["range"], 1);
    assert_eq!(list["result"][0]["uid"], uid.as_str());
    assert_eq!(api.listed("?search=scenario&status=ready").await, Some(1));
    assert_eq!(api.listed("?after=2999-01-01T00:00:00Z").await, Some(0));
    let edited = api
        .ok(
            "videos_edit",
            Method::POST,
            &format!("/{uid}"),
            Some(json!({"meta": {"name": "renamed"}, "creator": "c1"})),
        )
        .await;
    assert_eq!(edited["result"]["meta"]["name"], "renamed");
    assert_eq!(api.listed("?creator=c1").await, Some(1));
    let usage = api
        .ok(
            "videos_storage_usage",
            Method::GET,
            "/storage-usage?creator=c1",
            None,
        )
        .await;
    assert_eq!(usage["result"]["videoCount"], 1);
    api.ok(
        "videos_clip",
        Method::POST,
        "/clip",
        Some(json!({"clippedFromVideoUID": uid, "startTimeSeconds": 1, "endTimeSeconds": 5})),
    )
    .await;
    api.ok(
        "videos_copy",
        Method::POST,
        "/copy",
        Some(json!({"url": "http://127.0.0.1:1/nothing.mp4"})),
    )
    .await;
    let direct = api
        .ok(
            "videos_direct_upload",
            Method::POST,
            "/direct_upload",
            Some(json!({"maxDurationSeconds": 60})),
        )
        .await;
    assert!(
        direct["result"]["uploadURL"]
            .as_str()
            .is_some_and(|u| u.contains("/upload/"))
    );
    let embed = api.call(Method::GET, &format!("/{uid}/embed"), None).await;
    assert!(embed.1.as_str().is_some_and(|h| h.contains("<stream")));

    // Audio tracks.
    let track = api
        .ok(
            "audio_tracks_copy",
            Method::POST,
            &format!("/{uid}/audio/copy"),
            Some(json!({"label": "director"})),
        )
        .await;
    let track_id = track["result"]["uid"].as_str().expect("a uid").to_owned();
    api.ok_each(&[
        (
            "audio_tracks_list",
            Method::GET,
            &format!("/{uid}/audio"),
            None,
        ),
        (
            "audio_tracks_edit",
            Method::PATCH,
            &format!("/{uid}/audio/{track_id}"),
            Some(json!({"default": true})),
        ),
        (
            "audio_tracks_delete",
            Method::DELETE,
            &format!("/{uid}/audio/{track_id}"),
            None,
        ),
    ])
    .await;

    // Captions: upload a VTT and get it back; generate.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n".to_vec())
            .file_name("en.vtt"),
    );
    let uploaded = api
        .multipart(Method::PUT, &format!("/{uid}/captions/en"), form)
        .await;
    assert_eq!(uploaded.status(), 200);
    let vtt = api
        .call(Method::GET, &format!("/{uid}/captions/en/vtt"), None)
        .await;
    assert!(vtt.1.as_str().is_some_and(|t| t.contains("hello")));
    api.ok_each(&[
        (
            "captions_get",
            Method::GET,
            &format!("/{uid}/captions/en"),
            None,
        ),
        (
            "captions_generate",
            Method::POST,
            &format!("/{uid}/captions/de/generate"),
            None,
        ),
        (
            "captions_list",
            Method::GET,
            &format!("/{uid}/captions"),
            None,
        ),
        (
            "captions_delete",
            Method::DELETE,
            &format!("/{uid}/captions/en"),
            None,
        ),
        // Downloads.
        (
            "downloads_create",
            Method::POST,
            &format!("/{uid}/downloads"),
            None,
        ),
        (
            "downloads_list",
            Method::GET,
            &format!("/{uid}/downloads"),
            None,
        ),
        (
            "downloads_delete",
            Method::DELETE,
            &format!("/{uid}/downloads"),
            None,
        ),
    ])
    .await;

    // Keys and tokens.
    let key = api
        .ok("keys_create", Method::POST, "/keys", Some(json!({})))
        .await;
    let key_id = key["result"]["id"].as_str().expect("an id").to_owned();
    let pem = key["result"]["pem"].as_str().expect("a pem").to_owned();
    api.ok("keys_list", Method::GET, "/keys", None).await;
    let token = api
        .ok(
            "videos_create_token",
            Method::POST,
            &format!("/{uid}/token"),
            Some(json!({"id": key_id, "pem": pem, "downloadable": true})),
        )
        .await;
    assert_eq!(
        token["result"]["token"]
            .as_str()
            .map(|t| t.split('.').count()),
        Some(3)
    );
    api.ok(
        "keys_delete",
        Method::DELETE,
        &format!("/keys/{key_id}"),
        None,
    )
    .await;

    // Live inputs and outputs.
    let live = api
        .ok(
            "live_inputs_create",
            Method::POST,
            "/live_inputs",
            Some(json!({"meta": {"name": "show"}})),
        )
        .await;
    let live_id = live["result"]["uid"].as_str().expect("a uid").to_owned();
    api.ok_each(&[
        (
            "live_inputs_list",
            Method::GET,
            "/live_inputs?include_counts=true",
            None,
        ),
        (
            "live_inputs_get",
            Method::GET,
            &format!("/live_inputs/{live_id}"),
            None,
        ),
        (
            "live_inputs_update",
            Method::PUT,
            &format!("/live_inputs/{live_id}"),
            Some(json!({"enabled": false})),
        ),
    ])
    .await;
    let output = api
        .ok(
            "live_inputs_outputs_create",
            Method::POST,
            &format!("/live_inputs/{live_id}/outputs"),
            Some(json!({"url": "rtmp://example.com/live", "streamKey": "k"})),
        )
        .await;
    let output_id = output["result"]["uid"].as_str().expect("a uid").to_owned();
    let output_path = format!("/live_inputs/{live_id}/outputs/{output_id}");
    api.ok_each(&[
        (
            "live_inputs_outputs_list",
            Method::GET,
            &format!("/live_inputs/{live_id}/outputs"),
            None,
        ),
        (
            "live_inputs_outputs_update",
            Method::PUT,
            &output_path,
            Some(json!({"enabled": false})),
        ),
        (
            "live_inputs_outputs_delete",
            Method::DELETE,
            &output_path,
            None,
        ),
        (
            "live_inputs_delete",
            Method::DELETE,
            &format!("/live_inputs/{live_id}"),
            None,
        ),
    ])
    .await;

    // Watermarks (a multipart PNG).
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&[0, 0, 0, 64, 0, 0, 0, 32, 8, 6, 0, 0, 0]);
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(png).file_name("logo.png"),
        )
        .text("name", "logo");
    let created = api.multipart(Method::POST, "/watermarks", form).await;
    let mark: Value = serde_json::from_str(&created.text().await.expect("text")).expect("JSON");
    assert_eq!(mark["result"]["width"], 64);
    stream_emulator::check_response("watermarks_create", &mark).expect("valid");
    let mark_id = mark["result"]["uid"].as_str().expect("a uid").to_owned();
    let mark_path = format!("/watermarks/{mark_id}");
    api.ok_each(&[
        ("watermarks_list", Method::GET, "/watermarks", None),
        ("watermarks_get", Method::GET, &mark_path, None),
        ("watermarks_delete", Method::DELETE, &mark_path, None),
        // Webhooks.
        (
            "webhooks_update",
            Method::PUT,
            "/webhook",
            Some(json!({"notificationUrl": "http://127.0.0.1:9/hook"})),
        ),
        ("webhooks_get", Method::GET, "/webhook", None),
        ("webhooks_delete", Method::DELETE, "/webhook", None),
        ("videos_delete", Method::DELETE, &format!("/{uid}"), None),
    ])
    .await;
    let (status, gone) = api.call(Method::GET, &format!("/{uid}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(gone["errors"][0]["code"], 10003);
}

#[tokio::test]
async fn errors_are_cloudflare_envelopes() {
    let emulator = Emulator::start(Config {
        rate_limit: Some(1000),
        ..config()
    })
    .await
    .expect("start");
    let api = Api::new(&emulator);
    let anonymous = reqwest::get(format!("{}?limit=1", api.base))
        .await
        .expect("answer");
    assert_eq!(anonymous.status(), 401);
    let body: Value = serde_json::from_str(&anonymous.text().await.expect("text")).expect("JSON");
    assert_eq!(body["success"], false);
    assert_eq!(body["errors"][0]["code"], 10000);

    let other_account = api
        .http
        .get(format!(
            "{}/accounts/someone-else/stream",
            emulator.base_url()
        ))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("answer");
    assert_eq!(other_account.status(), 403);

    let (status, invalid) = api
        .call(
            Method::POST,
            "/keys_not_a_video_id_but_fine",
            Some(json!({"requireSignedURLs": "yes"})),
        )
        .await;
    assert_eq!(status, 400, "{invalid}");
    assert_eq!(invalid["errors"][0]["code"], 10005);
    let (status, _) = api.call(Method::GET, "?limit=many", None).await;
    assert_eq!(status, 400);
    let (status, _) = api.call(Method::GET, "?status=sleeping", None).await;
    assert_eq!(status, 400, "an enum value outside the spec is refused");

    // tus chunk rules: a 1 MiB first chunk of a 20 MiB upload is refused, nothing kept.
    let created = api.tus_create(&(20 * 1024 * 1024).to_string(), None).await;
    let location = location(&created);
    let small = api.tus_patch(&location, 0, vec![0u8; 1024 * 1024]).await;
    assert_eq!(small.status(), 400);
    let head = api
        .http
        .head(&location)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(head.headers()["upload-offset"], "0");
    let wrong_offset = api.tus_patch(&location, 5, vec![0u8; 10]).await;
    assert_eq!(wrong_offset.status(), 409);
    let too_big = api.tus_create("40000000000", None).await;
    assert_eq!(too_big.status(), 413);

    let unknown = reqwest::get(format!("{}/nowhere", emulator.base_url()))
        .await
        .expect("answer");
    assert_eq!(unknown.status(), 404);

    // Rate limits: past the limit, 429 with Retry-After and code 10006.
    let limited = Emulator::start(Config {
        rate_limit: Some(2),
        ..config()
    })
    .await
    .expect("start");
    let api = Api::new(&limited);
    let mut last = None;
    for _ in 0..4 {
        last = Some(
            api.http
                .get(&api.base)
                .bearer_auth(&api.token)
                .send()
                .await
                .expect("answer"),
        );
    }
    let last = last.expect("a response");
    assert_eq!(last.status(), 429);
    assert_eq!(last.headers()["retry-after"], "1");
}

#[tokio::test]
async fn state_persists_across_restarts() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let persistent = || Config {
        persist: Some(dir.path().to_owned()),
        ..config()
    };
    let emulator = Emulator::start(persistent()).await.expect("start");
    let api = Api::new(&emulator);
    let uid = api.tus_video(MP4, None).await;
    api.ok("keys_create", Method::POST, "/keys", Some(json!({})))
        .await;
    emulator.shutdown().await;

    let again = Emulator::start(persistent()).await.expect("restart");
    let api = Api::new(&again);
    let v = api
        .ok("videos_get", Method::GET, &format!("/{uid}"), None)
        .await;
    assert_eq!(v["result"]["size"], MP4.len());
    let keys = api.ok("keys_list", Method::GET, "/keys", None).await;
    assert_eq!(keys["result"].as_array().map(Vec::len), Some(1));
    assert_eq!(again.snapshot().videos.len(), 1);
}
