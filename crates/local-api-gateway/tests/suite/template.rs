//! Reading the project's real template.yaml, and small broken variants of it: the HTTP API, the
//! REST API, the functions, the Cognito resources.
use std::{collections::BTreeMap, time::Duration};

use local_api_gateway::{
    authorizer::{cognito::CognitoConfig, jwt::JwtConfig},
    model::{
        Api, ApiKind, AuthorizerConfig, CorsConfig, FunctionTarget, GatewayResponse,
        IdentitySource, Integration, LambdaIntegration, MockResponse, PayloadVersion, Route,
        RouteAuth, Stage,
    },
    template::{
        LocalValues, Reading, Resolver, Template, create_input, function_environment, read_apis,
    },
};
use serde_json::json;

use crate::support::{CLIENT, ISSUER, POOL, TEMPLATE, local_values as values};

fn reading(text: &str, values: &LocalValues) -> Result<Reading, String> {
    let template = Template::parse(text).map_err(|e| e.to_string())?;
    read_apis(&template, values).map_err(|e| e.to_string())
}

/// The served API of `kind` (the template has one of each).
fn read(text: &str, values: &LocalValues, kind: ApiKind) -> Result<Api, String> {
    reading(text, values)?
        .apis
        .into_iter()
        .find(|api| api.kind == kind)
        .ok_or_else(|| format!("no {} is served", kind.name()))
}

fn api_of(text: &str, values: &LocalValues) -> Result<Api, String> {
    read(text, values, ApiKind::Http)
}

fn rest_of(text: &str, values: &LocalValues) -> Result<Api, String> {
    read(text, values, ApiKind::Rest)
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
    reading(text, &values()).expect_err("the template should be refused")
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

/// A Lambda proxy integration of `hello` (Timeout 5 s).
fn lambda(payload: PayloadVersion, integration_timeout: u64) -> Integration {
    Integration::Lambda(LambdaIntegration {
        function: hello(5),
        payload,
        timeout: Duration::from_secs(integration_timeout),
    })
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

#[test]
fn the_real_template_gives_one_protected_http_route() {
    let api = api_of(TEMPLATE, &values()).unwrap();
    let expected = Api {
        id: "HttpApi".into(),
        kind: ApiKind::Http,
        stages: vec![Stage::named("$default")],
        routes: vec![Route {
            method: "GET".into(),
            path: "/hello".into(),
            integration: lambda(PayloadVersion::V2, 30),
            auth: RouteAuth::Authorizer {
                name: "CognitoJwt".into(),
                scopes: vec![],
            },
            api_key_required: false,
        }],
        authorizers: BTreeMap::from([(
            "CognitoJwt".into(),
            AuthorizerConfig::Jwt(JwtConfig {
                issuer: ISSUER.into(),
                audience: vec![CLIENT.into()],
                identity: IdentitySource::Header("authorization".into()),
            }),
        )]),
        cors: Some(CorsConfig {
            allow_origins: vec!["http://localhost:5173".into()],
            allow_methods: vec!["GET".into()],
            allow_headers: vec!["authorization".into(), "content-type".into()],
            expose_headers: vec![],
            max_age: Some(600),
            allow_credentials: false,
        }),
        gateway_responses: BTreeMap::new(),
        binary_media_types: vec![],
        api_keys: Default::default(),
    };
    assert_eq!(api, expected);
}

#[test]
fn the_real_template_gives_the_walkthroughs_rest_api() {
    let api = rest_of(TEMPLATE, &values()).unwrap();
    let cors = GatewayResponse {
        status: None,
        headers: pairs(&[("access-control-allow-origin", "http://localhost:5173")]),
    };
    let expected = Api {
        id: "RestApi".into(),
        kind: ApiKind::Rest,
        stages: vec![Stage::named("dev")],
        routes: vec![
            Route {
                method: "GET".into(),
                path: "/hello".into(),
                integration: lambda(PayloadVersion::V1, 29),
                auth: RouteAuth::Authorizer {
                    name: "CognitoUserPool".into(),
                    scopes: vec![],
                },
                api_key_required: false,
            },
            // SAM's CORS preflight: a MOCK, left open (AddDefaultAuthorizerToCorsPreflight: false).
            Route {
                method: "OPTIONS".into(),
                path: "/hello".into(),
                integration: Integration::Mock(MockResponse {
                    status: 200,
                    headers: pairs(&[
                        ("access-control-allow-origin", "http://localhost:5173"),
                        ("access-control-allow-methods", "GET,OPTIONS"),
                        ("access-control-allow-headers", "authorization,content-type"),
                        ("access-control-max-age", "600"),
                        ("content-type", "application/json"),
                    ]),
                    body: "{}".into(),
                }),
                auth: RouteAuth::None,
                api_key_required: false,
            },
        ],
        authorizers: BTreeMap::from([(
            "CognitoUserPool".into(),
            AuthorizerConfig::Cognito(CognitoConfig {
                issuers: vec![ISSUER.into()],
                audience_pattern: None,
                identity: IdentitySource::Header("authorization".into()),
            }),
        )]),
        cors: None,
        gateway_responses: BTreeMap::from([
            ("DEFAULT_4XX".into(), cors.clone()),
            ("DEFAULT_5XX".into(), cors),
        ]),
        binary_media_types: vec![],
        api_keys: Default::default(),
    };
    assert_eq!(api, expected);
}

#[test]
fn the_functions_environment_comes_from_the_template() {
    let template = Template::parse(TEMPLATE).unwrap();
    let mut values = values();
    values
        .parameters
        .insert("AllowedOrigin".into(), "https://app.example.com".into());
    let env = function_environment(&template, &values).unwrap();
    assert_eq!(
        env,
        BTreeMap::from([("ALLOWED_ORIGIN".into(), "https://app.example.com".into())])
    );
}

/// An event names its API by `!Ref`, by `{Ref: ..}` (the long form) or by logical id alone.
#[test]
fn an_event_names_its_api_in_any_form_sam_takes() {
    for form in ["{Ref: HttpApi}", "HttpApi"] {
        let text = variant(
            "            ApiId: !Ref HttpApi",
            &format!("            ApiId: {form}"),
        );
        assert_eq!(
            api_of(&text, &values()).unwrap().routes.len(),
            1,
            "ApiId: {form}"
        );
    }
}

/// One `cargo lambda watch` process serves every function: a variable two functions set must have
/// one value.
#[test]
fn functions_that_share_a_variable_must_agree_on_its_value() {
    let text = |second: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  First:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
             Runtime: provided.al2023\n      Handler: bootstrap\n      Environment:\n        Variables: {{MODE: strict, ONLY_FIRST: '1'}}\n  \
             Second:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2023\n      Handler: bootstrap\n      \
             Environment:\n        Variables: {{MODE: {second}}}\n"
        )
    };
    let env = |text: &str| function_environment(&Template::parse(text).unwrap(), &values());
    assert_eq!(
        env(&text("strict")).unwrap(),
        BTreeMap::from([
            ("MODE".into(), "strict".into()),
            ("ONLY_FIRST".into(), "1".into())
        ])
    );
    let err = env(&text("lenient")).unwrap_err().to_string();
    assert!(
        err.contains(
            "`Second` property `Environment.Variables.MODE`: differs from the value First sets"
        ),
        "{err}"
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
    let issuer = format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}");
    let api = api_of(TEMPLATE, &values).unwrap();
    let Some(AuthorizerConfig::Jwt(jwt)) = api.authorizers.get("CognitoJwt") else {
        panic!("the JWT authorizer");
    };
    assert_eq!(jwt.issuer, issuer);
    assert_eq!(api.cors.unwrap().allow_origins, ["https://app.example.com"]);
    let rest = rest_of(TEMPLATE, &values).unwrap();
    let Some(AuthorizerConfig::Cognito(cognito)) = rest.authorizers.get("CognitoUserPool") else {
        panic!("the Cognito authorizer");
    };
    assert_eq!(cognito.issuers, [issuer]);
    assert_eq!(rest.stages, [Stage::named("prod")]);
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
fn without_a_local_id_a_resources_ref_is_its_logical_id() {
    let api = api_of(TEMPLATE, &LocalValues::default()).unwrap();
    let Some(AuthorizerConfig::Jwt(jwt)) = api.authorizers.get("CognitoJwt") else {
        panic!("the JWT authorizer");
    };
    assert_eq!(
        jwt.issuer,
        "https://cognito-idp.us-east-1.amazonaws.com/UserPool"
    );
    assert_eq!(jwt.audience, ["UserPoolClient"]);
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
             Method: any\n            Path: /admin/{{proxy+}}\n            Auth:\n              Authorizer: CognitoUserPool\n              AuthorizationScopes: [hello/admin]\n"
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
        "              Header: X-Token\n              ValidationExpression: client-1.*\n",
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
    let Some(AuthorizerConfig::Cognito(cognito)) = api.authorizers.get("CognitoUserPool") else {
        panic!("expected a Cognito authorizer");
    };
    assert_eq!(cognito.identity, IdentitySource::Header("x-token".into()));
    assert_eq!(
        cognito.issuers,
        [
            ISSUER.to_owned(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other".to_owned()
        ]
    );
    let pattern = cognito.audience_pattern.as_ref().unwrap();
    assert!(pattern.is_match("client-1"));
    assert!(
        !pattern.is_match("other-client-1"),
        "the whole value must match"
    );
}

#[test]
fn sams_default_puts_the_authorizer_on_the_preflight() {
    let text = variant("        AddDefaultAuthorizerToCorsPreflight: false\n", "");
    let rest = rest_of(&text, &values()).unwrap();
    let preflight = rest.routes.iter().find(|r| r.method == "OPTIONS").unwrap();
    assert_eq!(
        preflight.auth,
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
    let rest = rest_of(&text, &values()).unwrap();
    assert_eq!(
        rest.stages,
        [Stage {
            name: "v1".into(),
            variables: BTreeMap::from([("color".into(), "blue".into())]),
        }]
    );
    assert_eq!(rest.binary_media_types, ["image/png"]);
    let preflight = rest.routes.iter().find(|r| r.method == "OPTIONS").unwrap();
    assert_eq!(
        preflight.integration,
        Integration::Mock(MockResponse {
            status: 200,
            headers: pairs(&[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "GET,OPTIONS"),
                ("content-type", "application/json"),
            ]),
            body: "{}".into(),
        })
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
            "`RestApi` property `Auth.Authorizers.CognitoUserPool.UserPoolArn`: `us-east-1_TEST` is not a Cognito user pool ARN",
        ),
        (
            variant(
                "            UserPoolArn: !GetAtt UserPool.Arn\n",
                "            FunctionArn: arn:aws:lambda:x\n",
            ),
            "`RestApi` property `Auth.Authorizers.CognitoUserPool.FunctionArn`: `arn:aws:lambda:x` is not a Lambda function's ARN or invocation URI",
        ),
        (
            // No UserPoolArn: SAM reads it as a Lambda authorizer.
            variant("            UserPoolArn: !GetAtt UserPool.Arn\n", ""),
            "`RestApi` property `Auth.Authorizers.CognitoUserPool.FunctionArn`: a Lambda authorizer needs a FunctionArn",
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
            "`RestApi` property `Auth.DefaultAuthorizer`: Unable to set DefaultAuthorizer because 'Nope' was not defined in 'Authorizers'",
        ),
        (
            variant(
                REST_EVENT,
                &format!("{REST_EVENT}            Auth:\n              Authorizer: Missing\n"),
            ),
            "`HelloFunction` property `Events.GetHelloRest.Properties.Auth.Authorizer`: Unable to set Authorizer [Missing] because it wasn't defined in the API's Authorizers",
        ),
        (
            variant(
                REST_EVENT,
                &format!("{REST_EVENT}            Auth:\n              ApiKeyRequired: false\n"),
            ),
            "`HelloFunction` property `Events.GetHelloRest.Properties.Auth.ApiKeyRequired`: Unable to set ApiKeyRequired [False] because the related API does not specify any ApiKeyRequired",
        ),
        (
            variant("      StageName: !Ref Stage\n", ""),
            "`RestApi` property `StageName`: Missing required property 'StageName'",
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
            "`RestApi` property `Cors.MaxAge`: `600`: API Gateway needs the value in single quotes",
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
            "`RestApi` property `DefinitionBody`: not an OpenAPI document: it has neither `openapi` nor `swagger`",
        ),
        (
            variant(
                "            RestApiId: !Ref RestApi",
                "            RestApiId: !GetAtt RestApi.RootResourceId",
            ),
            "`HelloFunction` property `Events.GetHelloRest.Properties.RestApiId`: expected `!Ref <API>` or the API's logical id",
        ),
        (
            variant(
                "            RestApiId: !Ref RestApi",
                "            RestApiId: !Ref Nope",
            ),
            "`HelloFunction` property `Events.GetHelloRest.Properties.RestApiId`: RestApiId must be a valid reference to an 'AWS::Serverless::Api' resource in same template",
        ),
        (
            variant(
                "Resources:\n",
                "Globals:\n  Api:\n    StageName: v2\n\nResources:\n",
            ),
            "`Globals` property `Api.StageName`: SAM does not allow `StageName` in Globals.Api",
        ),
    ];
    for (text, expected) in cases {
        let err = error_of(&text);
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
            "`HelloFunction` property `Events.GetHello.Properties.Auth.Authorizer`: Unable to set Authorizer [Missing] because it wasn't defined in the API's Authorizers",
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
            variant("            Path: /hello", "            Path: /a/{id"),
            "`/a/{id`: a parameter must be a whole segment",
        ),
        (
            variant("            Path: /hello", "            Path: /item{id}s"),
            "`/item{id}s`: a parameter must be a whole segment",
        ),
        (
            variant("            Path: /hello", "            Path: /a/{}"),
            "`/a/{}`: a parameter must be a whole segment",
        ),
        (
            variant(
                "            ApiId: !Ref HttpApi",
                "            ApiId: {Ref: HttpApi, Extra: 1}",
            ),
            "expected `!Ref <API>` or the API's logical id, found a mapping",
        ),
        (
            variant(
                "            IdentitySource: $request.header.Authorization\n",
                "            FunctionArn: arn:aws:lambda:x\n",
            ),
            "`HttpApi` property `Auth.Authorizers.CognitoJwt.IdentitySource`: a JWT authorizer must define 'IdentitySource'",
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
            "`HttpApi` property `Auth.DefaultAuthorizer`: Unable to set DefaultAuthorizer because 'Nope' was not defined in 'Authorizers'",
        ),
        (
            variant("        MaxAge: 600", "        MaxAge: soon"),
            "`HttpApi` property `CorsConfiguration.MaxAge`: expected a number of seconds",
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
    let err = error_of(&text);
    assert!(
        err.contains("`HelloFunction` property `Events.Again.Properties`: API method 'get' defined multiple times for path '/hello'"),
        "{err}"
    );
}

#[test]
fn every_api_is_read_and_one_without_routes_is_left_out_with_a_warning() {
    let text = variant(
        "  HttpApiAccessLogs:\n",
        "  SecondApi:\n    Type: AWS::Serverless::HttpApi\n\n  HttpApiAccessLogs:\n",
    );
    let reading = reading(&text, &values()).unwrap();
    let ids: Vec<&str> = reading.apis.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["HttpApi", "RestApi"]);
    assert_eq!(
        reading.warnings,
        ["`SecondApi`: the API has no routes; it is not served"]
    );
}

#[test]
fn function_timeouts_come_from_the_function_or_globals() {
    let text = variant("      Timeout: 5\n", "");
    assert_eq!(
        api_of(&text, &values()).unwrap().routes[0]
            .function()
            .unwrap()
            .timeout,
        Duration::from_secs(3)
    );
    let text = variant(
        "Resources:\n",
        "Globals:\n  Function:\n    Timeout: 12\n\nResources:\n",
    )
    .replacen("      Timeout: 5\n", "", 1);
    assert_eq!(
        rest_of(&text, &values()).unwrap().routes[0]
            .function()
            .unwrap()
            .timeout,
        Duration::from_secs(12)
    );
}

#[test]
fn an_api_no_event_reaches_is_not_served() {
    let text = variant("          Type: Api\n", "          Type: Schedule\n");
    let reading = reading(&text, &values()).unwrap();
    assert!(reading.apis.iter().all(|api| api.kind == ApiKind::Http));
    assert_eq!(
        reading.warnings,
        ["`RestApi`: the API has no routes; it is not served"]
    );
}

#[test]
fn a_function_whose_condition_is_false_has_no_routes() {
    let text = variant(
        "  HelloFunction:\n    Type: AWS::Serverless::Function\n",
        "  HelloFunction:\n    Type: AWS::Serverless::Function\n    Condition: IsProd\n",
    );
    assert!(reading(&text, &values()).unwrap().apis.is_empty());
    let mut prod = values();
    prod.parameters.insert("Stage".into(), "prod".into());
    assert_eq!(api_of(&text, &prod).unwrap().routes.len(), 1);
}

#[test]
fn the_cognito_seed_lists_each_pool_with_its_clients() {
    let text = variant(
        "  HttpApi:\n",
        "  OtherPool:\n    Type: AWS::Cognito::UserPool\n  OtherClient:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n      \
         UserPoolId: !Ref OtherPool\n      ClientName: other\n  ExternalClient:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n      \
         UserPoolId: us-east-1_Elsewhere\n\n  HttpApi:\n",
    );
    let template = Template::parse(&text).unwrap();
    let values = LocalValues::default();
    let seed =
        local_api_gateway::template::cognito_seed(&template, &Resolver::new(&template, &values))
            .unwrap();
    let pools: Vec<(&str, Vec<&str>)> = seed["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pool| {
            (
                pool["logicalId"].as_str().unwrap(),
                pool["clients"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["logicalId"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        pools,
        [
            ("UserPool", vec!["UserPoolClient"]),
            ("OtherPool", vec!["OtherClient"])
        ]
    );
    assert_eq!(seed["pools"][0]["input"]["PoolName"], "local-users");
    assert!(
        seed["pools"][0]["clients"][0]["input"]
            .get("UserPoolId")
            .is_none()
    );
    assert_eq!(
        seed["pools"][1]["clients"][0]["input"]["ClientName"],
        "other"
    );
}
