//! Reading the project's real template.yaml, and small broken variants of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{collections::BTreeMap, time::Duration};

use local_http_api::template::{
    CorsConfig, HttpApi, IdentitySource, JwtAuthorizerConfig, LocalValues, Resolver, Route,
    RouteAuth, Template, create_input,
};
use serde_json::json;

const TEMPLATE: &str = include_str!("../../../template.yaml");
const POOL: &str = "us-east-1_abc123";
const CLIENT: &str = "client123";

fn values() -> LocalValues {
    LocalValues {
        resource_ids: BTreeMap::from([
            ("UserPool".into(), POOL.into()),
            ("UserPoolClient".into(), CLIENT.into()),
        ]),
        ..LocalValues::default()
    }
}

fn api_of(text: &str, values: &LocalValues) -> Result<HttpApi, String> {
    let template = Template::parse(text).map_err(|e| e.to_string())?;
    HttpApi::from_template(&template, &Resolver::new(&template, values), None)
        .map_err(|e| e.to_string())
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

#[test]
fn the_real_template_gives_one_protected_route() {
    let api = api_of(TEMPLATE, &values()).unwrap();
    assert_eq!(api.logical_id, "HttpApi");
    assert_eq!(
        api.routes,
        vec![Route {
            method: "GET".into(),
            path: "/hello".into(),
            function: "HelloFunction".into(),
            function_name: "hello".into(),
            auth: RouteAuth::Jwt {
                authorizer: "CognitoJwt".into(),
                scopes: vec![],
            },
            timeout: Duration::from_secs(30),
        }]
    );
    assert_eq!(
        api.authorizers["CognitoJwt"],
        JwtAuthorizerConfig {
            name: "CognitoJwt".into(),
            identity_source: IdentitySource::Header("authorization".into()),
            issuer: format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
            audience: vec![CLIENT.into()],
            scopes: vec![],
        }
    );
    assert_eq!(
        api.cors,
        Some(CorsConfig {
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
fn region_and_parameters_come_from_local_values() {
    let mut values = values();
    values.region = "eu-west-1".into();
    values
        .parameters
        .insert("AllowedOrigin".into(), "https://app.example.com".into());
    let api = api_of(TEMPLATE, &values).unwrap();
    assert_eq!(
        api.authorizers["CognitoJwt"].issuer,
        format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}")
    );
    assert_eq!(api.cors.unwrap().allow_origins, ["https://app.example.com"]);
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
    assert_eq!(input["ReadAttributes"], json!(["email", "email_verified"]));
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
        RouteAuth::Jwt {
            authorizer: "CognitoJwt".into(),
            scopes: vec!["hello/admin".into()],
        }
    );
}

#[test]
fn broken_templates_are_errors_that_name_the_resource_and_property() {
    let cases = [
        (
            variant(
                "            Path: /hello\n",
                "            Path: /hello\n            Auth:\n              Authorizer: Missing\n",
            ),
            "`HelloFunction` property `Events.GetHello.Properties.Auth.Authorizer`: no JWT authorizer named `Missing`",
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
            "`HelloFunction` property `Events.GetHello.Properties.ApiId`: expected `!Ref <HttpApi>`",
        ),
        (
            variant(
                "Resources:\n",
                "Globals:\n  HttpApi:\n    Auth:\n      DefaultAuthorizer: NONE\n\nResources:\n",
            ),
            "`Globals` property `HttpApi.Auth`: not supported by the local API",
        ),
        (
            variant("          Type: HttpApi\n", "          Type: Api\n"),
            "`HttpApi`: no function has an HttpApi event for this API",
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
    assert!(error_of(&text).contains("several resources of type AWS::Serverless::HttpApi"));
    let template = Template::parse(&text).unwrap();
    let values = values();
    let api = HttpApi::from_template(
        &template,
        &Resolver::new(&template, &values),
        Some("HttpApi"),
    )
    .unwrap();
    assert_eq!(api.routes.len(), 1);
}

#[test]
fn a_function_whose_condition_is_false_has_no_routes() {
    let text = variant(
        "  HelloFunction:\n    Type: AWS::Serverless::Function\n",
        "  HelloFunction:\n    Type: AWS::Serverless::Function\n    Condition: IsProd\n",
    );
    assert!(error_of(&text).contains("no function has an HttpApi event"));
    let mut prod = values();
    prod.parameters.insert("Stage".into(), "prod".into());
    assert_eq!(api_of(&text, &prod).unwrap().routes.len(), 1);
}
