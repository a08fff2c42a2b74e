//! The local stack as a tool (issue 18): it always stops, whichever way a person stops it and
//! whatever arrives during the stop; a function that crashes or is killed is answered at once
//! and replaced; a second start never clobbers a running stack; and `make local TEMPLATE=...`
//! serves another template's every API and every user pool, or none (issue 15).
//! Started as a person starts it: `make local`, in a process group of its own, output piped.
//! `STOP_ROUNDS=20` repeats each stop test 20 times. Needs the project's tools: `make e2e`.
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::stack::{self, Launch, MakeLocal, Stack, aws_ok, repo_root, wait_until};
use serde_json::{Value, json};

fn rounds() -> usize {
    std::env::var("STOP_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// Every stop must be over within this (the stack gives its processes 10 s, then kills them).
const STOPPED_WITHIN: Duration = Duration::from_secs(30);

#[test]
#[ignore = "starts the real local stack: run with `make e2e`"]
fn ctrl_c_with_the_output_piped_to_tee_stops_everything() {
    for _ in 0..rounds() {
        let mut stack = MakeLocal::start("ctrl-c-tee", Launch::Tee, &[]);
        // The terminal's Ctrl-C: SIGINT to the foreground job, tee included.
        stack.signal_group("INT");
        stack.assert_stopped_cleanly(STOPPED_WITHIN);
    }
}

#[test]
#[ignore = "starts the real local stack: run with `make e2e`"]
fn a_second_ctrl_c_during_the_stop_is_ignored_and_everything_stops() {
    for _ in 0..rounds() {
        let mut stack = MakeLocal::start("ctrl-c-twice", Launch::Foreground, &[]);
        stack.signal_group("INT");
        wait_until("the stop to begin", STOPPED_WITHIN, || {
            stack.output().contains("stopping") || !stack.is_running()
        });
        // Pressed again and again while it stops.
        let deadline = Instant::now() + STOPPED_WITHIN;
        while stack.is_running() && Instant::now() < deadline {
            stack.signal_group("INT");
            std::thread::sleep(Duration::from_millis(20));
        }
        stack.assert_stopped_cleanly(STOPPED_WITHIN);
    }
}

#[test]
#[ignore = "starts the real local stack: run with `make e2e`"]
fn sigterm_to_makes_process_group_stops_everything() {
    // What `timeout`, a supervisor or an IDE sends; make forwards it to its child as well, so
    // the stack's script gets it twice.
    for _ in 0..rounds() {
        let mut stack = MakeLocal::start("sigterm", Launch::Tee, &[]);
        stack.signal_group("TERM");
        stack.assert_stopped_cleanly(STOPPED_WITHIN);
    }
}

#[test]
#[ignore = "starts the real local stack: run with `make e2e`"]
fn sighup_from_a_closed_terminal_stops_everything() {
    for _ in 0..rounds() {
        let mut stack = MakeLocal::start("sighup", Launch::Terminal, &[]);
        stack.close_terminal();
        stack.assert_stopped_cleanly(STOPPED_WITHIN);
    }
}

#[test]
#[ignore = "starts the real local stack: run with `make e2e`"]
fn output_to_a_tee_that_is_gone_cannot_end_the_stop() {
    for _ in 0..rounds() {
        let mut stack = MakeLocal::start("sigpipe", Launch::Tee, &[]);
        let tee = stack.processes_named("tee");
        assert_eq!(tee.len(), 1, "one tee");
        stack::signal_pids("KILL", &tee);
        wait_until("tee to be gone", STOPPED_WITHIN, || {
            stack.processes_named("tee").is_empty()
        });
        // Every line the stack writes from now on goes to a pipe nobody reads (SIGPIPE).
        stack.signal_group("INT");
        stack.assert_stopped_cleanly(STOPPED_WITHIN);
    }
}

/// template.yaml plus the fault fixture, its Timeout far longer than a crash takes to be
/// answered (10 s): routes without an authorizer on both APIs.
fn crash_template() -> String {
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
      Timeout: 10
      Events:
        Fault:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Method: GET
            Path: /fault/{kind}
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
    write_template("crash", &template.replacen("Outputs:", fixture, 1))
}

fn write_template(name: &str, text: &str) -> String {
    let path = repo_root().join(format!(
        "target/e2e/{name}-template-{}.yaml",
        std::process::id()
    ));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// GET `url`: status, body (as text), and how long the answer took.
async fn get(url: &str, token: Option<&str>) -> (u16, String, Duration) {
    let started = Instant::now();
    let mut request = stack::http_client()
        .get(url)
        .timeout(Duration::from_secs(30));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap(), started.elapsed())
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

/// API Gateway's answer to a function error: HTTP API 500, REST API 502.
fn function_error(rest: bool) -> (u16, Value) {
    if rest {
        (502, json!({"message": "Internal server error"}))
    } else {
        (500, json!({"message": "Internal Server Error"}))
    }
}

const AT_ONCE: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread")]
#[ignore = "starts the real local stack: run with `make e2e`"]
async fn a_crashed_function_is_answered_at_once_and_a_fresh_process_serves_the_next_request() {
    let template = crash_template();
    let mut stack = Stack::start("crash", &[("TEMPLATE", template.as_str())]);
    for (rest, base) in [(false, stack.url("")), (true, stack.rest_url(""))] {
        let (status, _, _) = get(&format!("{base}/fault/ok"), None).await;
        assert_eq!(status, 200);
        // Twice: in cargo lambda watch alone, the first crash already leaves it dead for good.
        for _ in 0..2 {
            let (status, body, took) = get(&format!("{base}/fault/crash"), None).await;
            assert_eq!((status, json_of(&body)), function_error(rest));
            assert!(
                took < AT_ONCE,
                "the crash answered after {took:?} (Timeout 10 s)"
            );
            let (status, body, took) = get(&format!("{base}/fault/ok"), None).await;
            assert_eq!(status, 200, "{body}");
            assert!(took < AT_ONCE, "the next request took {took:?}");
        }
    }
    let logs = stack.all_logs();
    assert!(
        logs.contains("the process exited (exit status 3) during invocation"),
        "the sandbox says what happened"
    );
    assert!(
        logs.contains("Runtime.ExitError"),
        "the function error is Lambda's"
    );
    stack.stop_and_check_clean("INT");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "starts the real local stack: run with `make e2e`"]
async fn a_function_killed_from_outside_is_answered_at_once_and_replaced() {
    let template = crash_template();
    let mut stack = Stack::start("killed", &[("TEMPLATE", template.as_str())]);
    let slow = stack.url("/fault/slow");
    let ok = stack.url("/fault/ok");
    assert_eq!(get(&ok, None).await.0, 200);
    let started_line = "fault-function: slow invocation started";
    for round in 1..=2 {
        // Killed mid-invocation (it would answer 200 after 3 s).
        let call = tokio::spawn({
            let slow = slow.clone();
            async move { get(&slow, None).await }
        });
        wait_until("the slow invocation to start", AT_ONCE * 5, || {
            stack.all_logs().matches(started_line).count() == round
        });
        let function = stack.processes_named("fault-function");
        assert_eq!(function.len(), 1, "one fault-function process");
        let killed_at = Instant::now();
        stack.signal("KILL", &function);
        let (status, body, _) = call.await.unwrap();
        let after_kill = killed_at.elapsed();
        assert_eq!((status, json_of(&body)), function_error(false));
        assert!(
            after_kill < AT_ONCE,
            "answered {after_kill:?} after the kill"
        );
        let (status, _, took) = get(&ok, None).await;
        assert_eq!(status, 200);
        assert!(took < AT_ONCE, "the next request took {took:?}");
        assert_ne!(
            stack.processes_named("fault-function"),
            function,
            "a fresh process"
        );
    }
    // Killed while idle: the next request finds a fresh process.
    let function = stack.processes_named("fault-function");
    stack.signal("KILL", &function);
    let (status, _, took) = get(&ok, None).await;
    assert_eq!(status, 200);
    assert!(took < AT_ONCE, "took {took:?}");
    assert!(
        stack
            .all_logs()
            .contains("the process exited (signal: killed)")
    );
    stack.stop_and_check_clean("TERM");
}

/// Runs `make local` with `env` until it exits (it must, within a minute): its status and output.
fn make_local_once(env: &[(&str, String)]) -> (std::process::ExitStatus, String) {
    let mut command = Command::new("env");
    command
        .args(["--default-signal", "sh", "-c", "make local 2>&1"])
        .current_dir(repo_root())
        .env_remove("MAKEFLAGS")
        .env_remove("MAKELEVEL")
        .env_remove("TEMPLATE")
        .env("WEB", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the second make local did not give up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "starts the real local stack: run with `make e2e`"]
async fn a_second_start_says_why_it_cannot_and_leaves_the_running_stack_alone() {
    let mut first = Stack::start("running", &[]);
    let env_file = first.state_dir.join("stack.env");
    let env_before = std::fs::read_to_string(&env_file).unwrap();
    let processes_before = first.leftover_processes().len();
    let same_ports = |state_dir: &std::path::Path, marker: &str| {
        vec![
            ("API_PORT", first.ports.api.to_string()),
            ("REST_API_PORT", first.ports.rest_api.to_string()),
            ("COGNITO_PORT", first.ports.cognito.to_string()),
            ("FUNCTION_PORT", first.ports.function.to_string()),
            ("STATE_DIR", state_dir.display().to_string()),
            ("E2E_STACK_MARKER", marker.to_owned()),
        ]
    };

    // The running stack keeps its files and its processes.
    let untouched = |first: &Stack, after: &str| {
        assert_eq!(
            std::fs::read_to_string(&env_file).ok().as_deref(),
            Some(env_before.as_str()),
            "the running stack's stack.env, after {after}"
        );
        assert!(
            first.state_dir.join("stack.pid").exists(),
            "its stack.pid, after {after}"
        );
        assert_eq!(
            first.leftover_processes().len(),
            processes_before,
            "its processes, after {after}"
        );
    };

    // In the same STATE_DIR (a second `make local` in the same checkout).
    let (status, output) = make_local_once(&same_ports(&first.state_dir, "second-same-dir"));
    untouched(&first, "a second start in its STATE_DIR");
    assert!(!status.success(), "{output}");
    assert!(
        output.contains("a local stack is already running from"),
        "{output}"
    );
    // In another STATE_DIR, on the same ports.
    let other_dir = first.state_dir.with_extension("other");
    let (status, output) = make_local_once(&same_ports(&other_dir, "second-other-dir"));
    untouched(&first, "a second start on its ports");
    assert!(!status.success(), "{output}");
    assert!(
        output.contains(&format!("port {} is in use", first.ports.api)),
        "{output}"
    );
    assert!(stack::marked_processes("second-same-dir").is_empty());
    assert!(stack::marked_processes("second-other-dir").is_empty());

    // And it still answers.
    let (status, body, _) = get(&first.url("/hello"), None).await;
    assert_eq!(
        (status, json_of(&body)),
        (401, json!({"message": "Unauthorized"}))
    );
    let token = first.aws_ok(&[
        "cognito-idp",
        "admin-initiate-auth",
        "--user-pool-id",
        first.var("USER_POOL_ID"),
        "--client-id",
        first.var("USER_POOL_CLIENT_ID"),
        "--auth-flow",
        "ADMIN_USER_PASSWORD_AUTH",
        "--auth-parameters",
        "USERNAME=user-a,PASSWORD=Local-only-Passw0rd!",
        "--query",
        "AuthenticationResult.IdToken",
        "--output",
        "text",
    ]);
    assert_eq!(get(&first.url("/hello"), Some(&token)).await.0, 200);
    first.stop_and_check_clean("INT");
    let _ = std::fs::remove_dir_all(other_dir);
}

/// Two APIs, two user pools with a client each: the HTTP API's JWT authorizer trusts the
/// partners' pool, the REST API's Cognito authorizer the staff's.
fn two_pools_template() -> String {
    write_template(
        "two-pools",
        r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  PartnerPool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: partners
      AdminCreateUserConfig:
        AllowAdminCreateUserOnly: true
  PartnerClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref PartnerPool
      ExplicitAuthFlows: [ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
  StaffPool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: staff
      UsernameAttributes: [email]
  StaffClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref StaffPool
      ExplicitAuthFlows: [ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
  PartnerApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Partners
        Authorizers:
          Partners:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${PartnerPool}
              audience: [!Ref PartnerClient]
  StaffApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: internal
      Auth:
        DefaultAuthorizer: Staff
        Authorizers:
          Staff:
            UserPoolArn: !GetAtt StaffPool.Arn
  Hello:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: hello
    Properties:
      CodeUri: .
      Handler: bootstrap
      Runtime: provided.al2023
      Events:
        Partners:
          Type: HttpApi
          Properties:
            ApiId: !Ref PartnerApi
            Method: GET
            Path: /hello
        Staff:
          Type: Api
          Properties:
            RestApiId: !Ref StaffApi
            Method: GET
            Path: /hello
"#,
    )
}

fn id_token(env: &std::collections::HashMap<String, String>, pool: &str, client: &str) -> String {
    let username = &env[&format!("USERNAME_{pool}")];
    aws_ok(
        env,
        &[
            "cognito-idp",
            "admin-initiate-auth",
            "--user-pool-id",
            &env[&format!("ID_{pool}")],
            "--client-id",
            &env[&format!("ID_{client}")],
            "--auth-flow",
            "ADMIN_USER_PASSWORD_AUTH",
            "--auth-parameters",
            &format!("USERNAME={username},PASSWORD=Local-only-Passw0rd!"),
            "--query",
            "AuthenticationResult.IdToken",
            "--output",
            "text",
        ],
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "starts the real local stack: run with `make e2e`"]
async fn make_local_serves_every_api_and_every_user_pool_of_another_template() {
    let template = two_pools_template();
    let mut stack = MakeLocal::start("two-pools", Launch::Foreground, &[("TEMPLATE", &template)]);
    let env = stack.env.clone();
    let partner_api = env["URL_PartnerApi"].clone();
    let staff_api = env["URL_StaffApi"].clone();
    assert!(staff_api.ends_with("/internal"), "{staff_api}");
    for id in ["PartnerPool", "PartnerClient", "StaffPool", "StaffClient"] {
        assert!(
            env.contains_key(&format!("ID_{id}")),
            "ID_{id} in stack.env"
        );
    }
    assert_eq!(env["USERNAME_PartnerPool"], "user-a");
    assert_eq!(
        env["USERNAME_StaffPool"], "usera@example.com",
        "an email sign-in pool"
    );
    let banner = stack.output();
    for line in [
        &partner_api,
        &staff_api,
        &env["ID_PartnerPool"],
        &env["ID_StaffPool"],
    ] {
        assert!(
            banner.contains(line.as_str()),
            "{line} in the banner:\n{banner}"
        );
    }
    assert!(
        stack.processes_named("node").is_empty(),
        "no web app for another template"
    );

    let partner = id_token(&env, "PartnerPool", "PartnerClient");
    let staff = id_token(&env, "StaffPool", "StaffClient");
    let unauthorized = json!({"message": "Unauthorized"});
    for (api, own, other) in [
        (&partner_api, &partner, &staff),
        (&staff_api, &staff, &partner),
    ] {
        let url = format!("{api}/hello");
        let (status, body, _) = get(&url, None).await;
        assert_eq!(
            (status, json_of(&body)),
            (401, unauthorized.clone()),
            "{url}"
        );
        let (status, body, _) = get(&url, Some(own)).await;
        assert_eq!(status, 200, "{url}: {body}");
        assert_eq!(json_of(&body)["token_use"], "id");
        let (status, _, _) = get(&url, Some(other)).await;
        assert_eq!(status, 401, "{url}: the other pool's token");
    }

    // `make token STACK=local USER_POOL=StaffPool`: the walkthrough for another pool.
    let token = Command::new(repo_root().join("scripts/walkthrough.sh"))
        .arg("token")
        .current_dir(repo_root())
        .env("STACK", "local")
        .env("STACK_ENV", stack.state_dir.join("stack.env"))
        .env("USER_POOL", "StaffPool")
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap();
    assert_eq!(
        get(&format!("{staff_api}/hello"), Some(token.trim()))
            .await
            .0,
        200
    );

    stack.signal_group("INT");
    stack.assert_stopped_cleanly(STOPPED_WITHIN);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "starts the real local stack: run with `make e2e`"]
async fn make_local_serves_a_template_without_user_pools_and_starts_no_emulator() {
    let template = write_template(
        "no-pools",
        r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Faults:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: fault-function
    Properties:
      CodeUri: .
      Handler: bootstrap
      Runtime: provided.al2023
      Events:
        Open:
          Type: HttpApi
          Properties:
            Method: GET
            Path: /fault/{kind}
"#,
    );
    let mut stack = MakeLocal::start("no-pools", Launch::Foreground, &[("TEMPLATE", &template)]);
    assert_eq!(stack.var("COGNITO_ENDPOINT"), "");
    assert!(
        stack.processes_running("cognito-emulator").is_empty(),
        "no emulator without a pool"
    );
    let api = stack.var("URL_ServerlessHttpApi").to_owned();
    assert_eq!(stack.var("API_URL"), api);
    let (status, body, _) = get(&format!("{api}/fault/ok"), None).await;
    assert_eq!((status, json_of(&body)), (200, json!({"ok": true})));
    stack.signal_group("TERM");
    stack.assert_stopped_cleanly(STOPPED_WITHIN);
}
