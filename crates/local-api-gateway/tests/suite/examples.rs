//! The example authorizer (`examples/lambda-authorizer`) end to end: `make local
//! TEMPLATE=<its template>` (the real `cargo lambda watch` running `hello` and the Rust
//! authorizers), and each kind of authorization answered as API Gateway answers it. `#[ignore]`d
//! like every stack test; `make e2e` runs them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    sigv4,
    stack::{Stack, http_client},
};

async fn get(url: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = http_client().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// How many times the function logged `message` (one JSON line per invocation).
fn invocations(stack: &Stack, message: &str) -> usize {
    stack
        .all_logs()
        .lines()
        .filter(|line| line.contains(&format!("\"message\":\"{message}\"")))
        .count()
}

fn greets(body: &Value, user: &str) {
    assert_eq!(body["message"], format!("Hello, {user}!"), "{body}");
    assert_eq!(body["username"], user);
}

#[tokio::test]
#[ignore = "end to end: make e2e"]
async fn the_token_authorizer_example_allows_denies_fails_and_caches() {
    let stack = Stack::start(
        "example-token",
        &[("TEMPLATE", "examples/lambda-authorizer/template.yaml")],
    );
    let url = format!("{}/hello", stack.var("URL_Api"));
    let allow = bearer("allow-alice");
    let (status, body) = get(&url, &[("authorization", &allow)]).await;
    assert_eq!(status, 200, "{body}");
    greets(&body, "alice");
    // The context reached the event: hello read sub and groups from it.
    assert_eq!(body["sub"], "user-alice");
    assert_eq!(body["groups"], json!(["readers"]));
    let invoked = invocations(&stack, "authorizer invoked");
    assert_eq!(invoked, 1);
    // The same token again: API Gateway's cache answers; the authorizer is not invoked.
    let (status, _) = get(&url, &[("authorization", &allow)]).await;
    assert_eq!(status, 200);
    assert_eq!(invocations(&stack, "authorizer invoked"), invoked);

    let (status, body) = get(&url, &[("authorization", &bearer("deny"))]).await;
    assert_eq!(
        (status.as_u16(), body),
        (
            403,
            json!({"Message": "User is not authorized to access this resource with an explicit deny in an identity-based policy"})
        )
    );
    let (status, body) = get(&url, &[("authorization", &bearer("nope"))]).await;
    assert_eq!(
        (status.as_u16(), body),
        (401, json!({"message": "Unauthorized"}))
    );
    let before = invocations(&stack, "authorizer invoked");
    let (status, body) = get(&url, &[]).await;
    assert_eq!(
        (status.as_u16(), body),
        (401, json!({"message": "Unauthorized"}))
    );
    assert_eq!(
        invocations(&stack, "authorizer invoked"),
        before,
        "no header: refused without invoking the authorizer"
    );
    let (status, body) = get(&url, &[("authorization", &bearer("crash"))]).await;
    assert_eq!((status.as_u16(), body), (500, json!({"message": null})));
}

#[tokio::test]
#[ignore = "end to end: make e2e"]
async fn every_kind_of_authorization_is_enforced_on_its_own_api() {
    let stack = Stack::start(
        "example-every",
        &[(
            "TEMPLATE",
            "examples/lambda-authorizer/every-authorizer.yaml",
        )],
    );
    let hello = |api: &str| format!("{}/hello", stack.var(&format!("URL_{api}")));
    let allow = bearer("allow-bob");
    let deny = bearer("deny");

    // REST, REQUEST authorizer (not cached) and an API key of the API's usage plan.
    let key = stack.var("API_KEY_RequestApiApiKey").to_owned();
    let url = hello("RequestApi");
    let (status, body) = get(&url, &[("authorization", &allow), ("x-api-key", &key)]).await;
    assert_eq!(status, 200, "{body}");
    greets(&body, "bob");
    let (status, body) = get(&url, &[("authorization", &allow)]).await;
    assert_eq!(
        (status.as_u16(), body),
        (403, json!({"message": "Forbidden"})),
        "no API key"
    );
    let (status, _) = get(&url, &[("authorization", &deny), ("x-api-key", &key)]).await;
    assert_eq!(status, 403);

    // HTTP, simple answers and IAM policy answers.
    for api in ["SimpleApi", "PolicyApi"] {
        let url = hello(api);
        let (status, body) = get(&url, &[("authorization", &allow)]).await;
        assert_eq!(status, 200, "{api}: {body}");
        greets(&body, "bob");
        let (status, body) = get(&url, &[("authorization", &deny)]).await;
        assert_eq!(
            (status.as_u16(), body),
            (403, json!({"message": "Forbidden"})),
            "{api}"
        );
        let (status, _) = get(&url, &[]).await;
        assert_eq!(status, 401, "{api}");
    }

    // AWS_IAM, REST and HTTP: signed with the credentials the stack's aws CLI uses.
    for api in ["SignedApi", "SignedHttpApi"] {
        let url = hello(api);
        let host = url.split('/').nth(2).unwrap().to_owned();
        let signed =
            sigv4::Signer::new("local", "local").headers("GET", &url, &[("host", &host)], b"");
        let headers: Vec<(&str, &str)> = signed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let (status, body) = get(&url, &headers).await;
        assert_eq!(status, 200, "{api}: {body}");
        greets(&body, "local");
        let wrong = sigv4::Signer::new("local", "not-the-secret").headers(
            "GET",
            &url,
            &[("host", &host)],
            b"",
        );
        let headers: Vec<(&str, &str)> = wrong
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let (status, _) = get(&url, &headers).await;
        assert_eq!(status, 403, "{api}: wrong secret");
        let (status, _) = get(&url, &[]).await;
        assert_eq!(status, 403, "{api}: unsigned");
    }

    // REST, TOKEN (cached), as in the small template.
    let (status, body) = get(&hello("TokenApi"), &[("authorization", &allow)]).await;
    assert_eq!(status, 200, "{body}");
    greets(&body, "bob");
}
