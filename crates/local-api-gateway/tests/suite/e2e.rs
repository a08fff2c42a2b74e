//! The walkthrough against the real local stack (`scripts/local-stack.sh`, what `make local` runs):
//! moto's Cognito, `cargo lambda watch`, and local-api-gateway, driven with the real `aws` CLI and
//! real HTTP over loopback. Needs the project's tools: run through `make e2e` / `make test`.
use crate::support::{self, keys, stack::Stack};
use serde_json::{Value, json};

const PASSWORD: &str = "E2e-Passw0rd-ok!";

struct Answer {
    status: u16,
    www_authenticate: Option<String>,
    error_type: Option<String>,
    body: Value,
}

async fn get(url: &str, authorization: Option<&str>) -> Answer {
    let client = support::stack::http_client();
    let mut request = client.get(url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (www_authenticate, error_type) = (header("www-authenticate"), header("x-amzn-errortype"));
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    Answer {
        status,
        www_authenticate,
        error_type,
        body,
    }
}

/// The walkthrough's user: admin-create-user (no invitation, email verified), then a permanent
/// password, checking the status Cognito reports after each step.
fn create_user(stack: &Stack, pool: &str, username: &str, email: &str) {
    stack.aws_ok(&[
        "cognito-idp",
        "admin-create-user",
        "--user-pool-id",
        pool,
        "--username",
        username,
        "--user-attributes",
        &format!("Name=email,Value={email}"),
        "Name=email_verified,Value=true",
        "--temporary-password",
        "Temp-Passw0rd-1!",
        "--message-action",
        "SUPPRESS",
    ]);
    let status = |stack: &Stack| {
        stack.aws_ok(&[
            "cognito-idp",
            "admin-get-user",
            "--user-pool-id",
            pool,
            "--username",
            username,
            "--query",
            "UserStatus",
            "--output",
            "text",
        ])
    };
    assert_eq!(status(stack), "FORCE_CHANGE_PASSWORD");
    stack.aws_ok(&[
        "cognito-idp",
        "admin-set-user-password",
        "--user-pool-id",
        pool,
        "--username",
        username,
        "--password",
        PASSWORD,
        "--permanent",
    ]);
    assert_eq!(status(stack), "CONFIRMED");
}

/// admin-initiate-auth ADMIN_USER_PASSWORD_AUTH: (ID token, access token).
fn tokens(stack: &Stack, pool: &str, client: &str, username: &str) -> (String, String) {
    let out = stack.aws_ok(&[
        "cognito-idp",
        "admin-initiate-auth",
        "--user-pool-id",
        pool,
        "--client-id",
        client,
        "--auth-flow",
        "ADMIN_USER_PASSWORD_AUTH",
        "--auth-parameters",
        &format!("USERNAME={username},PASSWORD={PASSWORD}"),
        "--query",
        "AuthenticationResult.[IdToken,AccessToken]",
        "--output",
        "text",
    ]);
    let mut parts = out.split_whitespace();
    (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    )
}

/// The same token with one character of its signature changed.
fn tamper_signature(token: &str) -> String {
    let (rest, signature) = token.rsplit_once('.').unwrap();
    let mut signature: Vec<char> = signature.chars().collect();
    let i = signature.len() / 2;
    signature[i] = if signature[i] == 'A' { 'B' } else { 'A' };
    format!("{rest}.{}", signature.into_iter().collect::<String>())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "starts the real local stack: run with `make e2e`"]
async fn walkthrough_against_the_local_stack() {
    let mut stack = Stack::start("walkthrough", &[("CREATE_USER", "0")]);
    let pool = stack.var("USER_POOL_ID").to_owned();
    let client = stack.var("USER_POOL_CLIENT_ID").to_owned();
    let hello = stack.url("/hello");

    create_user(&stack, &pool, "user-a", "usera@example.com");
    let (id_token, access_token) = tokens(&stack, &pool, &client, "user-a");

    let answer = get(&hello, None).await;
    assert_eq!(
        (answer.status, &answer.body),
        (401, &json!({"message": "Unauthorized"}))
    );
    assert!(
        answer
            .www_authenticate
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );

    let answer = get(&hello, Some(&format!("Bearer {id_token}"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["message"], "Hello, user-a!");
    assert_eq!(answer.body["username"], "user-a");
    assert_eq!(answer.body["email"], "usera@example.com");
    assert_eq!(answer.body["token_use"], "id");
    assert_eq!(answer.body["client_id"], client.as_str());

    let answer = get(&hello, Some(&format!("Bearer {access_token}"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["username"], "user-a");
    assert_eq!(answer.body["token_use"], "access");

    let answer = get(
        &hello,
        Some(&format!("Bearer {}", tamper_signature(&id_token))),
    )
    .await;
    assert_eq!(
        (answer.status, &answer.body),
        (401, &json!({"message": "Unauthorized"}))
    );
    assert!(answer.www_authenticate.unwrap().contains("signature"));

    // A real token from another pool of the same emulator (same signing key): wrong issuer.
    let other_pool = stack.aws_ok(&[
        "cognito-idp",
        "create-user-pool",
        "--pool-name",
        "other",
        "--query",
        "UserPool.Id",
        "--output",
        "text",
    ]);
    let other_client = stack.aws_ok(&[
        "cognito-idp",
        "create-user-pool-client",
        "--user-pool-id",
        &other_pool,
        "--client-name",
        "other",
        "--explicit-auth-flows",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "--query",
        "UserPoolClient.ClientId",
        "--output",
        "text",
    ]);
    create_user(&stack, &other_pool, "user-a", "usera@example.com");
    let (foreign_token, _) = tokens(&stack, &other_pool, &other_client, "user-a");
    let answer = get(&hello, Some(&format!("Bearer {foreign_token}"))).await;
    assert_eq!(
        (answer.status, &answer.body),
        (401, &json!({"message": "Unauthorized"}))
    );
    assert!(answer.www_authenticate.unwrap().contains("issuer"));

    // The walkthrough's own API: the REST API with its Cognito user pool authorizer.
    let rest_hello = stack.rest_url("/hello");
    assert!(rest_hello.ends_with("/dev/hello"), "{rest_hello}");
    let answer = get(&rest_hello, None).await;
    assert_eq!(
        (answer.status, &answer.body),
        (401, &json!({"message": "Unauthorized"}))
    );
    assert_eq!(answer.error_type.as_deref(), Some("UnauthorizedException"));
    let through_http = get(&hello, Some(&format!("Bearer {id_token}"))).await;
    for authorization in [format!("Bearer {id_token}"), id_token.clone()] {
        let answer = get(&rest_hello, Some(&authorization)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(
            answer.body, through_http.body,
            "the same user gets the same greeting through both APIs"
        );
    }
    let answer = get(&rest_hello, Some(&format!("Bearer {access_token}"))).await;
    assert_eq!(
        (answer.status, &answer.body),
        (401, &json!({"message": "Unauthorized"})),
        "no scopes on the method: ID tokens only"
    );
    let answer = get(&rest_hello, Some(&format!("Bearer {foreign_token}"))).await;
    assert_eq!(answer.status, 401, "another pool");
    let answer = get(
        &stack.rest_url("/nope"),
        Some(&format!("Bearer {id_token}")),
    )
    .await;
    assert_eq!(
        (answer.status, &answer.body),
        (403, &json!({"message": "Missing Authentication Token"}))
    );
    assert_eq!(
        answer.error_type.as_deref(),
        Some("MissingAuthenticationTokenException")
    );

    // `make call API=rest STACK=local`: the walkthrough's curl lines against the REST API.
    let printed = stack.walkthrough_call(&[("API", "rest"), ("USER_PASSWORD", PASSWORD)]);
    assert!(printed.contains("/dev/hello"), "{printed}");

    // No log line of the stack (script, Cognito, function, API) holds a token or the password.
    let logs = stack.all_logs();
    assert!(logs.contains("status=200"), "the API logged the requests");
    for (what, secret) in [
        ("ID token", id_token.as_str()),
        ("access token", access_token.as_str()),
        ("foreign token", foreign_token.as_str()),
        ("password", PASSWORD),
    ] {
        // The signature part alone is enough to recognise a token.
        let needle = secret.rsplit('.').next().unwrap();
        assert!(!logs.contains(needle), "a log holds the {what}");
    }

    // Ctrl-C stops everything: nothing left running, every port free.
    stack.stop_and_check_clean("INT");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "starts the real local stack: run with `make e2e`"]
async fn with_a_deployed_pool_no_emulator_starts_and_keys_come_over_https() {
    // `make local COGNITO=aws` with the ids a deployed stack's outputs would give (set here, so
    // nothing asks AWS). Offline, the real issuer cannot be reached: every token fails closed.
    let mut stack = Stack::start(
        "deployed-pool",
        &[
            ("COGNITO", "aws"),
            ("USER_POOL_ID", "eu-west-1_Deployed1"),
            ("USER_POOL_CLIENT_ID", "deployedclient"),
            ("REGION", "eu-west-1"),
        ],
    );
    assert_eq!(stack.var("COGNITO"), "aws");
    assert_eq!(stack.var("COGNITO_ENDPOINT"), "");
    assert!(
        stack.processes_running("cognito-emulator").is_empty(),
        "no emulator in this mode"
    );
    let token = keys::unsigned_token(
        &json!({"alg": "RS256", "kid": "deployed-key", "typ": "JWT"}),
        &json!({
            "sub": "abc", "aud": "deployedclient", "token_use": "id", "exp": keys::now() + 600,
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Deployed1",
        }),
    );
    for url in [stack.url("/hello"), stack.rest_url("/hello")] {
        let answer = get(&url, Some(&format!("Bearer {token}"))).await;
        assert_eq!(answer.status, 401, "{url}");
    }
    let logs = stack.all_logs();
    assert!(
        logs.contains("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Deployed1/.well-known/openid-configuration"),
        "keys were asked of the real issuer, over HTTPS"
    );
    assert!(logs.contains("signing keys could not be fetched"));
    stack.stop_and_check_clean("INT");
}
