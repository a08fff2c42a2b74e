//! Faults on the running local stack: the function failing, crashing and disappearing, Cognito
//! stopping and coming back, and the stack stopped with SIGTERM. Real processes throughout: the
//! `fault-function` fixture runs under the same `cargo lambda watch` as `hello`.
//! Needs the project's tools: run through `make e2e` / `make test`.
use std::time::{Duration, Instant};

use crate::support::stack::{self, Stack, port_is_free, repo_root, wait_until};
use serde_json::{Value, json};

/// template.yaml plus the fault fixture (Timeout 1 s) on routes without an authorizer: on both
/// APIs, and on an HTTP API route whose integration gives up first (500 ms).
fn fault_template() -> String {
    let template = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    let fixture = "  FaultFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: fault-function
    Properties:
      CodeUri: .
      Handler: bootstrap
      Runtime: provided.al2023
      Timeout: 1
      Events:
        Fault:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Method: GET
            Path: /fault/{kind}
            Auth:
              Authorizer: NONE
        ShortIntegration:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Method: GET
            Path: /short/{kind}
            TimeoutInMillis: 500
            Auth:
              Authorizer: NONE
        RestFault:
          Type: Api
          Properties:
            RestApiId: !Ref RestApi
            Method: GET
            Path: /fault/{kind}
            Auth:
              Authorizer: NONE

Outputs:";
    let path = repo_root().join(format!(
        "target/e2e/fault-template-{}.yaml",
        std::process::id()
    ));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, template.replacen("Outputs:", fixture, 1)).unwrap();
    path.display().to_string()
}

async fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let client = stack::http_client();
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

fn id_token(stack: &Stack) -> String {
    stack.aws_ok(&[
        "cognito-idp",
        "admin-initiate-auth",
        "--user-pool-id",
        stack.var("USER_POOL_ID"),
        "--client-id",
        stack.var("USER_POOL_CLIENT_ID"),
        "--auth-flow",
        "ADMIN_USER_PASSWORD_AUTH",
        "--auth-parameters",
        "USERNAME=user-a,PASSWORD=Local-only-Passw0rd!",
        "--query",
        "AuthenticationResult.IdToken",
        "--output",
        "text",
    ])
}

/// A well-formed token whose `kid` the issuer never published.
fn token_with_unknown_kid(valid: &str) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let (_, rest) = valid.split_once('.').unwrap();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"never-published","typ":"JWT"}"#);
    format!("{header}.{rest}")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "starts the real local stack: run with `make e2e`"]
async fn the_stack_survives_function_and_cognito_faults() {
    let template = fault_template();
    let mut stack = Stack::start(
        "faults",
        &[
            ("TEMPLATE", template.as_str()),
            // Prompt answers while Cognito is frozen; a refetch allowed every 2 s.
            (
                "GATEWAY_ARGS",
                "--jwks-timeout-ms 500 --jwks-refetch-cooldown-ms 2000",
            ),
        ],
    );
    let hello = stack.url("/hello");

    // The README's flow on the default stack (user created by the script): `make call STACK=local`.
    let printed = stack.walkthrough_call(&[]);
    assert!(
        printed.contains(r#""message":"Hello, user-a!""#),
        "{printed}"
    );

    let token = id_token(&stack);
    assert_eq!(get(&hello, Some(&token)).await.0, 200);

    // The function fails: API Gateway's 500 (HTTP API) and 502 (REST API).
    let internal = json!({"message": "Internal Server Error"});
    let rest_internal = json!({"message": "Internal server error"});
    for kind in ["error", "malformed"] {
        assert_eq!(
            get(&stack.url(&format!("/fault/{kind}")), None).await,
            (500, internal.clone()),
            "{kind}"
        );
        assert_eq!(
            get(&stack.rest_url(&format!("/fault/{kind}")), None).await,
            (502, rest_internal.clone()),
            "{kind}"
        );
    }

    // Slower than its Timeout (1 s): stopped as Lambda stops it, a function error.
    let started = Instant::now();
    assert_eq!(
        get(&stack.url("/fault/slow"), None).await,
        (500, internal.clone())
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_millis(2500),
        "took {took:?}"
    );
    assert!(
        stack
            .all_logs()
            .contains("Task timed out after 1.00 seconds")
    );
    // An integration timeout shorter than the function's: API Gateway gives up first.
    let started = Instant::now();
    assert_eq!(
        get(&stack.url("/short/slow"), None).await,
        (503, json!({"message": "Service Unavailable"}))
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        started.elapsed()
    );

    // The function's process dies mid-invocation: no answer; at its Timeout, a function error.
    let started = Instant::now();
    assert_eq!(get(&stack.url("/fault/crash"), None).await, (500, internal));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        get(&hello, Some(&token)).await.0,
        200,
        "other functions keep working"
    );

    // The function endpoint (cargo lambda watch) is killed: 502 that says so, then recovery
    // once the stack has started it again, without restarting the API.
    let watch = stack.processes_running("lambda watch");
    assert!(!watch.is_empty(), "cargo lambda watch is running");
    stack.signal("KILL", &watch);
    wait_until(
        "the function endpoint to go away",
        Duration::from_secs(10),
        || port_is_free(stack.ports.function),
    );
    let (status, body) = get(&hello, Some(&token)).await;
    if status == 502 {
        // No internals in the body; the reason is in the gateway's log.
        assert_eq!(body, json!({"message": "Bad Gateway"}));
        assert!(stack.all_logs().contains("function unreachable"));
    } else {
        // The supervisor was quicker than this request; the outage itself is asserted below.
        assert_eq!(status, 200, "{body}");
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, body) = get(&hello, Some(&token)).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 502, "only 502 while the endpoint is away: {body}");
        assert!(
            Instant::now() < deadline,
            "the function endpoint did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stack
            .log()
            .contains("the function endpoint exited; starting it again")
    );

    // Cognito stops: cached keys keep valid tokens working; an uncached kid fails closed, fast.
    let cognito = stack.processes_running("cognito-emulator.py");
    assert!(!cognito.is_empty(), "the Cognito emulator is running");
    stack.signal("STOP", &cognito);
    assert_eq!(get(&hello, Some(&token)).await.0, 200);
    let started = Instant::now();
    let (status, body) = get(&hello, Some(&token_with_unknown_kid(&token))).await;
    assert_eq!((status, body), (401, json!({"message": "Unauthorized"})));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stack
            .all_logs()
            .contains("signing keys could not be fetched")
    );

    // Cognito is back: new tokens work, without restarting the API.
    stack.signal("CONT", &cognito);
    let fresh = id_token(&stack);
    assert_eq!(get(&hello, Some(&fresh)).await.0, 200);

    // SIGTERM stops everything, ports free.
    stack.stop_and_check_clean("TERM");
}
