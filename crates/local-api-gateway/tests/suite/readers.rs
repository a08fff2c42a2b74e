//! The template readers, rule by rule: SAM's own rules (each test names where the SAM translator
//! has it, samtranslator 1.115), OpenAPI bodies, raw CloudFormation resources. The expected
//! routes are written from SAM's and API Gateway's documentation, not from this code's output.

use std::{collections::BTreeMap, path::Path};

use local_api_gateway::{
    model::{
        Api, ApiKeySource, ApiKind, AuthorizerConfig, CorsConfig, Integration, MockResponse,
        PayloadVersion, RouteAuth, Stage,
    },
    template::{LocalValues, Reading, Template, read_apis},
};

use crate::support::local_values;

fn reading_with(text: &str, values: &LocalValues) -> Result<Reading, String> {
    let template = Template::parse_in(
        text,
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/readers")
            .as_path(),
    )
    .map_err(|e| e.to_string())?;
    read_apis(&template, values).map_err(|e| e.to_string())
}

fn reading(text: &str) -> Reading {
    reading_with(text, &local_values()).unwrap()
}

fn error(text: &str) -> String {
    reading_with(text, &local_values()).expect_err("the template should be refused")
}

fn api<'r>(reading: &'r Reading, id: &str) -> &'r Api {
    reading
        .apis
        .iter()
        .find(|api| api.id == id)
        .unwrap_or_else(|| panic!("no API {id} among {:?}", ids(reading)))
}

fn ids(reading: &Reading) -> Vec<&str> {
    reading.apis.iter().map(|a| a.id.as_str()).collect()
}

/// Each route as `METHOD path -> target | authorization[ +key]`, sorted.
fn routes(api: &Api) -> Vec<String> {
    let mut routes: Vec<String> = api
        .routes
        .iter()
        .map(|route| {
            let target = match &route.integration {
                Integration::Lambda(lambda) => format!(
                    "{}@{}",
                    lambda.function.name,
                    match lambda.payload {
                        PayloadVersion::V1 => "1.0",
                        PayloadVersion::V2 => "2.0",
                    }
                ),
                Integration::Mock(mock) => format!("MOCK {}", mock.status),
                Integration::Unavailable(what) => format!("unavailable: {what}"),
            };
            let auth = match &route.auth {
                RouteAuth::None => "open".to_owned(),
                RouteAuth::Iam => "AWS_IAM".to_owned(),
                RouteAuth::Authorizer { name, scopes } if scopes.is_empty() => name.clone(),
                RouteAuth::Authorizer { name, scopes } => format!("{name}[{}]", scopes.join(" ")),
            };
            let key = if route.api_key_required { " +key" } else { "" };
            format!("{} -> {target} | {auth}{key}", route.route_key())
        })
        .collect();
    routes.sort();
    routes
}

fn stage_names(api: &Api) -> Vec<&str> {
    api.stages.iter().map(|s| s.name.as_str()).collect()
}

const HEAD: &str = "Transform: AWS::Serverless-2016-10-31\n";

/// A function `Fn` (invoked as `fn`) with the given events.
fn function(name: &str, events: &str) -> String {
    format!(
        "  {name}:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        Binary: {}\n    Properties:\n      Runtime: provided.al2023\n      Handler: bootstrap\n      Events:\n{events}",
        name.to_ascii_lowercase()
    )
}

const POOL: &str = "  Pool:\n    Type: AWS::Cognito::UserPool\n  Client:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n      UserPoolId: !Ref Pool\n";

// ---- implicit APIs (plugins/api/implicit_rest_api_plugin.py, implicit_http_api_plugin.py) ----

#[test]
fn events_without_an_api_go_to_the_implicit_apis() {
    let text = format!(
        "{HEAD}Resources:\n{}",
        function(
            "Fn",
            "        Rest:\n          Type: Api\n          Properties:\n            Path: /items/{id}\n            Method: get\n        \
             Http:\n          Type: HttpApi\n          Properties:\n            Path: /items\n            Method: post\n        \
             CatchAll:\n          Type: HttpApi\n"
        )
    );
    let reading = reading(&text);
    assert_eq!(ids(&reading), ["ServerlessHttpApi", "ServerlessRestApi"]);
    let http = api(&reading, "ServerlessHttpApi");
    assert_eq!(
        routes(http),
        ["$default -> fn@2.0 | open", "POST /items -> fn@2.0 | open"],
        "an HttpApi event with neither Path nor Method is the $default route"
    );
    assert_eq!(stage_names(http), ["$default"]);
    let rest = api(&reading, "ServerlessRestApi");
    assert_eq!(routes(rest), ["GET /items/{id} -> fn@1.0 | open"]);
    assert_eq!(
        stage_names(rest),
        ["Prod", "Stage"],
        "SAM's deployment also makes a stage named Stage unless OpenApiVersion is set"
    );
}

#[test]
fn globals_reach_the_implicit_apis() {
    let text = format!(
        "{HEAD}Globals:\n  Api:\n    OpenApiVersion: 3.0.1\n    Variables:\n      color: blue\n    Auth:\n      DefaultAuthorizer: Cognito\n      \
         Authorizers:\n        Cognito:\n          UserPoolArn: !GetAtt Pool.Arn\n  HttpApi:\n    Auth:\n      DefaultAuthorizer: Jwt\n      \
         Authorizers:\n        Jwt:\n          IdentitySource: $request.header.Authorization\n          JwtConfiguration:\n            \
         issuer: !Sub https://cognito-idp.${{AWS::Region}}.amazonaws.com/${{Pool}}\n            audience: [!Ref Client]\n  \
         Function:\n    Timeout: 12\nResources:\n{POOL}{}",
        function(
            "Fn",
            "        Rest:\n          Type: Api\n          Properties:\n            Path: /a\n            Method: get\n        \
             Http:\n          Type: HttpApi\n          Properties:\n            Path: /b\n            Method: get\n"
        )
    );
    let reading = reading(&text);
    let rest = api(&reading, "ServerlessRestApi");
    assert_eq!(routes(rest), ["GET /a -> fn@1.0 | Cognito"]);
    assert_eq!(
        rest.stages,
        [Stage {
            name: "Prod".into(),
            variables: BTreeMap::from([("color".into(), "blue".into())]),
        }]
    );
    let http = api(&reading, "ServerlessHttpApi");
    assert_eq!(routes(http), ["GET /b -> fn@2.0 | Jwt"]);
    assert_eq!(
        http.routes[0].function().unwrap().timeout.as_secs(),
        12,
        "Globals.Function.Timeout"
    );
}

#[test]
fn an_explicit_api_next_to_an_implicit_one_and_a_bare_logical_id() {
    let text = format!(
        "{HEAD}Resources:\n  Mine:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n{}",
        function(
            "Fn",
            "        Implicit:\n          Type: Api\n          Properties:\n            Path: /a\n            Method: get\n        \
             ByRef:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Mine\n            Path: /b\n            Method: get\n        \
             ById:\n          Type: Api\n          Properties:\n            RestApiId: Mine\n            Path: /c\n            Method: get\n"
        )
    );
    let reading = reading(&text);
    assert_eq!(
        routes(api(&reading, "ServerlessRestApi")),
        ["GET /a -> fn@1.0 | open"]
    );
    assert_eq!(
        routes(api(&reading, "Mine")),
        ["GET /b -> fn@1.0 | open", "GET /c -> fn@1.0 | open"],
        "SAM takes a bare logical id as well as !Ref (push.py get_rest_api_id_string)"
    );
    assert_eq!(stage_names(api(&reading, "Mine")), ["v1", "Stage"]);
}

#[test]
fn a_resource_named_like_an_implicit_api_is_replaced_by_it() {
    let text = format!(
        "{HEAD}Resources:\n  ServerlessRestApi:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: mine\n      \
         Auth:\n        DefaultAuthorizer: AWS_IAM\n{}",
        function(
            "Fn",
            "        A:\n          Type: Api\n          Properties:\n            Path: /a\n            Method: get\n"
        )
    );
    let reading = reading(&text);
    let rest = api(&reading, "ServerlessRestApi");
    assert_eq!(routes(rest), ["GET /a -> fn@1.0 | open"]);
    assert_eq!(stage_names(rest), ["Prod", "Stage"]);
    assert!(
        reading.warnings[0].contains("SAM replaces a resource of this name"),
        "{:?}",
        reading.warnings
    );
}

/// An API whose `Condition` is false is not created, so not served: a SAM one, a raw one.
#[test]
fn an_api_whose_condition_is_false_is_not_served() {
    let text = format!(
        "{HEAD}Parameters:\n  On:\n    Type: String\n    Default: 'no'\nConditions:\n  Enabled: !Equals [!Ref On, 'yes']\nResources:\n  \
         AlwaysApi:\n    Type: AWS::Serverless::HttpApi\n  SometimesApi:\n    Type: AWS::Serverless::HttpApi\n    Condition: Enabled\n  \
         Raw:\n    Type: AWS::ApiGateway::RestApi\n    Condition: Enabled\n    Properties: {{Name: raw}}\n  RawGet:\n    Type: AWS::ApiGateway::Method\n    \
         Condition: Enabled\n    Properties:\n      RestApiId: !Ref Raw\n      ResourceId: !GetAtt Raw.RootResourceId\n      HttpMethod: GET\n      \
         AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n        \
         Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Always.Arn}}/invocations\n  RawStage:\n    \
         Type: AWS::ApiGateway::Stage\n    Condition: Enabled\n    Properties: {{RestApiId: !Ref Raw, StageName: prod}}\n{}{}",
        function("Always", "        A:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref AlwaysApi\n            Path: /a\n            Method: get\n"),
        function("Sometimes", "        B:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref SometimesApi\n            Path: /b\n            Method: get\n")
            .replacen("    Type: AWS::Serverless::Function\n", "    Type: AWS::Serverless::Function\n    Condition: Enabled\n", 1)
    );
    assert_eq!(ids(&reading(&text)), ["AlwaysApi"]);
    let mut on = local_values();
    on.parameters.insert("On".into(), "yes".into());
    let reading = reading_with(&text, &on).unwrap();
    assert_eq!(ids(&reading), ["AlwaysApi", "SometimesApi", "Raw"]);
    assert_eq!(routes(api(&reading, "Raw")), ["GET / -> always@1.0 | open"]);
}

/// A value of the wrong kind is named by its kind in the error.
#[test]
fn a_value_of_the_wrong_kind_is_named_in_the_error() {
    for (stage, expected) in [
        (
            "!Ref [a, b]",
            "`Api` property `StageName.Ref`: Ref takes a name, found a list",
        ),
        (
            "!Ref {a: b}",
            "`Api` property `StageName.Ref`: Ref takes a name, found a mapping",
        ),
        (
            "!Ref 7",
            "`Api` property `StageName.Ref`: Ref takes a name, found a number",
        ),
    ] {
        let text = format!(
            "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: {stage}\n{}",
            function("Fn", &rest_event("Get", "/a", "get", ""))
        );
        let err = error(&text);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
    let text = format!(
        "{HEAD}Resources:\n{}",
        function(
            "Fn",
            "        Get:\n          Type: Api\n          Properties:\n            RestApiId: [Api]\n            Path: /a\n            Method: get\n"
        )
    );
    let err = error(&text);
    assert!(
        err.contains("expected `!Ref <API>` or the API's logical id, found a list"),
        "{err}"
    );
}

/// A state machine's Api events are routes (to an integration that cannot run here), unless its
/// `Condition` is false.
#[test]
fn a_state_machine_whose_condition_is_false_adds_no_route() {
    let text = format!(
        "{HEAD}Parameters:\n  On:\n    Type: String\n    Default: 'no'\nConditions:\n  Enabled: !Equals [!Ref On, 'yes']\nResources:\n  \
         Flow:\n    Type: AWS::Serverless::StateMachine\n    Condition: Enabled\n    Properties:\n      Definition: {{StartAt: Done, States: {{Done: {{Type: Succeed}}}}}}\n      \
         Events:\n        Start:\n          Type: Api\n          Properties: {{Path: /start, Method: post}}\n{}",
        function(
            "Fn",
            "        Get:\n          Type: Api\n          Properties: {Path: /a, Method: get}\n"
        )
    );
    assert_eq!(
        routes(api(&reading(&text), "ServerlessRestApi")),
        ["GET /a -> fn@1.0 | open"]
    );
    let mut on = local_values();
    on.parameters.insert("On".into(), "yes".into());
    let started = routes(api(&reading_with(&text, &on).unwrap(), "ServerlessRestApi"));
    assert_eq!(started.len(), 2, "{started:?}");
    assert!(
        started[1].starts_with("POST /start -> unavailable:"),
        "{started:?}"
    );
}

#[test]
fn a_function_whose_condition_is_false_adds_no_route() {
    let text = format!(
        "{HEAD}Parameters:\n  On:\n    Type: String\n    Default: 'no'\nConditions:\n  Enabled: !Equals [!Ref On, 'yes']\nResources:\n{}{}",
        function("Always", "        A:\n          Type: HttpApi\n          Properties:\n            Path: /a\n            Method: get\n"),
        function("Sometimes", "        B:\n          Type: HttpApi\n          Properties:\n            Path: /b\n            Method: get\n")
            .replacen("    Type: AWS::Serverless::Function\n", "    Type: AWS::Serverless::Function\n    Condition: Enabled\n", 1)
    );
    assert_eq!(
        routes(api(&reading(&text), "ServerlessHttpApi")),
        ["GET /a -> always@2.0 | open"]
    );
    let mut on = local_values();
    on.parameters.insert("On".into(), "yes".into());
    let reading = reading_with(&text, &on).unwrap();
    assert_eq!(
        routes(api(&reading, "ServerlessHttpApi")),
        [
            "GET /a -> always@2.0 | open",
            "GET /b -> sometimes@2.0 | open"
        ]
    );
}

// ---- Globals (plugins/globals/globals.py) ----

#[test]
fn globals_merge_maps_deeply_and_the_resource_wins_else() {
    let text = format!(
        "{HEAD}Globals:\n  Api:\n    Auth:\n      DefaultAuthorizer: Global\n      Authorizers:\n        Global:\n          UserPoolArn: !GetAtt Pool.Arn\n          \
         AuthorizationScopes: [g/read]\n    BinaryMediaTypes: [image~1png]\nResources:\n{POOL}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      \
         StageName: dev\n      OpenApiVersion: '3.0.1'\n      BinaryMediaTypes: [image~1gif]\n      Auth:\n        Authorizers:\n          Local:\n            UserPoolArn: !GetAtt Pool.Arn\n          \
         Global:\n            Identity:\n              Header: X-Token\n  Ignoring:\n    Type: AWS::Serverless::Api\n    IgnoreGlobals: [Auth]\n    Properties:\n      StageName: dev\n      OpenApiVersion: '3.0.1'\n{}",
        function(
            "Fn",
            "        Inherited:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: /a\n            Method: get\n        \
             Local:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: /b\n            Method: get\n            Auth:\n              Authorizer: Local\n        \
             Ignored:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Ignoring\n            Path: /c\n            Method: get\n"
        )
    );
    let reading = reading(&text);
    let merged = api(&reading, "Api");
    assert_eq!(
        routes(merged),
        [
            "GET /a -> fn@1.0 | Global[g/read]",
            "GET /b -> fn@1.0 | Local"
        ],
        "the default authorizer and its scopes come from Globals"
    );
    let Some(AuthorizerConfig::Cognito(global)) = merged.authorizers.get("Global") else {
        panic!("the Global authorizer, assembled from both sides");
    };
    assert_eq!(
        global.identity,
        local_api_gateway::model::IdentitySource::Header("x-token".into())
    );
    assert_eq!(
        merged.binary_media_types,
        ["image/png", "image/gif"],
        "lists: the global items, then the resource's"
    );
    assert_eq!(
        routes(api(&reading, "Ignoring")),
        ["GET /c -> fn@1.0 | open"]
    );
    // "*" leaves out every global, as the list naming them all does; anything else is refused.
    let all = self::reading(&text.replace("IgnoreGlobals: [Auth]", "IgnoreGlobals: '*'"));
    assert_eq!(routes(api(&all, "Ignoring")), ["GET /c -> fn@1.0 | open"]);
    assert_eq!(
        api(&all, "Ignoring").binary_media_types,
        Vec::<String>::new()
    );
    assert_eq!(
        api(&reading, "Ignoring").binary_media_types,
        ["image/png"],
        "what is not ignored is inherited"
    );
    // An empty value ignores nothing (samtranslator: `if not ignore_globals`).
    let none = self::reading(&text.replace("IgnoreGlobals: [Auth]", "IgnoreGlobals: ''"));
    assert_eq!(
        routes(api(&none, "Ignoring")),
        ["GET /c -> fn@1.0 | Global[g/read]"]
    );
    for (ignore, expected) in [
        (
            "IgnoreGlobals: Auth",
            "`Ignoring` property `IgnoreGlobals`: expected \"*\" or a list of property names",
        ),
        (
            "IgnoreGlobals: [Cors]",
            "`Ignoring` property `IgnoreGlobals`: `Cors` is not a property of Globals.Api",
        ),
    ] {
        let err = error(&text.replace("IgnoreGlobals: [Auth]", ignore));
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

/// samtranslator's `AuthProperties`: an HTTP API's `Auth` has no `ApiKeyRequired` (HTTP APIs
/// have no API keys), a REST API's no `EnableIamAuthorizer`; an unknown key is refused.
#[test]
fn an_auth_key_of_the_other_kind_of_api_is_refused() {
    for (kind, key, expected) in [
        (
            "AWS::Serverless::HttpApi",
            "ApiKeyRequired: true",
            "`Api` property `Auth.ApiKeyRequired`: Invalid value for 'Auth' property: an HTTP API's Auth takes Authorizers, DefaultAuthorizer, EnableIamAuthorizer",
        ),
        (
            "AWS::Serverless::Api",
            "EnableIamAuthorizer: true",
            "`Api` property `Auth.EnableIamAuthorizer`: Invalid value for 'Auth' property: a REST API's Auth takes Authorizers,",
        ),
    ] {
        let text = format!(
            "{HEAD}Resources:
  Api:
    Type: {kind}
    Properties:
      StageName: prod
      Auth:
        {key}
{}",
            function(
                "Fn",
                "        Never:
          Type: Schedule
"
            )
        );
        let err = error(&text);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

#[test]
fn globals_refuse_what_sam_refuses() {
    let text = format!(
        "{HEAD}Globals:\n  HttpApi:\n    StageName: prod\nResources:\n{}",
        function("Fn", "        A:\n          Type: HttpApi\n")
    );
    assert!(
        error(&text).contains("`Globals` property `HttpApi.StageName`: SAM does not allow `StageName` in Globals.HttpApi"),
        "{}",
        error(&text)
    );
}

// ---- events and Auth (model/eventsources/push.py, swagger/swagger.py, open_api/open_api.py) ----

const REST_WITH_AUTH: &str = "  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n      OpenApiVersion: '3.0.1'\n      Auth:\n        DefaultAuthorizer: Cognito\n        \
                              Authorizers:\n          Cognito:\n            UserPoolArn: !GetAtt Pool.Arn\n";

fn rest_event(name: &str, path: &str, method: &str, auth: &str) -> String {
    format!(
        "        {name}:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: {path}\n            Method: {method}\n{auth}"
    )
}

#[test]
fn an_events_auth_names_an_authorizer_none_or_scopes() {
    let text = format!(
        "{HEAD}Resources:\n{POOL}{REST_WITH_AUTH}{}",
        function(
            "Fn",
            &[
                rest_event("Default", "/default", "get", ""),
                rest_event("Open", "/open", "get", "            Auth:\n              Authorizer: NONE\n"),
                rest_event(
                    "Scoped",
                    "/scoped",
                    "any",
                    "            Auth:\n              Authorizer: Cognito\n              AuthorizationScopes: [hello/admin]\n"
                ),
            ]
            .concat()
        )
    );
    assert_eq!(
        routes(api(&reading(&text), "Api")),
        [
            "ANY /scoped -> fn@1.0 | Cognito[hello/admin]",
            "GET /default -> fn@1.0 | Cognito",
            "GET /open -> fn@1.0 | open",
        ]
    );
}

#[test]
fn an_events_auth_is_refused_as_sam_refuses_it() {
    let cases = [
        (
            // NONE needs a DefaultAuthorizer (push.py).
            REST_WITH_AUTH.replace("        DefaultAuthorizer: Cognito\n", ""),
            "            Auth:\n              Authorizer: NONE\n",
            "`Fn` property `Events.E.Properties.Auth.Authorizer`: 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified",
        ),
        (
            REST_WITH_AUTH.to_owned(),
            "            Auth:\n              AuthorizationScopes: [a]\n",
            "`Fn` property `Events.E.Properties.Auth.AuthorizationScopes`: AuthorizationScopes works only when Authorizer is set",
        ),
        (
            REST_WITH_AUTH.to_owned(),
            "            Auth:\n              Authorizer: Other\n",
            "`Fn` property `Events.E.Properties.Auth.Authorizer`: Unable to set Authorizer [Other] because it wasn't defined in the API's Authorizers",
        ),
    ];
    for (api_text, auth, expected) in cases {
        let text = format!(
            "{HEAD}Resources:\n{POOL}{api_text}{}",
            function("Fn", &rest_event("E", "/e", "get", auth))
        );
        let err = error(&text);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

#[test]
fn two_events_on_one_method_are_an_error() {
    let text = format!(
        "{HEAD}Resources:\n{POOL}{REST_WITH_AUTH}{}",
        function(
            "Fn",
            &[
                rest_event("A", "/a", "GET", ""),
                rest_event("B", "/a", "get", "")
            ]
            .concat()
        )
    );
    assert!(
        error(&text).contains("API method \"get\" defined multiple times for path \"/a\""),
        "{}",
        error(&text)
    );
}

const REST_BODY: &str = "      DefinitionBody:\n        openapi: 3.0.1\n        paths:\n          /inbody:\n            get:\n              x-amazon-apigateway-integration:\n                \
                         type: aws_proxy\n                httpMethod: POST\n                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\n            \
                         post:\n              security: [{Other: []}]\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n                \
                         uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\n            put:\n              summary: no integration\n";

#[test]
fn on_a_users_rest_body_events_add_nothing_and_the_default_reaches_its_methods() {
    let api_text = format!(
        "{REST_WITH_AUTH}          Other:\n            UserPoolArn: !GetAtt Pool.Arn\n{REST_BODY}"
    );
    let text = format!(
        "{HEAD}Resources:\n{POOL}{api_text}{}",
        function(
            "Fn",
            &[
                rest_event("NotInBody", "/notinbody", "get", ""),
                rest_event(
                    "Ignored",
                    "/inbody",
                    "get",
                    "            Auth:\n              Authorizer: NONE\n"
                ),
            ]
            .concat()
        )
    );
    let reading = reading(&text);
    assert_eq!(
        routes(api(&reading, "Api")),
        [
            "GET /inbody -> fn@1.0 | Cognito",
            "POST /inbody -> fn@1.0 | Other",
        ],
        "events add no route to a user's body, and their Auth counts only with OverrideApiAuth; the default reaches methods with an integration, a method's own authorizer stays"
    );
    assert!(
        reading
            .warnings
            .iter()
            .any(|w| w.contains("PUT /inbody has no integration")),
        "{:?}",
        reading.warnings
    );
    let overriding = text.replace(
        "              Authorizer: NONE\n",
        "              Authorizer: NONE\n              OverrideApiAuth: true\n",
    );
    assert_eq!(
        routes(api(&self::reading(&overriding), "Api"))[0],
        "GET /inbody -> fn@1.0 | open"
    );
    let merging = text.replace(
        "      DefinitionBody:\n",
        "      MergeDefinitions: true\n      DefinitionBody:\n",
    );
    assert_eq!(
        routes(api(&self::reading(&merging), "Api")),
        [
            "GET /inbody -> fn@1.0 | open",
            "GET /notinbody -> fn@1.0 | Cognito",
            "POST /inbody -> fn@1.0 | Other",
        ],
        "MergeDefinitions: events are written into the body, their Auth included"
    );
}

const HTTP_WITH_JWT: &str = "  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth:\n        DefaultAuthorizer: Jwt\n        Authorizers:\n          \
                             Jwt:\n            IdentitySource: $request.header.Authorization\n            AuthorizationScopes: [email]\n            JwtConfiguration:\n              \
                             issuer: https://issuer.example\n              audience: [client]\n          Other:\n            IdentitySource: $request.header.X-Token\n            \
                             JwtConfiguration:\n              issuer: https://other.example\n              audience: [client]\n";

fn http_event(name: &str, path: &str, method: &str, auth: &str) -> String {
    format!(
        "        {name}:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref Api\n            Path: {path}\n            Method: {method}\n{auth}"
    )
}

#[test]
fn on_an_http_body_events_always_count_and_the_default_skips_options() {
    let body = "      DefinitionBody:\n        openapi: 3.0.1\n        paths:\n          /exists:\n            get:\n              x-amazon-apigateway-integration:\n                \
                type: http_proxy\n                httpMethod: GET\n                uri: https://example.com/\n                payloadFormatVersion: '1.0'\n          /emptysec:\n            get:\n              \
                security: []\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                uri: !GetAtt Fn.Arn\n                payloadFormatVersion: '2.0'\n";
    let text = format!(
        "{HEAD}Resources:\n{HTTP_WITH_JWT}{body}{}",
        function(
            "Fn",
            &[
                http_event("Exists", "/exists", "get", "            Auth:\n              Authorizer: Other\n"),
                http_event("New", "/new", "post", ""),
                http_event("Scoped", "/scoped", "get", "            Auth:\n              Authorizer: Jwt\n              AuthorizationScopes: [openid]\n"),
                http_event("Preflight", "/new", "options", ""),
                http_event("Open", "/open", "get", "            Auth:\n              Authorizer: NONE\n"),
            ]
            .concat()
        )
    );
    assert_eq!(
        routes(api(&reading(&text), "Api")),
        [
            "GET /emptysec -> fn@2.0 | Jwt[email]",
            "GET /exists -> unavailable: an HTTP integration to https://example.com/ | Other",
            "GET /open -> fn@2.0 | open",
            "GET /scoped -> fn@2.0 | Jwt[openid]",
            "OPTIONS /new -> fn@2.0 | open",
            "POST /new -> fn@2.0 | Jwt[email]",
        ],
        "the body's integration stays and the event's Auth is added; an empty security is replaced by the default; OPTIONS never gets it"
    );
}

/// An event's `AuthorizationScopes: []`: on a REST API it replaces the authorizer's scopes
/// (swagger.py `_set_method_authorizer`), on an HTTP API only a non-empty list does (open_api.py).
#[test]
fn empty_event_scopes_replace_the_authorizers_on_rest_apis_only() {
    let unscoped =
        "            Auth:\n              Authorizer: {}\n              AuthorizationScopes: []\n";
    let rest = format!(
        "{HEAD}Resources:\n{POOL}{REST_WITH_AUTH}            AuthorizationScopes: [pool/read]\n{}",
        function(
            "Fn",
            &[
                rest_event("Default", "/default", "get", ""),
                rest_event(
                    "Unscoped",
                    "/unscoped",
                    "get",
                    &unscoped.replace("{}", "Cognito")
                ),
            ]
            .concat()
        )
    );
    assert_eq!(
        routes(api(&reading(&rest), "Api")),
        [
            "GET /default -> fn@1.0 | Cognito[pool/read]",
            "GET /unscoped -> fn@1.0 | Cognito"
        ]
    );
    let http = format!(
        "{HEAD}Resources:\n{HTTP_WITH_JWT}{}",
        function(
            "Fn",
            &[
                http_event("Default", "/default", "get", ""),
                http_event(
                    "Unscoped",
                    "/unscoped",
                    "get",
                    &unscoped.replace("{}", "Jwt")
                ),
            ]
            .concat()
        )
    );
    assert_eq!(
        routes(api(&reading(&http), "Api")),
        [
            "GET /default -> fn@2.0 | Jwt[email]",
            "GET /unscoped -> fn@2.0 | Jwt[email]"
        ]
    );
}

// ---- CORS (swagger.py add_cors, open_api.py add_cors) ----

#[test]
fn rest_cors_adds_a_mock_preflight_to_every_path_without_one() {
    let api_text = format!(
        "{REST_WITH_AUTH}        AddDefaultAuthorizerToCorsPreflight: false\n      Cors:\n        AllowOrigin: \"'https://app.example'\"\n        AllowHeaders: \"'authorization'\"\n"
    );
    let text = format!(
        "{HEAD}Resources:\n{POOL}{api_text}{}",
        function(
            "Fn",
            &[
                rest_event("Two", "/two", "post", ""),
                rest_event("Three", "/two", "delete", ""),
                rest_event("Any", "/any", "any", ""),
                rest_event("Own", "/own", "options", ""),
                rest_event("OwnGet", "/own", "get", ""),
            ]
            .concat()
        )
    );
    let reading = reading(&text);
    let rest = api(&reading, "Api");
    assert_eq!(
        routes(rest),
        [
            "ANY /any -> fn@1.0 | Cognito",
            "DELETE /two -> fn@1.0 | Cognito",
            "GET /own -> fn@1.0 | Cognito",
            "OPTIONS /any -> MOCK 200 | open",
            "OPTIONS /own -> fn@1.0 | open",
            "OPTIONS /two -> MOCK 200 | open",
            "POST /two -> fn@1.0 | Cognito",
        ],
        "no default authorizer on any OPTIONS method with AddDefaultAuthorizerToCorsPreflight: false, the function's own OPTIONS included"
    );
    let mock = |path: &str| {
        rest.routes
            .iter()
            .find(|r| r.method == "OPTIONS" && r.path == path)
            .map(|r| r.integration.clone())
            .unwrap()
    };
    let headers = |methods: &str| {
        vec![
            (
                "access-control-allow-origin".to_owned(),
                "https://app.example".to_owned(),
            ),
            (
                "access-control-allow-methods".to_owned(),
                methods.to_owned(),
            ),
            (
                "access-control-allow-headers".to_owned(),
                "authorization".to_owned(),
            ),
            ("content-type".to_owned(), "application/json".to_owned()),
        ]
    };
    assert_eq!(
        mock("/two"),
        Integration::Mock(MockResponse {
            status: 200,
            headers: headers("DELETE,OPTIONS,POST"),
            body: "{}".into(),
        })
    );
    assert_eq!(
        mock("/any"),
        Integration::Mock(MockResponse {
            status: 200,
            headers: headers("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"),
            body: "{}".into(),
        })
    );
    // SAM's default (true) puts the default authorizer on the preflight too.
    let default = text.replace("        AddDefaultAuthorizerToCorsPreflight: false\n", "");
    assert!(
        routes(api(&self::reading(&default), "Api"))
            .contains(&"OPTIONS /two -> MOCK 200 | Cognito".to_owned())
    );
}

#[test]
fn http_cors_configuration_true_allows_every_origin_and_overrides_the_body_key_by_key() {
    let body = "      DefinitionBody:\n        openapi: 3.0.1\n        x-amazon-apigateway-cors:\n          allowOrigins: [https://body.example]\n          allowHeaders: [x-body]\n        paths: {}\n";
    let text = format!(
        "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration:\n        AllowOrigins: [https://app.example]\n{body}{}",
        function("Fn", &http_event("A", "/a", "get", ""))
    );
    assert_eq!(
        api(&reading(&text), "Api").cors,
        Some(CorsConfig {
            allow_origins: vec!["https://app.example".into()],
            allow_headers: vec!["x-body".into()],
            ..CorsConfig::default()
        })
    );
    let all = format!(
        "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration: true\n{}",
        function("Fn", &http_event("A", "/a", "get", ""))
    );
    assert_eq!(
        api(&reading(&all), "Api").cors,
        Some(CorsConfig {
            allow_origins: vec!["*".into()],
            ..CorsConfig::default()
        }),
        "true means allowOrigins ['*'] and nothing else (open_api.py add_cors)"
    );
}

// ---- stages (api_generator.py, http_api_generator.py) ----

#[test]
fn stages_follow_stage_name() {
    let http = format!(
        "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      StageName: prod\n      StageVariables:\n        v: '1'\n{}",
        function("Fn", &http_event("A", "/a", "get", ""))
    );
    let reading = reading(&http);
    let http = api(&reading, "Api");
    assert_eq!(
        http.stages,
        [Stage {
            name: "prod".into(),
            variables: BTreeMap::from([("v".into(), "1".into())]),
        }]
    );
    let missing = format!(
        "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      OpenApiVersion: '3.0.1'\n{}",
        function("Fn", &rest_event("A", "/a", "get", ""))
    );
    assert!(
        error(&missing)
            .contains("`Api` property `StageName`: Missing required property 'StageName'")
    );
}

// ---- what the local API refuses rather than serve wrongly ----

#[test]
fn what_decides_who_may_call_and_is_not_emulated_is_refused() {
    let cases = [
        (
            "      Auth:\n        ResourcePolicy:\n          IpRangeWhitelist: [10.0.0.0/8]\n",
            "`Api` property `Auth.ResourcePolicy`: a resource policy decides who may call",
        ),
        (
            "      EndpointConfiguration:\n        Type: PRIVATE\n",
            "`Api` property `EndpointConfiguration`: a PRIVATE API is only reachable from a VPC",
        ),
        (
            "      EndpointConfiguration: private\n",
            "`Api` property `EndpointConfiguration`: a PRIVATE API is only reachable from a VPC",
        ),
        (
            "      DisableExecuteApiEndpoint: true\n",
            "`Api` property `DisableExecuteApiEndpoint`: the API is only reachable through a custom domain",
        ),
    ];
    for (property, expected) in cases {
        let text = format!(
            "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n{property}{}",
            function("Fn", &rest_event("A", "/a", "get", ""))
        );
        let err = error(&text);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

/// Public templates often pick the endpoint type with a parameter (`EndpointType`, default
/// `REGIONAL`): the settings are evaluated as CloudFormation evaluates them, so a PRIVATE API or
/// one without its execute-api endpoint is refused whichever way the value is written, and served
/// when the parameter's value says otherwise. SAM takes `EndpointConfiguration` as a type or as
/// an object with `Type`; raw `AWS::ApiGateway::RestApi` takes an object with `Types`.
#[test]
fn endpoint_settings_given_by_parameters_are_evaluated() {
    let parameters = "Parameters:\n  EndpointType:\n    Type: String\n    Default: PRIVATE\n  Types:\n    Type: CommaDelimitedList\n    Default: REGIONAL,PRIVATE\n  \
                      Disable:\n    Type: String\n    Default: 'true'\nConditions:\n  IsPrivate: !Equals [!Ref EndpointType, PRIVATE]\n";
    let sam = |property: &str| {
        format!(
            "{HEAD}{parameters}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n{property}{}",
            function("Fn", &rest_event("A", "/a", "get", ""))
        )
    };
    let raw = |kind: &str, property: &str| {
        format!(
            "{parameters}Resources:\n  Api:\n    Type: {kind}\n    Properties:\n      Name: raw\n      ProtocolType: HTTP\n{property}"
        )
    };
    let refused_sam = [
        (
            "      EndpointConfiguration: !Ref EndpointType\n",
            "EndpointConfiguration",
        ),
        // The long form of the same `Ref`: a function, not an object without `Type`.
        (
            "      EndpointConfiguration:\n        Ref: EndpointType\n",
            "EndpointConfiguration",
        ),
        (
            "      EndpointConfiguration:\n        Type: !Ref EndpointType\n",
            "EndpointConfiguration",
        ),
        (
            "      EndpointConfiguration: !If [IsPrivate, {Type: PRIVATE}, REGIONAL]\n",
            "EndpointConfiguration",
        ),
        (
            "      DisableExecuteApiEndpoint: !Ref Disable\n",
            "DisableExecuteApiEndpoint",
        ),
    ];
    let refused_raw = [
        (
            "AWS::ApiGateway::RestApi",
            "      EndpointConfiguration:\n        Types: !Ref Types\n",
            "EndpointConfiguration",
        ),
        (
            "AWS::ApiGateway::RestApi",
            "      EndpointConfiguration:\n        Types: [!Ref EndpointType]\n",
            "EndpointConfiguration",
        ),
        (
            "AWS::ApiGateway::RestApi",
            "      DisableExecuteApiEndpoint: !Ref Disable\n",
            "DisableExecuteApiEndpoint",
        ),
        (
            "AWS::ApiGatewayV2::Api",
            "      DisableExecuteApiEndpoint: !Ref Disable\n",
            "DisableExecuteApiEndpoint",
        ),
    ];
    let texts = refused_sam
        .iter()
        .map(|(property, name)| (sam(property), *name, vec!["Api"]))
        .chain(
            refused_raw
                .iter()
                // A raw API without a stage serves nothing: read without error is the point.
                .map(|(kind, property, name)| (raw(kind, property), *name, vec![])),
        )
        .collect::<Vec<_>>();
    let mut served = local_values();
    served.parameters.extend([
        ("EndpointType".to_owned(), "REGIONAL".to_owned()),
        ("Types".to_owned(), "REGIONAL".to_owned()),
        ("Disable".to_owned(), "false".to_owned()),
    ]);
    for (text, property, served_ids) in &texts {
        let err = error(text);
        assert!(
            err.contains(&format!("`Api` property `{property}`")),
            "{property} in {err:?}"
        );
        let read = reading_with(text, &served)
            .unwrap_or_else(|e| panic!("{property}, given REGIONAL / false, is served: {e}"));
        assert_eq!(&ids(&read), served_ids);
    }
}

// ---- values the template cannot give ----

#[test]
fn parameters_ssm_values_and_nested_outputs_come_from_the_command_line() {
    let text = format!(
        "{HEAD}Parameters:\n  PoolArn:\n    Type: String\n  FromSsm:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /app/audience\nResources:\n  \
         Auth:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: auth.yaml\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth:\n        \
         DefaultAuthorizer: Jwt\n        Authorizers:\n          Jwt:\n            IdentitySource: $request.header.Authorization\n            JwtConfiguration:\n              \
         issuer: !GetAtt Auth.Outputs.Issuer\n              audience: [!Ref FromSsm]\n  Rest:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n      \
         OpenApiVersion: '3.0.1'\n      Auth:\n        DefaultAuthorizer: Pool\n        Authorizers:\n          Pool:\n            UserPoolArn: !Ref PoolArn\n{}",
        function(
            "Fn",
            &[
                http_event("A", "/a", "get", ""),
                rest_event("B", "/b", "get", "").replace("!Ref Api", "!Ref Rest"),
            ]
            .concat()
        )
    );
    let err = error(&text);
    assert!(
        err.contains("give its value with --attribute Auth.Outputs.Issuer=VALUE"),
        "{err}"
    );
    let mut values = local_values();
    values.attributes.insert(
        "Auth.Outputs.Issuer".into(),
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Nested".into(),
    );
    let err = reading_with(&text, &values).unwrap_err();
    assert!(
        err.contains("parameter `FromSsm` is read from SSM Parameter Store (AWS::SSM::Parameter::Value<String>); give its value with --parameter FromSsm=VALUE"),
        "{err}"
    );
    values
        .parameters
        .insert("FromSsm".into(), "client-9".into());
    let err = reading_with(&text, &values).unwrap_err();
    assert!(
        err.contains(
            "parameter `PoolArn` has no Default; give a value with --parameter PoolArn=VALUE"
        ),
        "{err}"
    );
    values.parameters.insert(
        "PoolArn".into(),
        "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Param".into(),
    );
    let reading = reading_with(&text, &values).unwrap();
    let Some(AuthorizerConfig::Jwt(jwt)) = api(&reading, "Api").authorizers.get("Jwt") else {
        panic!("the JWT authorizer");
    };
    assert_eq!(
        (jwt.issuer.as_str(), jwt.audience.as_slice()),
        (
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Nested",
            ["client-9".to_owned()].as_slice()
        )
    );
    let Some(AuthorizerConfig::Cognito(cognito)) = api(&reading, "Rest").authorizers.get("Pool")
    else {
        panic!("the Cognito authorizer");
    };
    assert_eq!(
        cognito.issuers,
        ["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Param"]
    );
}

// ---- OpenAPI bodies ----

#[test]
fn a_swagger_body_in_a_local_file_with_its_own_authorizer_and_integrations() {
    let text = format!(
        "{HEAD}Resources:\n{POOL}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      DefinitionBody:\n        Fn::Transform:\n          \
         Name: AWS::Include\n          Parameters:\n            Location: swagger.yaml\n{}",
        function("Fn", "        Never:\n          Type: Schedule\n")
    );
    // Another short-form intrinsic is no include: the body is what it evaluates to.
    let other = text.replace(
        "DefinitionBody:\n        Fn::Transform:\n          Name: AWS::Include\n          Parameters:\n            Location: swagger.yaml\n",
        "DefinitionBody: !GetAtt Other.Body\n",
    );
    assert_ne!(other, text);
    let err = error(&other);
    assert!(
        err.contains("`Api` property `DefinitionBody`: expected an OpenAPI document"),
        "{err}"
    );
    // Keys beside the include: refused (the crate README's choice; undocumented by AWS).
    let mixed = text.replace(
        "DefinitionBody:\n        Fn::Transform:\n",
        "DefinitionBody:\n        openapi: 3.0.1\n        Fn::Transform:\n",
    );
    assert_ne!(mixed, text);
    let err = error(&mixed);
    assert!(
        err.contains(
            "`Api` property `DefinitionBody.Fn::Transform`: an include must be the body's only key"
        ),
        "{err}"
    );
    // The short form, `!Transform`, includes the same file.
    let short = text.replace(
        "DefinitionBody:\n        Fn::Transform:\n",
        "DefinitionBody: !Transform\n",
    );
    assert_ne!(short, text);
    assert_eq!(
        routes(api(&self::reading(&short), "Api")),
        routes(api(&self::reading(&text), "Api"))
    );
    let reading = reading(&text);
    let rest = api(&reading, "Api");
    assert_eq!(
        routes(rest),
        [
            "ANY /proxy/{proxy+} -> unavailable: an HTTP integration to https://example.com/{proxy} | open",
            "GET / -> fn@1.0 | CognitoAuth",
            "GET /queue -> unavailable: an AWS service integration (arn:aws:apigateway:us-east-1:sqs:path/123456789012/queue) | CognitoAuth",
            "GET /static -> MOCK 418 | open",
            "GET /templated -> unavailable: a MOCK integration with mapping templates | open",
        ]
    );
    let Some(AuthorizerConfig::Cognito(cognito)) = rest.authorizers.get("CognitoAuth") else {
        panic!("the body's Cognito authorizer");
    };
    assert_eq!(
        cognito.identity,
        local_api_gateway::model::IdentitySource::Header("x-id-token".into())
    );
    assert_eq!(
        rest.routes
            .iter()
            .find(|r| r.path == "/static")
            .map(|r| r.integration.clone()),
        Some(Integration::Mock(MockResponse {
            status: 418,
            headers: vec![
                ("x-teapot".into(), "yes".into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: "{\"tea\": true}".into(),
        }))
    );
}

/// A MOCK integration: the response whose pattern matches the request template's status, else
/// `default`; a response template with VTL in it cannot be served; HTTP APIs have no MOCK.
#[test]
fn a_mock_integration_picks_its_response_as_api_gateway_does() {
    let mock = |status: &str, responses: &str| {
        format!(
            "x-amazon-apigateway-integration:\n                type: mock\n                requestTemplates:\n                  \
             application/json: '{{\"statusCode\": {status}}}'\n                responses:\n{responses}"
        )
    };
    let body = |kind: &str, paths: &[(&str, String)]| {
        let paths: String = paths
            .iter()
            .map(|(path, op)| format!("          {path}:\n            get:\n              {op}"))
            .collect();
        format!(
            "{HEAD}Resources:\n  Api:\n    Type: {kind}\n    Properties:\n      StageName: dev\n      DefinitionBody:\n        openapi: 3.0.1\n        \
             paths:\n{paths}"
        )
    };
    let text = body(
        "AWS::Serverless::Api",
        &[
            (
                "/pick",
                mock(
                    "200",
                    "                  '4\\d{2}':\n                    statusCode: '404'\n                  \
                     default:\n                    statusCode: '200'\n",
                ),
            ),
            (
                "/vtl",
                mock(
                    "200",
                    "                  default:\n                    statusCode: '200'\n                    responseTemplates:\n                      \
                     application/json: '{\"id\": \"$context.requestId\"}'\n",
                ),
            ),
        ],
    );
    assert_eq!(
        routes(api(&reading(&text), "Api")),
        [
            "GET /pick -> MOCK 200 | open",
            "GET /vtl -> unavailable: a MOCK integration with mapping templates | open"
        ]
    );
    let http = body(
        "AWS::Serverless::HttpApi",
        &[(
            "/pick",
            mock(
                "200",
                "                  default:\n                    statusCode: '200'\n",
            ),
        )],
    );
    let err = error(&http);
    assert!(
        err.contains("`mock` is not an integration type of this HTTP API"),
        "{err}"
    );
}

#[test]
fn an_openapi_3_body_with_root_security_and_the_default_route() {
    let text = format!(
        "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      FailOnWarnings: true\n      DefinitionUri: openapi.yaml\n{}",
        function("Fn", "        Never:\n          Type: Schedule\n")
    );
    let reading = reading(&text);
    assert_eq!(
        routes(api(&reading, "Api")),
        [
            "$default -> fn@2.0 | Jwt",
            "GET /public -> fn@1.0 | open",
            "GET /scoped -> fn@2.0 | Jwt[read]",
        ],
        "root security for operations without their own; `/$default` with isDefaultRoute is the catch-all; no payloadFormatVersion reads as 1.0"
    );
}

/// A path item's other keys (`parameters`, `summary`, extensions) are no operations, and
/// `isDefaultRoute` ("whether a route is the $default route", API Gateway's OpenAPI extensions)
/// makes the catch-all wherever it is written.
#[test]
fn an_openapi_path_item_serves_its_operations_and_its_default_route() {
    let operation = "x-amazon-apigateway-integration:\n                type: aws_proxy\n                payloadFormatVersion: '2.0'\n                \
                     uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations";
    let text = |flag: &str| {
        format!(
            "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionBody:\n        openapi: 3.0.1\n        paths:\n          \
             /items:\n            summary: the items\n            parameters: [{{name: q, in: query}}]\n            x-note: kept out\n            \
             get:\n              {operation}\n          /$default:\n            x-amazon-apigateway-any-method:\n              {operation}\n          \
             /anything:\n            x-amazon-apigateway-any-method:\n              isDefaultRoute: {flag}\n              {operation}\n{}",
            function("Fn", "        Never:\n          Type: Schedule\n")
        )
    };
    assert_eq!(
        routes(api(&reading(&text("false")), "Api")),
        [
            "ANY /$default -> fn@2.0 | open",
            "ANY /anything -> fn@2.0 | open",
            "GET /items -> fn@2.0 | open"
        ],
        "without the flag `/$default` is a path like any other"
    );
    let read = reading(&text("false"));
    assert!(
        !read.warnings.iter().any(|w| w.contains("/items")),
        "summary, parameters and extensions are not operations without an integration: {:?}",
        read.warnings
    );
    for flag in ["true", "!Equals [a, a]"] {
        assert_eq!(
            routes(api(&reading(&text(flag)), "Api")),
            [
                "$default -> fn@2.0 | open",
                "ANY /$default -> fn@2.0 | open",
                "GET /items -> fn@2.0 | open"
            ],
            "isDefaultRoute: {flag}"
        );
    }
}

/// An OpenAPI Lambda authorizer without `authorizerResultTtlInSeconds`: a REST API caches for
/// 300 s (API Gateway's documented default); an HTTP API does not cache (its documentation gives
/// no default: the crate README's choice, as for SAM's `ReauthorizeEvery`).
#[test]
fn an_openapi_lambda_authorizer_without_a_ttl_caches_on_rest_apis_only() {
    let uri = "!Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations";
    let body = |kind: &str, scheme: &str| {
        format!(
            "{HEAD}Resources:\n  Api:\n    Type: {kind}\n    Properties:\n      StageName: dev\n      DefinitionBody:\n        openapi: 3.0.1\n        \
             components:\n          securitySchemes:\n            Lambda:\n              type: apiKey\n              name: Authorization\n              in: header\n              \
             x-amazon-apigateway-authtype: custom\n              x-amazon-apigateway-authorizer:\n                authorizerUri: {uri}\n{scheme}        \
             paths:\n          /a:\n            get:\n              security: [{{Lambda: []}}]\n              x-amazon-apigateway-integration:\n                \
             type: aws_proxy\n                httpMethod: POST\n                uri: {uri}\n{}",
            function("Fn", "        Never:\n          Type: Schedule\n")
        )
    };
    let rest = reading(&body(
        "AWS::Serverless::Api",
        "                type: token\n",
    ));
    assert_eq!(
        api(&rest, "Api").authorizers["Lambda"].to_string(),
        "Lambda TOKEN function fn from header authorization, cached 300 s"
    );
    let http = reading(&body(
        "AWS::Serverless::HttpApi",
        "                type: request\n                identitySource: $request.header.Authorization\n                authorizerPayloadFormatVersion: '2.0'\n",
    ));
    assert_eq!(
        api(&http, "Api").authorizers["Lambda"].to_string(),
        "Lambda REQUEST (payload 2.0) function fn from header authorization, not cached"
    );
}

/// samtranslator refuses `Auth`, `Cors` and `GatewayResponses` next to a `DefinitionUri`: it
/// cannot write them into a document it only knows by its location.
#[test]
fn what_sam_writes_into_a_body_is_refused_next_to_a_definition_uri() {
    for (kind, uri, property) in [
        (
            "AWS::Serverless::HttpApi",
            "openapi.yaml",
            "Auth:\n        DefaultAuthorizer: Jwt",
        ),
        (
            "AWS::Serverless::HttpApi",
            "openapi.yaml",
            "CorsConfiguration: true",
        ),
        ("AWS::Serverless::Api", "swagger.yaml", "Cors: \"'*'\""),
        (
            "AWS::Serverless::Api",
            "swagger.yaml",
            "GatewayResponses:\n        DEFAULT_4XX:\n          StatusCode: 400",
        ),
    ] {
        let text = format!(
            "{HEAD}Resources:\n{POOL}  Api:\n    Type: {kind}\n    Properties:\n      StageName: prod\n      DefinitionUri: {uri}\n      {property}\n{}",
            function("Fn", "        Never:\n          Type: Schedule\n")
        );
        let key = property.split(':').next().unwrap_or_default();
        let err = error(&text);
        assert!(
            err.contains(&format!(
                "`Api` property `{key}`: {key} works only with an inline definition in 'DefinitionBody'"
            )),
            "{err}"
        );
        // Without it, the same template is served.
        reading(&text.replace(&format!("      {property}\n"), ""));
    }
}

#[test]
fn a_body_the_local_api_cannot_read_is_an_error_naming_where() {
    let cases = [
        (
            "s3://bucket/key.yaml",
            "`Api` property `DefinitionUri`: `s3://bucket/key.yaml` cannot be read locally",
        ),
        (
            "missing.yaml",
            "`Api` property `DefinitionUri`: cannot read",
        ),
        (
            "undeclared.yaml",
            "`undeclared.yaml` property `paths./x.get.security`: no security scheme named `Nope`",
        ),
    ];
    for (uri, expected) in cases {
        let text = format!(
            "{HEAD}Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionUri: {uri}\n{}",
            function("Fn", "        Never:\n          Type: Schedule\n")
        );
        let err = error(&text);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

// ---- raw CloudFormation resources ----

#[test]
fn a_raw_rest_api_from_its_resource_tree() {
    let text = format!(
        "Resources:\n{POOL}  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: raw\n  Items:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      \
         RestApiId: !Ref Api\n      ParentId: !GetAtt Api.RootResourceId\n      PathPart: items\n  Item:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      \
         RestApiId: !Ref Api\n      ParentId: !Ref Items\n      PathPart: '{{id}}'\n  Auth:\n    Type: AWS::ApiGateway::Authorizer\n    Properties:\n      RestApiId: !Ref Api\n      \
         Name: pool\n      Type: COGNITO_USER_POOLS\n      IdentitySource: method.request.header.Authorization\n      ProviderARNs: [!GetAtt Pool.Arn]\n  GetItem:\n    \
         Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref Item\n      HttpMethod: GET\n      AuthorizationType: COGNITO_USER_POOLS\n      \
         AuthorizerId: !Ref Auth\n      AuthorizationScopes: [items/read]\n      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n        \
         Uri: !Join ['', ['arn:aws:apigateway:', !Ref 'AWS::Region', ':lambda:path/2015-03-31/functions/', !GetAtt Fn.Arn, '/invocations']]\n  Root:\n    \
         Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !GetAtt Api.RootResourceId\n      HttpMethod: OPTIONS\n      \
         AuthorizationType: NONE\n      Integration:\n        Type: MOCK\n        RequestTemplates:\n          application/json: '{{\"statusCode\": 200}}'\n        \
         IntegrationResponses:\n          - StatusCode: 200\n            ResponseParameters:\n              method.response.header.Access-Control-Allow-Origin: \"'*'\"\n  \
         Deployment:\n    Type: AWS::ApiGateway::Deployment\n    DependsOn: [GetItem]\n    Properties:\n      RestApiId: !Ref Api\n  Prod:\n    Type: AWS::ApiGateway::Stage\n    \
         Properties:\n      RestApiId: !Ref Api\n      DeploymentId: !Ref Deployment\n      StageName: prod\n      Variables:\n        v: '2'\n  Fn:\n    Type: AWS::Lambda::Function\n    \
         Properties:\n      Runtime: provided.al2023\n      Handler: bootstrap\n      Timeout: 7\n"
    );
    let reading = reading(&text);
    let rest = api(&reading, "Api");
    assert_eq!(
        routes(rest),
        [
            "GET /items/{id} -> Fn@1.0 | Auth[items/read]",
            "OPTIONS / -> MOCK 200 | open"
        ]
    );
    assert_eq!(
        rest.stages,
        [Stage {
            name: "prod".into(),
            variables: BTreeMap::from([("v".into(), "2".into())])
        }]
    );
    assert_eq!(rest.routes[0].function().unwrap().timeout.as_secs(), 7);
}

#[test]
fn a_raw_http_api_from_routes_integrations_and_a_quick_create_one() {
    let text = "Resources:\n  Api:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n      Name: raw\n      ProtocolType: HTTP\n      CorsConfiguration:\n        AllowOrigins: [https://app.example]\n  \
                Jwt:\n    Type: AWS::ApiGatewayV2::Authorizer\n    Properties:\n      ApiId: !Ref Api\n      AuthorizerType: JWT\n      Name: jwt\n      IdentitySource: [$request.header.Authorization]\n      \
                JwtConfiguration:\n        Issuer: https://issuer.example\n        Audience: [client]\n  Integration:\n    Type: AWS::ApiGatewayV2::Integration\n    Properties:\n      ApiId: !Ref Api\n      \
                IntegrationType: AWS_PROXY\n      IntegrationUri: !GetAtt Fn.Arn\n      PayloadFormatVersion: '2.0'\n  Machine:\n    Type: AWS::ApiGatewayV2::Integration\n    Properties:\n      ApiId: !Ref Api\n      \
                IntegrationType: AWS_PROXY\n      IntegrationSubtype: StepFunctions-StartExecution\n  Get:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref Api\n      RouteKey: GET /things/{id}\n      \
                AuthorizationType: JWT\n      AuthorizerId: !Ref Jwt\n      AuthorizationScopes: [things]\n      Target: !Sub integrations/${Integration}\n  Start:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      \
                ApiId: !Ref Api\n      RouteKey: POST /start\n      Target: !Join [/, [integrations, !Ref Machine]]\n  Stage:\n    Type: AWS::ApiGatewayV2::Stage\n    Properties:\n      ApiId: !Ref Api\n      \
                StageName: $default\n      AutoDeploy: true\n  Quick:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n      Name: quick\n      ProtocolType: HTTP\n      Target: !GetAtt Fn.Arn\n  \
                Sockets:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n      Name: ws\n      ProtocolType: WEBSOCKET\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: provided.al2023\n      Handler: bootstrap\n";
    let reading = reading(text);
    assert_eq!(ids(&reading), ["Api", "Quick"]);
    assert_eq!(
        routes(api(&reading, "Api")),
        [
            "GET /things/{id} -> Fn@2.0 | Jwt[things]",
            "POST /start -> unavailable: an AWS service integration (StepFunctions-StartExecution) | open",
        ]
    );
    assert_eq!(
        api(&reading, "Api")
            .cors
            .as_ref()
            .map(|c| c.allow_origins.clone()),
        Some(vec!["https://app.example".to_owned()])
    );
    assert_eq!(
        routes(api(&reading, "Quick")),
        ["$default -> Fn@2.0 | open"]
    );
    assert_eq!(stage_names(api(&reading, "Quick")), ["$default"]);
    assert!(
        reading
            .warnings
            .iter()
            .any(|w| w.contains("`Sockets`: WEBSOCKET APIs are not served")),
        "{:?}",
        reading.warnings
    );
    assert!(
        reading.warnings.iter().any(|w| w.contains("StepFunctions-StartExecution") && w.contains("cannot run locally")),
        "{:?}",
        reading.warnings
    );
}

const RAW_REST: &str = r#"Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: raw
      BinaryMediaTypes: [image~1png, image~1png, application~1pdf]
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Denied:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: UNAUTHORIZED
      StatusCode: '401'
      ResponseParameters:
        gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
      ResponseTemplates: {}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      StageDescription:
        Variables: {v: from-deployment}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: prod
      Variables: {v: from-stage}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: provided.al2023, Handler: bootstrap}
"#;

/// A raw REST API's binary media types (`~1` is `/`, each once), gateway responses, and one stage
/// per name, the `Stage` resource's variables over the deployment's.
#[test]
fn a_raw_rest_api_keeps_its_media_types_gateway_responses_and_stages() {
    let read = reading(RAW_REST);
    let rest = api(&read, "Api");
    assert_eq!(rest.binary_media_types, ["image/png", "application/pdf"]);
    assert_eq!(
        rest.gateway_responses
            .iter()
            .map(|(kind, r)| format!("{kind} {:?} {:?}", r.status, r.headers))
            .collect::<Vec<_>>(),
        [r#"UNAUTHORIZED Some(401) [("access-control-allow-origin", "*")]"#]
    );
    assert_eq!(
        rest.stages,
        [Stage {
            name: "prod".into(),
            variables: BTreeMap::from([("v".into(), "from-stage".into())])
        }]
    );
    let err = error(&RAW_REST.replace(
        "ResponseTemplates: {}",
        "ResponseTemplates: {application/json: '{\"message\": $context.error.messageString}'}",
    ));
    assert!(
        err.contains("`Denied` property `ResponseTemplates`: response templates are not supported"),
        "{err}"
    );
}

/// A raw HTTP API's JWT authorizer reads the `Authorization` header when it names no identity
/// source; a quick-create API's `$default` stage takes the variables of a `Stage` of that name.
#[test]
fn a_raw_http_api_defaults_its_jwt_header_and_keeps_one_stage_per_name() {
    let text = r"Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: quick, ProtocolType: HTTP, Target: !GetAtt Fn.Arn}
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      AuthorizerType: JWT
      Name: jwt
      JwtConfiguration: {Issuer: https://issuer.example, Audience: [client]}
  Get:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /me
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      Target: !Sub integrations/${Integration}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: '2.0'}
  Default:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: $default
      StageVariables: {v: from-stage}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: provided.al2023, Handler: bootstrap}
";
    let read = reading(text);
    let http = api(&read, "Api");
    assert_eq!(
        routes(http),
        ["$default -> Fn@2.0 | open", "GET /me -> Fn@2.0 | Jwt"]
    );
    assert_eq!(
        http.authorizers["Jwt"].to_string(),
        "JWT from header authorization: issuer https://issuer.example, audience client"
    );
    assert_eq!(
        http.stages,
        [Stage {
            name: "$default".into(),
            variables: BTreeMap::from([("v".into(), "from-stage".into())])
        }]
    );
}

/// API Gateway refuses a second method with the same verb on a resource, and a second route with
/// the same key (ConflictException): each reader says which one.
#[test]
fn a_method_or_route_declared_twice_is_an_error_naming_the_second() {
    let function = "  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: provided.al2023, Handler: bootstrap}\n";
    let method = |id: &str, verb: &str| {
        format!(
            "  {id}:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !GetAtt Api.RootResourceId\n      \
             HttpMethod: {verb}\n      AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n        \
             Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations\n"
        )
    };
    let rest = |second: &str| {
        format!(
            "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {{Name: raw}}\n{}{}  Deployment:\n    \
             Type: AWS::ApiGateway::Deployment\n    Properties: {{RestApiId: !Ref Api}}\n  Prod:\n    Type: AWS::ApiGateway::Stage\n    \
             Properties: {{RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: prod}}\n{function}",
            method("First", "GET"),
            method("Second", second)
        )
    };
    assert_eq!(
        routes(api(&reading(&rest("POST")), "Api")),
        ["GET / -> Fn@1.0 | open", "POST / -> Fn@1.0 | open"]
    );
    let err = error(&rest("get"));
    assert!(
        err.contains("`Second`") && err.contains("GET / is defined twice"),
        "{err}"
    );

    let route = |id: &str, key: &str| {
        format!(
            "  {id}:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref Api\n      RouteKey: {key}\n      \
             Target: !Sub integrations/${{Integration}}\n"
        )
    };
    let http = |second: &str| {
        format!(
            "Resources:\n  Api:\n    Type: AWS::ApiGatewayV2::Api\n    Properties: {{Name: raw, ProtocolType: HTTP}}\n  Integration:\n    \
             Type: AWS::ApiGatewayV2::Integration\n    Properties:\n      ApiId: !Ref Api\n      IntegrationType: AWS_PROXY\n      \
             IntegrationUri: !GetAtt Fn.Arn\n      PayloadFormatVersion: '2.0'\n{}{}  Stage:\n    Type: AWS::ApiGatewayV2::Stage\n    \
             Properties: {{ApiId: !Ref Api, StageName: $default}}\n{function}",
            route("First", "GET /a"),
            route("Second", second)
        )
    };
    assert_eq!(
        routes(api(&reading(&http("GET /b")), "Api")),
        ["GET /a -> Fn@2.0 | open", "GET /b -> Fn@2.0 | open"]
    );
    let err = error(&http("GET /a"));
    assert!(
        err.contains("`Second`") && err.contains("route `GET /a` is defined twice"),
        "{err}"
    );

    // An OpenAPI body: its keys differ only in case, the methods are the same.
    let body = |second: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionBody:\n        \
             openapi: 3.0.1\n        paths:\n          /a:\n            get: &op\n              x-amazon-apigateway-integration:\n                \
             type: aws_proxy\n                httpMethod: POST\n                payloadFormatVersion: '2.0'\n                \
             uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations\n            \
             {second}: *op\n{function}"
        )
    };
    assert_eq!(
        routes(api(&reading(&body("post")), "Api")),
        ["GET /a -> Fn@2.0 | open", "POST /a -> Fn@2.0 | open"]
    );
    let err = error(&body("GET"));
    assert!(
        err.contains("`Api`") && err.contains("GET /a is defined twice"),
        "{err}"
    );
}

#[test]
fn a_kind_of_api_the_reader_expects_is_named_in_its_error() {
    let text = "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n  Method:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      \
                ResourceId: !Ref Nowhere\n      HttpMethod: GET\n      AuthorizationType: NONE\n  Nowhere:\n    Type: AWS::SNS::Topic\n";
    assert!(
        error(text).contains("`Method` property `ResourceId`: names no resource of this API"),
        "{}",
        error(text)
    );
    assert_eq!(ApiKind::Http.name(), "HTTP API");
}

// ---- AWS_IAM (swagger.py add_iam_authorizer / open_api.py, x-amazon-apigateway-authtype) ----

#[test]
fn iam_authorization_however_the_template_asks_for_it() {
    let sam = r"Transform: AWS::Serverless-2016-10-31
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Auth:
        DefaultAuthorizer: AWS_IAM
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        EnableIamAuthorizer: true
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Signed:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /signed, Method: get}
        Open:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /open, Method: get, Auth: {Authorizer: NONE}}
        HttpSigned:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /signed, Method: get, Auth: {Authorizer: AWS_IAM}}
        HttpOpen:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /open, Method: get}
";
    let read = reading(sam);
    assert_eq!(
        routes(api(&read, "Rest")),
        [
            "GET /open -> Fn@1.0 | open",
            "GET /signed -> Fn@1.0 | AWS_IAM"
        ]
    );
    assert_eq!(
        routes(api(&read, "Http")),
        [
            "GET /open -> Fn@2.0 | open",
            "GET /signed -> Fn@2.0 | AWS_IAM"
        ]
    );
    // An HttpApi knows AWS_IAM only with EnableIamAuthorizer.
    let err = error(&sam.replace(
        "        EnableIamAuthorizer: true\n",
        "        EnableIamAuthorizer: false\n",
    ));
    assert!(
        err.contains("HttpSigned") && err.contains("AWS_IAM"),
        "{err}"
    );

    let body = r"Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        openapi: 3.0.1
        paths:
          /signed:
            post:
              security: [{sigv4: []}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        components:
          securitySchemes:
            sigv4:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authtype: awsSigv4
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api, StageName: prod}
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: AWS_IAM
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  V2:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: v2, ProtocolType: HTTP}
  V2Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref V2, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: '2.0'}
  V2Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref V2, RouteKey: GET /signed, AuthorizationType: AWS_IAM, Target: !Sub 'integrations/${V2Integration}'}
  V2Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref V2, StageName: $default}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: provided.al2023, Handler: bootstrap}
";
    let read = reading(body);
    assert_eq!(
        routes(api(&read, "Api")),
        [
            "GET / -> Fn@1.0 | AWS_IAM",
            "POST /signed -> Fn@1.0 | AWS_IAM"
        ]
    );
    assert_eq!(
        routes(api(&read, "V2")),
        ["GET /signed -> Fn@2.0 | AWS_IAM"]
    );
}

// ---- API keys (swagger.py add_apikey_security_definition, api_generator.py _construct_usage_plan) ----

fn keys(api: &Api) -> Vec<String> {
    api.api_keys
        .keys
        .iter()
        .map(|key| format!("{}={} @{}", key.id, key.value, key.stages.join(",")))
        .collect()
}

const KEYED: &str = r#"Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    Auth:
      UsagePlan:
        CreateUsagePlan: SHARED
Resources:
  Keyed:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: "'*'"
      Auth:
        ApiKeyRequired: true
        UsagePlan:
          CreateUsagePlan: PER_API
  Shared:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      ApiKeySourceType: AUTHORIZER
      Auth:
        AddApiKeyRequiredToCorsPreflight: false
        ApiKeyRequired: true
      Cors: "'*'"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        A:
          Type: Api
          Properties: {RestApiId: !Ref Keyed, Path: /a, Method: get}
        Free:
          Type: Api
          Properties: {RestApiId: !Ref Keyed, Path: /free, Method: get, Auth: {ApiKeyRequired: false}}
        B:
          Type: Api
          Properties: {RestApiId: !Ref Shared, Path: /b, Method: get}
        Implicit:
          Type: Api
          Properties: {Path: /c, Method: get, Auth: {ApiKeyRequired: true}}
"#;

#[test]
fn sam_api_keys_reach_every_method_and_usage_plans_make_the_keys() {
    let read = reading(KEYED);
    let keyed = api(&read, "Keyed");
    assert_eq!(
        routes(keyed),
        [
            "GET /a -> Fn@1.0 | open +key",
            "GET /free -> Fn@1.0 | open",
            "OPTIONS /a -> MOCK 200 | open +key",
            "OPTIONS /free -> MOCK 200 | open +key",
        ],
        "the CORS preflight gets the key unless AddApiKeyRequiredToCorsPreflight is false"
    );
    assert_eq!(keyed.api_keys.source, ApiKeySource::Header);
    // PER_API on the resource wins over the Globals' SHARED; the key covers the named stage only.
    assert_eq!(keys(keyed), ["KeyedApiKey=local-KeyedApiKey @prod"]);
    let shared = api(&read, "Shared");
    assert_eq!(
        routes(shared),
        [
            "GET /b -> Fn@1.0 | open +key",
            "OPTIONS /b -> MOCK 200 | open"
        ]
    );
    assert_eq!(shared.api_keys.source, ApiKeySource::Authorizer);
    assert_eq!(
        keys(shared),
        ["ServerlessApiKey=local-ServerlessApiKey @v1"]
    );
    let implicit = api(&read, "ServerlessRestApi");
    assert_eq!(routes(implicit), ["GET /c -> Fn@1.0 | open +key"]);
    assert_eq!(
        keys(implicit),
        ["ServerlessApiKey=local-ServerlessApiKey @Prod"],
        "Globals reach the implicit API too: one shared key for both"
    );
    // NONE on the API wins over the Globals' SHARED: no plan, so no key for that API.
    let read = reading(&KEYED.replace("CreateUsagePlan: PER_API", "CreateUsagePlan: NONE"));
    assert_eq!(keys(api(&read, "Keyed")), Vec::<String>::new());
    assert_eq!(
        keys(api(&read, "Shared")),
        ["ServerlessApiKey=local-ServerlessApiKey @v1"]
    );
    // --api-key gives a generated key its value.
    let mut values = local_values();
    values
        .api_keys
        .insert("KeyedApiKey".into(), "mine-0123456789abcdef".into());
    // A name the template has no key of: a key made outside the stack, good on every stage.
    values
        .api_keys
        .insert("console".into(), "console-0123456789abcdef".into());
    let read = reading_with(KEYED, &values).unwrap();
    assert_eq!(
        keys(api(&read, "Keyed")),
        [
            "KeyedApiKey=mine-0123456789abcdef @prod",
            "console=console-0123456789abcdef @prod,Stage"
        ]
    );
    assert_eq!(
        keys(api(&read, "ServerlessRestApi")),
        [
            "ServerlessApiKey=local-ServerlessApiKey @Prod",
            "console=console-0123456789abcdef @Prod,Stage"
        ]
    );
}

#[test]
fn sam_api_key_settings_are_refused_as_sam_refuses_them() {
    let free_without_default = KEYED.replace(
        "        ApiKeyRequired: true\n        UsagePlan:",
        "        UsagePlan:",
    );
    let err = error(&free_without_default);
    assert!(
        err.contains("Events.Free.Properties.Auth.ApiKeyRequired")
            && err.contains("does not specify any ApiKeyRequired"),
        "{err}"
    );
    for (plan, expected) in [
        (
            "CreateUsagePlan: SOMETIMES",
            "'CreateUsagePlan' accepts one of",
        ),
        ("UsagePlanName: x", "'CreateUsagePlan' is a required field"),
        (
            "CreateUsagePlan: PER_API\n          Color: red",
            "Invalid property for 'UsagePlan'",
        ),
    ] {
        // Without the Globals' plan, which would merge into the API's.
        let text = KEYED
            .replace(
                "Globals:\n  Api:\n    Auth:\n      UsagePlan:\n        CreateUsagePlan: SHARED\n",
                "",
            )
            .replace("CreateUsagePlan: PER_API", plan);
        let err = error(&text);
        assert!(
            err.contains("`Keyed` property `Auth.UsagePlan") && err.contains(expected),
            "{err}"
        );
    }
}

#[test]
fn raw_keys_call_the_stages_of_their_usage_plans() {
    let text = r"Parameters:
  PartnerKey:
    Type: String
    NoEcho: true
    Default: partner-0123456789abcdef
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: raw
      ApiKeySourceType: HEADER
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      ApiKeyRequired: true
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: prod}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Api, Stage: !Ref Prod}]
  Partner:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true, Value: !Ref PartnerKey}
  Generated:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true}
  Disabled:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Value: disabled-0123456789abcdef}
  Unplanned:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true, StageKeys: [{RestApiId: !Ref Api, StageName: prod}]}
  PartnerInPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Partner, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  GeneratedInPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Generated, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  DisabledInPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Disabled, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: provided.al2023, Handler: bootstrap}
";
    let read = reading(text);
    let rest = api(&read, "Api");
    assert_eq!(routes(rest), ["GET / -> Fn@1.0 | open +key"]);
    assert_eq!(
        keys(rest),
        [
            "Partner=partner-0123456789abcdef @prod",
            "Generated=local-Generated @prod"
        ],
        "a disabled key and one in no usage plan (StageKeys alone) call nothing"
    );
    // A value given for one of the template's keys does not make it a key from outside the stack.
    let mut values = local_values();
    for id in ["Disabled", "Unplanned"] {
        values
            .api_keys
            .insert(id.into(), format!("{id}-0123456789abcdef"));
    }
    let given = reading_with(text, &values).unwrap();
    assert_eq!(keys(api(&given, "Api")), keys(rest));
    for why in [
        "`Disabled`: an API key without `Enabled: true`",
        "`Unplanned`: the API key is in no usage plan",
    ] {
        assert!(
            read.warnings.iter().any(|w| w.starts_with(why)),
            "{why} in {:?}",
            read.warnings
        );
    }
}

#[test]
fn an_openapi_api_key_scheme_and_source() {
    let text = r"Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: '2.0'
        x-amazon-apigateway-api-key-source: AUTHORIZER
        paths:
          /keyed:
            get:
              security: [{api_key: []}]
              x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations'}
        securityDefinitions:
          api_key: {type: apiKey, name: x-api-key, in: header}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api, StageName: prod}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: provided.al2023, Handler: bootstrap}
";
    let read = reading(text);
    assert_eq!(
        routes(api(&read, "Api")),
        ["GET /keyed -> Fn@1.0 | open +key"]
    );
    assert_eq!(api(&read, "Api").api_keys.source, ApiKeySource::Authorizer);
    let other_header = text.replace("name: x-api-key", "name: X-Partner");
    assert!(
        error(&other_header).contains("x-api-key header only"),
        "{}",
        error(&other_header)
    );
}

// ---- what `local-api-gateway routes` prints ----

/// The descriptions `routes` prints, written from what the templates declare.
#[test]
fn routes_describe_each_authorizer_and_integration_as_declared() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/lambda-authorizer/every-authorizer.yaml");
    let template = Template::load(&path).unwrap();
    let read = read_apis(&template, &local_values()).unwrap();
    let described = |api: &str, name: &str| api_of(&read, api).authorizers[name].to_string();
    assert_eq!(
        described("TokenApi", "Token"),
        "Lambda TOKEN function authorizer from header authorization, cached 300 s"
    );
    assert_eq!(
        described("RequestApi", "Request"),
        "Lambda REQUEST function authorizer from header authorization, not cached"
    );
    assert_eq!(
        described("SimpleApi", "Simple"),
        "Lambda REQUEST (payload 2.0, simple responses) function simple-authorizer from header authorization, not cached"
    );
    assert_eq!(
        described("PolicyApi", "Policy"),
        "Lambda REQUEST (payload 2.0) function authorizer from header authorization, cached 300 s"
    );
    let hello = &api_of(&read, "TokenApi").routes[0];
    assert_eq!(
        hello.integration.to_string(),
        "function hello (payload 1.0, timeout 5 s)"
    );
    assert_eq!(
        api_of(&read, "RequestApi").api_keys.source.to_string(),
        "from the x-api-key header"
    );

    let text = format!(
        "{HEAD}Resources:\n{POOL}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n      ApiKeySourceType: AUTHORIZER\n      Cors: \"'*'\"\n      Auth:\n        \
         Authorizers:\n          Pools:\n            UserPoolArn: !GetAtt Pool.Arn\n            Identity:\n              ValidationExpression: '^[a-z]+$'\n          \
         Token:\n            FunctionArn: !GetAtt Fn.Arn\n            Identity:\n              Header: X-Token\n              ValidationExpression: '^t'\n          \
         Req:\n            FunctionArn: !GetAtt Fn.Arn\n            FunctionPayloadType: REQUEST\n            Identity:\n              QueryStrings: [q]\n              \
         StageVariables: [v]\n              Context: [identity.sourceIp]\n  Http:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth:\n        Authorizers:\n          \
         Jwt:\n            IdentitySource: $request.header.Authorization\n            JwtConfiguration:\n              issuer: https://issuer.example\n              audience: [a, b]\n          \
         V1:\n            FunctionArn: !GetAtt Fn.Arn\n            AuthorizerPayloadFormatVersion: '1.0'\n            Identity:\n              Headers: [X-Key]\n{}",
        function(
            "Fn",
            &[
                rest_event("A", "/a", "get", "            Auth:\n              Authorizer: Pools\n"),
                rest_event("B", "/b", "get", "            Auth:\n              Authorizer: Token\n"),
                rest_event("C", "/c", "get", "            Auth:\n              Authorizer: Req\n"),
                "        D:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref Http\n            Path: /d\n            Method: get\n            Auth:\n              Authorizer: Jwt\n".to_owned(),
                "        E:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref Http\n            Path: /e\n            Method: get\n            Auth:\n              Authorizer: V1\n".to_owned(),
            ]
            .concat()
        )
    );
    let read = reading(&text);
    let rest = api_of(&read, "Api");
    assert_eq!(
        rest.authorizers["Pools"].to_string(),
        "Cognito user pools from header authorization: https://cognito-idp.us-east-1.amazonaws.com/Pool, aud matching ^[a-z]+$"
    );
    assert_eq!(
        rest.authorizers["Token"].to_string(),
        "Lambda TOKEN function fn from header x-token matching ^t, cached 300 s"
    );
    assert_eq!(
        rest.authorizers["Req"].to_string(),
        "Lambda REQUEST function fn from query q, stage variable v, context identity.sourceIp, cached 300 s"
    );
    assert_eq!(
        rest.api_keys.source.to_string(),
        "from the authorizer's usageIdentifierKey"
    );
    let preflight = rest.routes.iter().find(|r| r.method == "OPTIONS").unwrap();
    assert_eq!(preflight.integration.to_string(), "MOCK 200");
    let http = api_of(&read, "Http");
    assert_eq!(
        http.authorizers["Jwt"].to_string(),
        "JWT from header authorization: issuer https://issuer.example, audience a b"
    );
    assert_eq!(
        http.authorizers["V1"].to_string(),
        "Lambda REQUEST (payload 1.0) function fn from header x-key, not cached"
    );
}

fn api_of<'r>(reading: &'r Reading, id: &str) -> &'r Api {
    api(reading, id)
}
