//! The client that `build.rs` generated, calling a local server: a path parameter, a bearer
//! token, a JSON body, typed decoding, and a typed error for a 404.

use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use build_rs_example::api::{Client, models};
use serde_json::{Value, json};

/// Serves the two operations of `openapi.yaml` on an ephemeral port; returns its base URL.
async fn serve() -> String {
    fn authorized(headers: &HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer secret")
    }
    let app = axum::Router::new()
        .route(
            "/v1/pets/{pet_id}",
            get(|Path(id): Path<String>, headers: HeaderMap| async move {
                match (authorized(&headers), id.as_str()) {
                    (false, _) => (StatusCode::UNAUTHORIZED, Json(json!({}))),
                    (true, "p1") => (
                        StatusCode::OK,
                        Json(json!({"id": "p1", "name": "Rex", "tag": "dog"})),
                    ),
                    (true, _) => (StatusCode::NOT_FOUND, Json(json!({"message": "no pet"}))),
                }
            }),
        )
        .route(
            "/v1/pets",
            post(|headers: HeaderMap, Json(body): Json<Value>| async move {
                if !authorized(&headers) {
                    return (StatusCode::UNAUTHORIZED, Json(json!({})));
                }
                let mut pet = body;
                pet["id"] = json!("p2");
                (StatusCode::CREATED, Json(pet))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

fn client(base_url: String) -> Client {
    Client::builder()
        .token("secret")
        .base_url(base_url)
        .build()
        .expect("a client")
}

#[tokio::test]
async fn generated_operations_call_the_local_server() {
    let client = client(serve().await);
    let pet: models::Pet = client.pets().get_pet("p1").send().await.expect("the pet");
    assert_eq!(pet.id, "p1");
    assert_eq!(pet.name, "Rex");
    assert_eq!(pet.tag.as_deref(), Some("dog"));

    let created = client
        .pets()
        .create_pet("Tom")
        .tag("cat")
        .send()
        .await
        .expect("created");
    assert_eq!((created.id.as_str(), created.name.as_str()), ("p2", "Tom"));

    let missing = client.pets().get_pet("nope").send().await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
}

#[tokio::test]
async fn a_wrong_token_is_a_typed_error() {
    let client = Client::builder()
        .token("wrong")
        .base_url(serve().await)
        .build()
        .expect("a client");
    let error = client.pets().get_pet("p1").send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
}
