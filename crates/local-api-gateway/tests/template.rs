//! Reading the project's real template.yaml, and small broken variants of it: the HTTP API, the
//! REST API, the functions, the Cognito resources.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{collections::BTreeMap, time::Duration};

use local_api_gateway::{
    api::{
        Api, ApiKind, CorsConfig, FunctionTarget, GatewayResponse, IdentitySource, Route, RouteAuth,
    },
    policy::Policy,
    template::{
        ApiType, LocalValues, Resolver, Template, create_input, function_environment, read_api,
    },
};
use serde_json::json;

const TEMPLATE: &str = include_str!("../../../template.yaml");
const POOL: &str = "us-east-1_abc123";
const CLIENT: &str = "client123";
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc123";

fn values() -> LocalValues {
    LocalValues {
        resource_ids: BTreeMap::from([
            ("UserPool".into(), POOL.into()),
            ("UserPoolClient".into(), CLIENT.into()),
        ]),
        ..LocalValues::default()
    }
}

fn read(text: &str, values: &LocalValues, kind: ApiType) -> Result<Api, String> {
    let template = Template::parse(text).map_err(|e| e.to_string())?;
    read_api(&template, &Resolver::new(&template, values), kind, None)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no API of that type".to_owned())
}

fn api_of(text: &str, values: &LocalValues) -> Result<Api, String> {
    read(text, values, ApiType::Http)
}

fn rest_of(text: &str, values: &LocalValues) -> Result<Api, String> {
    read(text, values, ApiType::Rest)
}

/// The real template with `from` replaced by `to` (which must occur).
fn variant(from: &str, to: &str) -> String {
    assert!(
        TEMPLATE.contains(from),
        "template.yaml no longer contains {from:?}"
    );
    TEMPLATE.replacen(from, to, 1)
}

fn error_of(text: &str) -> String {
    api_of(text, &values()).expect_err("the template should be refused")
}

fn rest_error_of(text: &str) -> String {
    rest_of(text, &values()).expect_err("the template should be refused")
}

fn hello(timeout: u64) -> FunctionTarget {
    FunctionTarget {
        logical_id: "HelloFunction".into(),
        name: "hello".into(),
        timeout: Duration::from_secs(timeout),
    }
}

/// The REST API's `GET /hello` event, to build variants on.
const REST_EVENT: &str =
    "            RestApiId: !Ref RestApi\n            Method: GET\n            Path: /hello\n";

#[test]
fn the_real_template_gives_one_protected_http_route() {
    let api = api_of(TEMPLATE, &values()).unwrap();
    assert_eq!(api.logical_id, "HttpApi");
    assert_eq!(
        api.routes,
        vec![Route {
            method: "GET".into(),
            path: "/hello".into(),
            function: hello(5),
            auth: RouteAuth::Authorizer {
                name: "CognitoJwt".into(),
                scopes: vec![],
            },
            integration_timeout: Duration::from_secs(30),
        }]
    );
    let authorizer = &api.authorizers["CognitoJwt"];
    assert_eq!(
        authorizer.identity,
        IdentitySource::Header("authorization".into())
    );
    let Policy::Jwt(jwt) = &authorizer.policy else {
        panic!("expected a JWT authorizer, got {:?}", authorizer.policy);
    };
    assert_eq!(jwt.issuer, ISSUER);
    assert_eq!(jwt.audience, [CLIENT]);
    let ApiKind::Http { cors } = &api.kind else {
        panic!("expected an HTTP API");
    };
    assert_eq!(
        cors,
        &Some(CorsConfig {
            allow_origins: vec!["http://localhost:5173".into()],
            allow_methods: vec!["GET".into()],
            allow_headers: vec!["authorization".into(), "content-type".into()],
            expose_headers: vec![],
            max_age: Some(600),
            allow_credentials: false,
        })
    );
}

#[test]
fn the_real_template_gives_the_walkthroughs_rest_api() {
    let api = rest_of(TEMPLATE, &values()).unwrap();
    assert_eq!(api.logical_id, "RestApi");
    assert_eq!(
        api.routes,
        vec![Route {
            method: "GET".into(),
            path: "/hello".into(),
            function: hello(5),
            auth: RouteAuth::Authorizer {
                name: "CognitoUserPool".into(),
                scopes: vec![],
            },
            integration_timeout: Duration::from_secs(29),
        }]
    );
    let authorizer = &api.authorizers["CognitoUserPool"];
    assert_eq!(
        authorizer.identity,
        IdentitySource::Header("authorization".into())
    );
    let Policy::CognitoUserPools(cognito) = &authorizer.policy else {
        panic!("expected a Cognito authorizer, got {:?}", authorizer.policy);
    };
    assert_eq!(cognito.issuers, [ISSUER]);
    assert!(cognito.audience_pattern.is_none());
    let ApiKind::Rest(rest) = &api.kind else {
        panic!("expected a REST API");
    };
    assert_eq!(rest.stage, "dev");
    assert_eq!(
        rest.preflight,
        Some(vec![
            (
                "access-control-allow-origin".into(),
                "http://localhost:5173".into()
            ),
            ("access-control-allow-methods".into(), "GET,OPTIONS".into()),
            (
                "access-control-allow-headers".into(),
                "authorization,content-type".into()
            ),
            ("access-control-max-age".into(), "600".into()),
        ])
    );
    assert_eq!(
        rest.preflight_auth,
        RouteAuth::None,
        "the preflight stays open"
    );
    let cors = GatewayResponse {
        status: None,
        headers: vec![(
            "access-control-allow-origin".into(),
            "http://localhost:5173".into(),
        )],
    };
    assert_eq!(
        rest.gateway_responses,
        BTreeMap::from([
            ("DEFAULT_4XX".into(), cors.clone()),
            ("DEFAULT_5XX".into(), cors)
        ])
    );
    assert!(rest.binary_media_types.is_empty());
    assert!(rest.stage_variables.is_empty());
}

#[test]
fn the_functions_environment_comes_from_the_template() {
    let template = Template::parse(TEMPLATE).unwrap();
    let mut values = values();
    values
        .parameters
        .insert("AllowedOrigin".into(), "https://app.example.com".into());
    let env = function_environment(&template, &Resolver::new(&template, &values)).unwrap();
    assert_eq!(
        env,
        BTreeMap::from([("ALLOWED_ORIGIN".into(), "https://app.example.com".into())])
    );
}

#[test]
fn region_and_parameters_come_from_local_values() {
    let mut values = values();
    values.region = "eu-west-1".into();
    values
        .parameters
        .insert("AllowedOrigin".into(), "https://app.example.com".into());
    values.parameters.insert("Stage".into(), "prod".into());
    let api = api_of(TEMPLATE, &values).unwrap();
    assert_eq!(
        api.authorizers["CognitoJwt"].policy.issuers(),
        [format!(
            "https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
        )]
    );
    let ApiKind::Http { cors: Some(cors) } = api.kind else {
        panic!("expected CORS");
    };
    assert_eq!(cors.allow_origins, ["https://app.example.com"]);
    let rest = rest_of(TEMPLATE, &values).unwrap();
    assert_eq!(
        rest.authorizers["CognitoUserPool"].policy.issuers(),
        [format!(
            "https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
        )]
    );
    let ApiKind::Rest(rest) = rest.kind else {
        panic!("expected a REST API");
    };
    assert_eq!(rest.stage, "prod");
    assert_eq!(
        rest.gateway_responses["DEFAULT_4XX"].headers,
        [(
            "access-control-allow-origin".to_owned(),
            "https://app.example.com".to_owned()
        )]
    );
}

#[test]
fn the_user_pool_input_follows_the_template_and_the_stage() {
    let template = Template::parse(TEMPLATE).unwrap();
    let values = values();
    let input = create_input(&template, &Resolver::new(&template, &values), "UserPool").unwrap();
    assert_eq!(input["PoolName"], "local-users");
    assert_eq!(input["DeletionProtection"], "INACTIVE");
    assert_eq!(
        input["Policies"]["PasswordPolicy"],
        json!({"MinimumLength": 12, "RequireLowercase": true, "RequireUppercase": true,
               "RequireNumbers": true, "RequireSymbols": true, "TemporaryPasswordValidityDays": 3})
    );
    assert_eq!(
        input["AdminCreateUserConfig"],
        json!({"AllowAdminCreateUserOnly": true})
    );
    assert_eq!(
        input["UsernameConfiguration"],
        json!({"CaseSensitive": false})
    );
    assert!(
        input.get("UserPoolName").is_none(),
        "renamed to PoolName for the API"
    );

    let mut prod = values.clone();
    prod.parameters.insert("Stage".into(), "prod".into());
    let input = create_input(&template, &Resolver::new(&template, &prod), "UserPool").unwrap();
    assert_eq!(input["DeletionProtection"], "ACTIVE");
}

#[test]
fn the_client_input_follows_the_template() {
    let template = Template::parse(TEMPLATE).unwrap();
    let values = values();
    let input = create_input(
        &template,
        &Resolver::new(&template, &values),
        "UserPoolClient",
    )
    .unwrap();
    assert_eq!(input["UserPoolId"], POOL);
    assert_eq!(input["GenerateSecret"], false);
    assert_eq!(
        input["ExplicitAuthFlows"],
        json!([
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH"
        ])
    );
    assert_eq!(input["PreventUserExistenceErrors"], "ENABLED");
    assert_eq!(input["TokenValidityUnits"]["AccessToken"], "minutes");
    assert_eq!(
        input["ReadAttributes"],
        json!([
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified"
        ])
    );
    // Managed login: the emulator reads these from the client the local stack creates (the
    // callback and logout URL: AllowedOrigin, its default here).
    assert_eq!(input["AllowedOAuthFlowsUserPoolClient"], true);
    assert_eq!(input["AllowedOAuthFlows"], json!(["code"]));
    assert_eq!(input["CallbackURLs"], json!(["http://localhost:5173"]));
    assert_eq!(input["LogoutURLs"], json!(["http://localhost:5173"]));
}

#[test]
fn a_resource_without_a_local_id_is_named() {
    let err = api_of(TEMPLATE, &LocalValues::default()).unwrap_err();
    assert!(
        err.contains("`HttpApi`") && err.contains("resource `UserPool` has no local id"),
        "{err}"
    );
}

#[test]
fn cognito_input_refuses_other_resources() {
    let template = Template::parse(TEMPLATE).unwrap();
    let values = values();
    let err = create_input(&template, &Resolver::new(&template, &values), "HttpApi").unwrap_err();
    assert!(
        err.to_string().contains("`HttpApi`: expected a Cognito"),
        "{err}"
    );
    let err = create_input(&template, &Resolver::new(&template, &values), "Nope").unwrap_err();
    assert!(
        err.to_string().contains("`Nope`: no such resource"),
        "{err}"
    );
}

#[test]
fn a_route_without_authorizer_and_one_with_scopes() {
    let text = variant(
        "            Path: /hello\n",
        "            Path: /hello\n            Auth:\n              Authorizer: NONE\n        \
         Admin:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref HttpApi\n            \
         Method: post\n            Path: /admin/{id}\n            Auth:\n              AuthorizationScopes: [hello/admin]\n",
    );
    let api = api_of(&text, &values()).unwrap();
    assert_eq!(api.routes[0].auth, RouteAuth::None);
    assert_eq!(api.routes[1].route_key(), "POST /admin/{id}");
    assert_eq!(
        api.routes[1].auth,
        RouteAuth::Authorizer {
            name: "CognitoJwt".into(),
            scopes: vec!["hello/admin".into()],
        }
    );
}

#[test]
fn rest_methods_without_authorizer_with_scopes_and_several_pools() {
    let text = variant(
        REST_EVENT,
        &format!(
            "{REST_EVENT}            Auth:\n              Authorizer: NONE\n        \
             RestAdmin:\n          Type: Api\n          Properties:\n            RestApiId: !Ref RestApi\n            \
             Method: any\n            Path: /admin/{{proxy+}}\n            Auth:\n              AuthorizationScopes: [hello/admin]\n"
        ),
    )
    .replacen(
        "            UserPoolArn: !GetAtt UserPool.Arn\n",
        "            UserPoolArn:\n              - !GetAtt UserPool.Arn\n              - arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Other\n            \
         AuthorizationScopes: [hello/read]\n",
        1,
    )
    .replacen(
        "              Header: Authorization\n",
        "              Header: X-Token\n              ValidationExpression: client1.*\n",
        1,
    );
    let api = rest_of(&text, &values()).unwrap();
    assert_eq!(api.routes[0].auth, RouteAuth::None);
    assert_eq!(api.routes[1].route_key(), "ANY /admin/{proxy+}");
    assert_eq!(
        api.routes[1].auth,
        RouteAuth::Authorizer {
            name: "CognitoUserPool".into(),
            scopes: vec!["hello/admin".into()],
        },
        "a method's scopes replace the authorizer's"
    );
    let authorizer = &api.authorizers["CognitoUserPool"];
    assert_eq!(authorizer.scopes, ["hello/read"]);
    assert_eq!(
        authorizer.identity,
        IdentitySource::Header("x-token".into())
    );
    let Policy::CognitoUserPools(cognito) = &authorizer.policy else {
        panic!("expected a Cognito authorizer");
    };
    assert_eq!(
        cognito.issuers,
        [
            ISSUER.to_owned(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other".to_owned()
        ]
    );
    let pattern = cognito.audience_pattern.as_ref().unwrap();
    assert!(pattern.is_match("client123"));
    assert!(
        !pattern.is_match("other-client1"),
        "the whole value must match"
    );
}

#[test]
fn sams_default_puts_the_authorizer_on_the_preflight() {
    let text = variant("        AddDefaultAuthorizerToCorsPreflight: false\n", "");
    let ApiKind::Rest(rest) = rest_of(&text, &values()).unwrap().kind else {
        panic!("expected a REST API");
    };
    assert_eq!(
        rest.preflight_auth,
        RouteAuth::Authorizer {
            name: "CognitoUserPool".into(),
            scopes: vec![]
        }
    );
}

#[test]
fn rest_stage_variables_binary_types_and_a_plain_origin() {
    let text = variant(
        "      StageName: !Ref Stage\n",
        "      StageName: v1\n      Variables:\n        color: blue\n      BinaryMediaTypes: [image~1png]\n",
    )
    .replacen(
        "      Cors:\n        AllowOrigin: !Sub \"'${AllowedOrigin}'\"\n        AllowMethods: \"'GET,OPTIONS'\"\n        AllowHeaders: \"'authorization,content-type'\"\n        MaxAge: \"'600'\"\n",
        "      Cors: \"'*'\"\n",
        1,
    );
    let ApiKind::Rest(rest) = rest_of(&text, &values()).unwrap().kind else {
        panic!("expected a REST API");
    };
    assert_eq!(rest.stage, "v1");
    assert_eq!(
        rest.stage_variables,
        BTreeMap::from([("color".into(), "blue".into())])
    );
    assert_eq!(rest.binary_media_types, ["image/png"]);
    assert_eq!(
        rest.preflight,
        Some(vec![("access-control-allow-origin".into(), "*".into())])
    );
}

#[test]
fn broken_rest_apis_are_errors_that_name_the_resource_and_property() {
    let cases = [
        (
            variant(
                "            UserPoolArn: !GetAtt UserPool.Arn",
                "            UserPoolArn: !Ref UserPool",
            ),
            "`RestApi` property `Auth.Authorizers.CognitoUserPool.UserPoolArn`: `us-east-1_abc123` is not a Cognito user pool ARN",
        ),
        (
            variant(
                "            UserPoolArn: !GetAtt UserPool.Arn\n",
                "            FunctionArn: arn:aws:lambda:x\n",
            ),
            "`RestApi` property `Auth.Authorizers.CognitoUserPool`: Lambda authorizers are not supported",
        ),
        (
            variant("            UserPoolArn: !GetAtt UserPool.Arn\n", ""),
            "`RestApi` property `Auth.Authorizers.CognitoUserPool.UserPoolArn`: missing",
        ),
        (
            variant(
                "              Header: Authorization\n",
                "              Header: Authorization\n              ValidationExpression: \"(\"\n",
            ),
            "`RestApi` property `Auth.Authorizers.CognitoUserPool.Identity.ValidationExpression`: not a valid regular expression",
        ),
        (
            variant(
                "        DefaultAuthorizer: CognitoUserPool",
                "        DefaultAuthorizer: Nope",
            ),
            "`RestApi` property `Auth.DefaultAuthorizer`: no authorizer named `Nope`",
        ),
        (
            variant(
                REST_EVENT,
                &format!("{REST_EVENT}            Auth:\n              Authorizer: Missing\n"),
            ),
            "`HelloFunction` property `Events.GetHelloRest.Properties.Auth.Authorizer`: no authorizer named `Missing`",
        ),
        (
            variant(
                REST_EVENT,
                &format!("{REST_EVENT}            Auth:\n              ApiKeyRequired: true\n"),
            ),
            "`HelloFunction` property `Events.GetHelloRest.Properties.Auth.ApiKeyRequired`: not supported",
        ),
        (
            variant("      StageName: !Ref Stage\n", ""),
            "`RestApi` property `StageName`: missing",
        ),
        (
            variant(
                "      StageName: !Ref Stage\n",
                "      StageName: my stage\n",
            ),
            "`RestApi` property `StageName`: `my stage` is not a valid stage name",
        ),
        (
            variant("        MaxAge: \"'600'\"", "        MaxAge: 600"),
            "`RestApi` property `Cors.MaxAge`: `600`: SAM needs the value in single quotes",
        ),
        (
            variant(
                "              Access-Control-Allow-Origin: !Sub \"'${AllowedOrigin}'\"",
                "              Access-Control-Allow-Origin: method.request.header.Origin",
            ),
            "`RestApi` property `GatewayResponses.DEFAULT_4XX.ResponseParameters.Headers.Access-Control-Allow-Origin`: `method.request.header.Origin`: only quoted literal values",
        ),
        (
            variant(
                "      OpenApiVersion: \"3.0.1\"\n",
                "      DefinitionBody: {}\n",
            ),
            "`RestApi` property `DefinitionBody`: not supported by the local API",
        ),
        (
            variant(
                "            RestApiId: !Ref RestApi",
                "            RestApiId: RestApi",
            ),
            "`HelloFunction` property `Events.GetHelloRest.Properties.RestApiId`: expected `!Ref <API>`",
        ),
        (
            variant("          Type: Api\n", "          Type: Schedule\n"),
            "`RestApi`: no function has an Api event for this API",
        ),
        (
            variant(
                "Resources:\n",
                "Globals:\n  Api:\n    Cors: \"'*'\"\n\nResources:\n",
            ),
            "`Globals` property `Api.Cors`: not supported by the local API",
        ),
    ];
    for (text, expected) in cases {
        let err = rest_error_of(&text);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

#[test]
fn broken_templates_are_errors_that_name_the_resource_and_property() {
    let cases = [
        (
            variant(
                "            Path: /hello\n",
                "            Path: /hello\n            Auth:\n              Authorizer: Missing\n",
            ),
            "`HelloFunction` property `Events.GetHello.Properties.Auth.Authorizer`: no authorizer named `Missing`",
        ),
        (
            variant("            Path: /hello", "            Path: hello"),
            "`HelloFunction` property `Events.GetHello.Properties.Path`: `hello` must start with /",
        ),
        (
            variant("            Path: /hello", "            Path: /{proxy+}/x"),
            "a greedy parameter must be last",
        ),
        (
            variant(
                "            Path: /hello\n",
                "            Path: /hello\n            PayloadFormatVersion: \"1.0\"\n",
            ),
            "`HelloFunction` property `Events.GetHello.Properties.PayloadFormatVersion`: payload format 1.0 is not supported",
        ),
        (
            variant(
                "            IdentitySource: $request.header.Authorization\n",
                "            FunctionArn: arn:aws:lambda:x\n",
            ),
            "`HttpApi` property `Auth.Authorizers.CognitoJwt`: Lambda authorizers are not supported",
        ),
        (
            variant(
                "issuer: !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}",
                "issuer: !FindInMap [Issuers, !Ref Stage, Url]",
            ),
            "`HttpApi` property `Auth.Authorizers.CognitoJwt.JwtConfiguration.issuer.Fn::FindInMap`: the intrinsic function Fn::FindInMap is not supported",
        ),
        (
            variant(
                "            IdentitySource: $request.header.Authorization",
                "            IdentitySource: $context.identity.sourceIp",
            ),
            "`HttpApi` property `Auth.Authorizers.CognitoJwt.IdentitySource`: `$context.identity.sourceIp` is not supported",
        ),
        (
            variant(
                "        DefaultAuthorizer: CognitoJwt",
                "        DefaultAuthorizer: Nope",
            ),
            "`HttpApi` property `Auth.DefaultAuthorizer`: no authorizer named `Nope`",
        ),
        (
            variant("        MaxAge: 600", "        MaxAge: soon"),
            "`HttpApi` property `CorsConfiguration.MaxAge`: expected a number of seconds",
        ),
        (
            variant(
                "            ApiId: !Ref HttpApi",
                "            ApiId: HttpApi",
            ),
            "`HelloFunction` property `Events.GetHello.Properties.ApiId`: expected `!Ref <API>`",
        ),
        (
            variant(
                "Resources:\n",
                "Globals:\n  HttpApi:\n    Auth:\n      DefaultAuthorizer: NONE\n\nResources:\n",
            ),
            "`Globals` property `HttpApi.Auth`: not supported by the local API",
        ),
        (
            variant("          Type: HttpApi\n", "          Type: Schedule\n"),
            "`HttpApi`: no function has an HttpApi event for this API",
        ),
        (
            variant("      Timeout: 5\n", "      Timeout: 0\n"),
            "`HelloFunction` property `Timeout`: expected 1 to 900 seconds",
        ),
        (
            "Resources: [1, 2".to_owned(),
            "the template is not valid YAML",
        ),
        (
            "Description: nothing\n".to_owned(),
            "`Resources`: the template has no resources",
        ),
    ];
    for (text, expected) in cases {
        let err = error_of(&text);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

#[test]
fn a_parameter_outside_its_allowed_values_is_an_error() {
    let text = variant("    Default: dev\n", "    Default: staging\n");
    let template = Template::parse(&text).unwrap();
    let values = values();
    let err = create_input(&template, &Resolver::new(&template, &values), "UserPool").unwrap_err();
    assert!(
        err.to_string().contains(
            "`Parameters` property `Stage`: value `staging` is not one of the AllowedValues"
        ),
        "{err}"
    );
}

#[test]
fn a_duplicate_route_is_an_error() {
    let text = variant(
        "            Path: /hello\n",
        "            Path: /hello\n        Again:\n          Type: HttpApi\n          Properties:\n            \
         ApiId: !Ref HttpApi\n            Method: GET\n            Path: /hello\n",
    );
    assert!(error_of(&text).contains("route `GET /hello` is already defined by HelloFunction"));
}

#[test]
fn two_http_apis_need_a_choice() {
    let text = variant(
        "  HttpApiAccessLogs:\n",
        "  SecondApi:\n    Type: AWS::Serverless::HttpApi\n\n  HttpApiAccessLogs:\n",
    );
    assert!(error_of(&text).contains(
        "several APIs of type AWS::Serverless::HttpApi (HttpApi, SecondApi); name the one to use"
    ));
    let template = Template::parse(&text).unwrap();
    let values = values();
    let api = read_api(
        &template,
        &Resolver::new(&template, &values),
        ApiType::Http,
        Some("HttpApi"),
    )
    .unwrap()
    .unwrap();
    assert_eq!(api.routes.len(), 1);
}

#[test]
fn function_timeouts_come_from_the_function_or_globals() {
    let text = variant("      Timeout: 5\n", "");
    assert_eq!(
        api_of(&text, &values()).unwrap().routes[0].function.timeout,
        Duration::from_secs(3)
    );
    let text = variant(
        "Resources:\n",
        "Globals:\n  Function:\n    Timeout: 12\n\nResources:\n",
    )
    .replacen("      Timeout: 5\n", "", 1);
    assert_eq!(
        rest_of(&text, &values()).unwrap().routes[0]
            .function
            .timeout,
        Duration::from_secs(12)
    );
}

#[test]
fn a_template_without_a_rest_api_has_none() {
    let text = variant("          Type: Api\n", "          Type: Schedule\n").replacen(
        "  RestApi:\n    Type: AWS::Serverless::Api\n",
        "  RestApi:\n    Type: AWS::Serverless::Other\n",
        1,
    );
    let template = Template::parse(&text).unwrap();
    let values = values();
    let found = read_api(
        &template,
        &Resolver::new(&template, &values),
        ApiType::Rest,
        None,
    )
    .unwrap();
    assert!(found.is_none());
}

#[test]
fn a_function_whose_condition_is_false_has_no_routes() {
    let text = variant(
        "  HelloFunction:\n    Type: AWS::Serverless::Function\n",
        "  HelloFunction:\n    Type: AWS::Serverless::Function\n    Condition: IsProd\n",
    );
    assert!(error_of(&text).contains("no function has an HttpApi event"));
    assert!(rest_error_of(&text).contains("no function has an Api event"));
    let mut prod = values();
    prod.parameters.insert("Stage".into(), "prod".into());
    assert_eq!(api_of(&text, &prod).unwrap().routes.len(), 1);
}
