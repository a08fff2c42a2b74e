//! The whole response of the handler (status, content type, body as JSON) for every sample event
//! and for the unhappy paths.
use crate::fixtures::{ACCESS_TOKEN, GROUPS, ID_TOKEN, NO_AUTHORIZER, REST_ID_TOKEN};

use lambda_http::{Body, http::HeaderMap};
use serde_json::{Value, json};

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

async fn call(event: &str) -> Answer {
    let req = lambda_http::request::from_str(event).expect("the event deserializes");
    let response = hello::handle(req)
        .await
        .expect("the handler never returns Err");
    let (parts, body) = response.into_parts();
    let Body::Text(text) = body else {
        panic!("expected a text body, got {body:?}");
    };
    assert_eq!(parts.headers["content-type"], "application/json");
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: serde_json::from_str(&text).expect("the body is JSON"),
    }
}

fn with_method_and_path(event: &str, method: &str, path: &str) -> String {
    let mut event: Value = serde_json::from_str(event).unwrap();
    event["routeKey"] = json!(format!("{method} {path}"));
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event.to_string()
}

fn unauthorized() -> Value {
    json!({"message": "Unauthorized"})
}

#[tokio::test]
async fn no_authorizer_is_401() {
    let answer = call(NO_AUTHORIZER).await;
    assert_eq!((answer.status, answer.body), (401, unauthorized()));
}

#[tokio::test]
async fn claims_without_a_subject_are_401() {
    let mut event: Value = serde_json::from_str(ID_TOKEN).unwrap();
    let claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        .as_object_mut()
        .unwrap();
    claims.remove("sub");
    let answer = call(&event.to_string()).await;
    assert_eq!((answer.status, answer.body), (401, unauthorized()));
}

#[tokio::test]
async fn a_malformed_claim_is_401_not_a_5xx() {
    let mut event: Value = serde_json::from_str(REST_ID_TOKEN).unwrap();
    event["requestContext"]["authorizer"]["claims"]["sub"] = json!({"nested": true});
    let answer = call(&event.to_string()).await;
    assert_eq!((answer.status, answer.body), (401, unauthorized()));
}

#[tokio::test]
async fn unknown_path_is_404() {
    let answer = call(&with_method_and_path(ID_TOKEN, "GET", "/nope")).await;
    assert_eq!(
        (answer.status, answer.body),
        (404, json!({"message": "Not Found"}))
    );
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let answer = call(&with_method_and_path(ID_TOKEN, "DELETE", "/hello")).await;
    assert_eq!(
        (answer.status, answer.body),
        (405, json!({"message": "Method Not Allowed"}))
    );
    assert_eq!(answer.headers["allow"], "GET");
}

#[tokio::test]
async fn id_token_greets_the_user() {
    let answer = call(ID_TOKEN).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({
            "message": "Hello, user-a!",
            "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
            "username": "user-a",
            "email": "usera@example.com",
            "email_verified": true,
            "groups": [],
            "token_use": "id",
            "client_id": "4r3o1vbb0e2j1cnm9u8qugp5u4",
            "scopes": []
        })
    );
}

#[tokio::test]
async fn access_token_greets_the_user_with_scopes_and_no_email() {
    let answer = call(ACCESS_TOKEN).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({
            "message": "Hello, user-a!",
            "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
            "username": "user-a",
            "groups": [],
            "token_use": "access",
            "client_id": "4r3o1vbb0e2j1cnm9u8qugp5u4",
            "scopes": ["aws.cognito.signin.user.admin"]
        })
    );
}

#[tokio::test]
async fn groups_are_listed() {
    let answer = call(GROUPS).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({
            "message": "Hello, user-b!",
            "sub": "0f5e6d7c-8b9a-4c3d-9e2f-1a0b9c8d7e6f",
            "username": "user-b",
            "email": "userb@example.com",
            "email_verified": false,
            "groups": ["admin", "poweruser"],
            "token_use": "id",
            "client_id": "4r3o1vbb0e2j1cnm9u8qugp5u4",
            "scopes": []
        })
    );
}

#[tokio::test]
async fn rest_api_cognito_authorizer_greets_the_user() {
    let answer = call(REST_ID_TOKEN).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({
            "message": "Hello, user-a!",
            "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
            "username": "user-a",
            "email": "usera@example.com",
            "email_verified": true,
            "groups": ["admin", "dev"],
            "token_use": "id",
            "client_id": "4r3o1vbb0e2j1cnm9u8qugp5u4",
            "scopes": []
        })
    );
}

#[tokio::test]
async fn both_apis_give_the_same_user_the_same_greeting() {
    // The same token's claims, as each API renders them: groups `[admin dev]` (HTTP API) and
    // `admin,dev` (REST API).
    let mut http: Value = serde_json::from_str(ID_TOKEN).unwrap();
    http["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = json!("[admin dev]");
    let through_http = call(&http.to_string()).await;
    let through_rest = call(REST_ID_TOKEN).await;
    assert_eq!(through_http.status, 200);
    assert_eq!(through_http.body, through_rest.body);
}

#[tokio::test]
async fn every_response_allows_the_configured_origin() {
    let origin = lambda_http::http::HeaderValue::from_static("http://localhost:5173");
    for event in [REST_ID_TOKEN, NO_AUTHORIZER] {
        let req = lambda_http::request::from_str(event).unwrap();
        let response = hello::handle_for_origin(req, Some(&origin)).await.unwrap();
        assert_eq!(
            response.headers().get("access-control-allow-origin"),
            Some(&origin)
        );
    }
    let req = lambda_http::request::from_str(REST_ID_TOKEN).unwrap();
    let response = hello::handle_for_origin(req, None).await.unwrap();
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
}
