//! `videos().list().into_stream()` against a local server holding a video library that pages
//! by creation time the way the real list does (`before` / `after` cursors, `limit`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::IntoResponse;
use cloudflare_stream::Client;
use futures::TryStreamExt;
use serde_json::{Value, json};

/// The server's library and a log of the query strings it was asked.
#[derive(Default)]
struct Library {
    /// (uid, created), any order.
    videos: Vec<(String, String)>,
    /// Whether `before`/`after` include the boundary timestamp (the real API's behaviour
    /// is not documented; the stream must be right either way).
    inclusive: bool,
    requests: Vec<HashMap<String, String>>,
}

async fn list(State(library): State<Arc<Mutex<Library>>>, uri: Uri) -> impl IntoResponse {
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let mut library = library.lock().unwrap();
    library.requests.push(query.clone());
    let asc = query.get("asc").is_some_and(|v| v == "true");
    let limit: usize = query.get("limit").map_or(1000, |v| v.parse().unwrap());
    let inclusive = library.inclusive;
    let mut matching: Vec<&(String, String)> = library
        .videos
        .iter()
        .filter(|(_, created)| match query.get("before") {
            Some(b) => {
                if inclusive {
                    created <= b
                } else {
                    created < b
                }
            }
            None => true,
        })
        .filter(|(_, created)| match query.get("after") {
            Some(a) => {
                if inclusive {
                    created >= a
                } else {
                    created > a
                }
            }
            None => true,
        })
        .collect();
    matching.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    if !asc {
        matching.reverse();
    }
    let remaining = matching.len().saturating_sub(limit);
    let page: Vec<Value> = matching
        .into_iter()
        .take(limit)
        .map(|(uid, created)| json!({"uid": uid, "created": created, "status": {"state": "ready"}}))
        .collect();
    let body =
        json!({"success": true, "errors": [], "messages": [], "result": page, "range": remaining});
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

async fn serve(library: Library) -> (Client, Arc<Mutex<Library>>) {
    let library = Arc::new(Mutex::new(library));
    let app = Router::new()
        .route("/client/v4/accounts/acc/stream", axum::routing::get(list))
        .with_state(library.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = Client::builder()
        .token("t")
        .path_default("account_id", "acc")
        .base_url(format!("http://{addr}/client/v4"))
        .build()
        .unwrap();
    (client, library)
}

fn library(count: usize, same_second_every: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            // Groups of videos share a creation time, so page boundaries fall inside a group.
            let second = i / same_second_every;
            (
                format!("uid{i:05}"),
                format!(
                    "2024-01-01T{:02}:{:02}:{:02}Z",
                    second / 3600,
                    second / 60 % 60,
                    second % 60
                ),
            )
        })
        .collect()
}

async fn all_uids(client: &Client, asc: bool, limit: i64) -> Vec<String> {
    let mut list = client.videos().list().limit(limit);
    if asc {
        list = list.asc(true);
    }
    let videos: Vec<_> = list.into_stream().try_collect().await.unwrap();
    videos.into_iter().map(|v| v.uid.unwrap()).collect()
}

#[tokio::test]
async fn pages_through_every_video_newest_first() {
    let (client, library) = serve(Library {
        videos: library(2500, 1),
        ..Library::default()
    })
    .await;
    let uids = all_uids(&client, false, 1000).await;
    assert_eq!(uids.len(), 2500);
    assert_eq!(uids.first().map(String::as_str), Some("uid02499"));
    assert_eq!(uids.last().map(String::as_str), Some("uid00000"));
    let requests = library.lock().unwrap().requests.clone();
    assert_eq!(
        requests.len(),
        3,
        "2500 videos at 1000 a page is three requests"
    );
    assert!(!requests[0].contains_key("before"));
    assert!(requests[1].contains_key("before") && !requests[1].contains_key("after"));
}

#[tokio::test]
async fn ascending_pages_with_after() {
    let (client, library) = serve(Library {
        videos: library(250, 1),
        ..Library::default()
    })
    .await;
    let uids = all_uids(&client, true, 100).await;
    let expected: Vec<String> = (0..250).map(|i| format!("uid{i:05}")).collect();
    assert_eq!(uids, expected);
    let requests = library.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 3);
    assert!(requests[1].contains_key("after"));
}

#[tokio::test]
async fn inclusive_cursor_never_repeats_a_video() {
    // Three videos per timestamp and an API whose cursor includes the boundary: every page
    // starts with videos already seen, which the stream must drop.
    let (client, _) = serve(Library {
        videos: library(300, 3),
        inclusive: true,
        ..Library::default()
    })
    .await;
    let uids = all_uids(&client, false, 50).await;
    let unique: std::collections::HashSet<_> = uids.iter().collect();
    assert_eq!(unique.len(), uids.len(), "no duplicates");
    assert_eq!(uids.len(), 300);
}

#[tokio::test]
async fn a_short_first_page_is_the_only_request() {
    let (client, library) = serve(Library {
        videos: library(7, 1),
        ..Library::default()
    })
    .await;
    assert_eq!(all_uids(&client, false, 1000).await.len(), 7);
    assert_eq!(library.lock().unwrap().requests.len(), 1);
}

#[tokio::test]
async fn errors_end_the_stream() {
    // No route for this account: the server answers 404 and the stream yields the error.
    let (client, _) = serve(Library::default()).await;
    let other = Client::builder()
        .token("t")
        .path_default("account_id", "other")
        .base_url(client.runtime().base_url().as_str())
        .max_retries(0)
        .build()
        .unwrap();
    let result: Result<Vec<_>, _> = other.videos().list().into_stream().try_collect().await;
    assert_eq!(result.unwrap_err().status().map(|s| s.as_u16()), Some(404));
}
