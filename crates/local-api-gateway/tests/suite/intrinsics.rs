//! The intrinsic-function evaluator on its own, function by function. Expected values are
//! CloudFormation's documented examples and return values (each test names its page of the
//! "Intrinsic function reference", "Parameters" or "Pseudo parameters" sections, or SAM's
//! "Referencing generated CloudFormation resources"), not this code's output.

use std::collections::BTreeMap;

use local_api_gateway::template::{LocalValues, Resolver, Template};
use serde_json::{Value as Json, json};
use serde_yaml_ng::Value as Yaml;

const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Count: {Type: Number, Default: 3}
  Size: {Type: Number, Default: 2, AllowedValues: [1, 2]}
  Label: {Type: String, Default: 5}
  Zones: {Type: CommaDelimitedList, Default: 'a, b,c'}
  Ports: {Type: 'List<Number>', Default: '80,443'}
  Secret: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /app/secret}
  Names: {Type: 'AWS::SSM::Parameter::Value<List<String>>', Default: /app/names}
  Required: {Type: String}
  Shaped: {Type: String, Default: {a: b}}
  Attr: {Type: String, Default: Arn}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [Condition: IsProd]
  Ping: !Not [Condition: Pong]
  Pong: !Not [Condition: Ping]
  Word: !Ref Env
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  Client: {Type: AWS::Cognito::UserPoolClient, Properties: {UserPoolId: !Ref Pool}}
  Named:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: !Sub '${AWS::StackName}-named'}
  Plain: {Type: AWS::Lambda::Function}
  Rest: {Type: AWS::ApiGateway::RestApi}
  V2: {Type: AWS::ApiGatewayV2::Api}
  Live: {Type: AWS::ApiGateway::Stage, Properties: {StageName: live}}
  Nested: {Type: AWS::CloudFormation::Stack}
  Api: {Type: AWS::Serverless::Api, Properties: {StageName: v1}}
  ApiX: {Type: AWS::Serverless::Api, Properties: {StageName: v2}}
  Dashed: {Type: AWS::Serverless::Api, Properties: {StageName: v1-beta}}
  Http: {Type: AWS::Serverless::HttpApi}
"#;

fn values() -> LocalValues {
    LocalValues {
        region: "eu-west-1".into(),
        account_id: "111122223333".into(),
        stack_name: "demo".into(),
        resource_ids: BTreeMap::from([
            ("Pool".into(), "eu-west-1_Pool".into()),
            ("Client".into(), "client123".into()),
        ]),
        ..LocalValues::default()
    }
}

fn yaml(text: &str) -> Yaml {
    serde_yaml_ng::from_str(text).unwrap()
}

fn here() -> local_api_gateway::template::Location {
    local_api_gateway::template::Location::new("Test", "Value")
}

/// `value` (YAML) evaluated against `template` and `values`; errors as their messages.
fn eval_with(template: &str, values: &LocalValues, value: &str) -> Result<Option<Json>, String> {
    let template = Template::parse(template).unwrap();
    Resolver::new(&template, values)
        .eval(&yaml(value), &here())
        .map_err(|e| e.to_string())
}

fn eval(value: &str) -> Result<Option<Json>, String> {
    eval_with(TEMPLATE, &values(), value)
}

/// The value, which must evaluate to something.
fn value(text: &str) -> Json {
    match eval(text) {
        Ok(Some(v)) => v,
        other => panic!("{text} gave {other:?}"),
    }
}

fn error(text: &str) -> String {
    eval(text).expect_err(&format!("{text} should be refused"))
}

fn with_parameter(name: &str, value: &str) -> LocalValues {
    let mut v = values();
    v.parameters.insert(name.into(), value.into());
    v
}

/// "Pseudo parameters reference": each pseudo parameter's value, from the local stand-ins.
#[test]
fn ref_of_a_pseudo_parameter_is_its_local_value() {
    assert_eq!(value("!Ref AWS::Region"), json!("eu-west-1"));
    assert_eq!(value("!Ref AWS::AccountId"), json!("111122223333"));
    assert_eq!(value("!Ref AWS::StackName"), json!("demo"));
    // arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>, the id a stand-in.
    let stack_id = value("!Ref AWS::StackId");
    let stack_id = stack_id.as_str().unwrap();
    assert!(
        stack_id.starts_with("arn:aws:cloudformation:eu-west-1:111122223333:stack/demo/"),
        "{stack_id}"
    );
    assert_eq!(value("!Ref AWS::Partition"), json!("aws"));
    assert_eq!(value("!Ref AWS::URLSuffix"), json!("amazonaws.com"));
    assert_eq!(value("!Ref AWS::NotificationARNs"), json!([]));
    // AWS::NoValue removes the property it is the value of.
    assert_eq!(eval("!Ref AWS::NoValue"), Ok(None));
    assert_eq!(eval("{Ref: AWS::NoValue}"), Ok(None));
    assert_eq!(value("[a, !Ref AWS::NoValue, b]"), json!(["a", "b"]));
    assert_eq!(
        value("{kept: 1, dropped: !Ref AWS::NoValue}"),
        json!({"kept": 1})
    );
}

/// `Ref`: "the value of the specified parameter or resource"; a resource's physical id is a
/// function's `FunctionName`, a stage's name, else (locally) the logical id.
#[test]
fn ref_of_a_resource_is_its_local_id_name_or_logical_id() {
    assert_eq!(value("!Ref Pool"), json!("eu-west-1_Pool"));
    assert_eq!(value("{Ref: Client}"), json!("client123"));
    assert_eq!(value("!Ref Named"), json!("demo-named"));
    assert_eq!(value("!Ref Plain"), json!("Plain"));
    assert_eq!(value("!Ref Rest"), json!("Rest"));
    assert_eq!(value("!Ref Live"), json!("live"));
    let mut ids = values();
    ids.resource_ids.insert("Named".into(), "given".into());
    assert_eq!(
        eval_with(TEMPLATE, &ids, "!Ref Named"),
        Ok(Some(json!("given")))
    );
    assert!(error("!Ref Nope").contains("Ref to unknown name `Nope`"));
    assert!(error("!Ref [Pool]").contains("Ref takes a name, found a list"));
}

/// "Parameters": a `Ref` gives the value passed in, else the `Default`; `Number` is a number,
/// `CommaDelimitedList` and `List<...>` are lists (each member space-trimmed), values outside
/// `AllowedValues` are refused, SSM-typed parameters resolve their `Default` in Parameter Store.
#[test]
fn ref_of_a_parameter_follows_its_type() {
    assert_eq!(value("!Ref Env"), json!("dev"));
    assert_eq!(
        eval_with(TEMPLATE, &with_parameter("Env", "prod"), "!Ref Env"),
        Ok(Some(json!("prod")))
    );
    assert_eq!(value("!Ref Count"), json!(3));
    assert_eq!(value("!Ref Label"), json!("5"));
    assert_eq!(value("!Ref Size"), json!(2));
    assert_eq!(value("!Ref Zones"), json!(["a", "b", "c"]));
    assert_eq!(value("!Ref Ports"), json!(["80", "443"]));

    let not_a_number = eval_with(TEMPLATE, &with_parameter("Count", "many"), "!Ref Count");
    assert_eq!(
        not_a_number,
        Err("`Parameters` property `Count`: `many` is not a number".into())
    );
    let outside = eval_with(TEMPLATE, &with_parameter("Env", "staging"), "!Ref Env");
    let outside = outside.unwrap_err();
    assert!(
        outside.starts_with(
            "`Parameters` property `Env`: value `staging` is not one of the AllowedValues"
        ),
        "{outside}"
    );
    let numbers = eval_with(TEMPLATE, &with_parameter("Size", "3"), "!Ref Size").unwrap_err();
    assert!(numbers.contains(r#"["1", "2"]"#), "{numbers}");

    let ssm = error("!Ref Secret");
    assert!(
        ssm.contains("SSM Parameter Store") && ssm.contains("--parameter Secret=VALUE"),
        "{ssm}"
    );
    assert_eq!(
        eval_with(TEMPLATE, &with_parameter("Secret", "s3cr3t"), "!Ref Secret"),
        Ok(Some(json!("s3cr3t")))
    );
    assert_eq!(
        eval_with(TEMPLATE, &with_parameter("Names", "x, y"), "!Ref Names"),
        Ok(Some(json!(["x", "y"])))
    );
    assert_eq!(
        error("!Ref Required"),
        "`Test` property `Value.Ref`: parameter `Required` has no Default; give a value with --parameter Required=VALUE"
    );
    assert!(
        error("!Ref Shaped").starts_with("`Parameters` property `Shaped`: expected a scalar"),
        "{}",
        error("!Ref Shaped")
    );
}

/// "Fn::Sub": `${Param}`, `${Resource}`, `${AWS::Pseudo}` as with `Ref`, `${Resource.Attr}` as
/// with `Fn::GetAtt`, the variable map first, `${!Literal}` written as `${Literal}`.
#[test]
fn sub_substitutes_names_attributes_and_variables() {
    assert_eq!(
        value("!Sub 'https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}'"),
        json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool")
    );
    assert_eq!(
        value("!Sub '${Env}:${Pool.Arn}!'"),
        json!("dev:arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Pool!")
    );
    assert_eq!(
        value("!Sub ['${Host}/${Env}', {Host: !Ref Rest, Env: shadowed}]"),
        json!("Rest/shadowed")
    );
    assert_eq!(value("!Sub 'a${!Literal}b'"), json!("a${Literal}b"));
    assert_eq!(value("{'Fn::Sub': 'plain'}"), json!("plain"));
    assert_eq!(value("!Sub '${Count}'"), json!("3"));

    assert!(error("!Sub 'a${Env'").contains("Fn::Sub has an unclosed `${`"));
    assert!(error("!Sub ['${V}', {V: [a]}]").contains("Fn::Sub variable `V` is not a string"));
    assert!(error("!Sub '${Zones}'").contains("Fn::Sub `${Zones}` is not a string"));
    assert!(error("!Sub [1, {}]").contains("Fn::Sub takes a string first"));
    assert!(error("!Sub [x, [a]]").contains("Fn::Sub takes a mapping of variables second"));
    assert!(error("!Sub [x, {}, y]").contains("Fn::Sub takes a string or [string, variables]"));
}

/// Return values of `AWS::Cognito::UserPool` (`Arn`, `ProviderName`, `ProviderURL`,
/// `UserPoolId`), `UserPoolClient` (`ClientId`), `AWS::Lambda::Function` (`Arn`), `RestApi`
/// (`RootResourceId`, `RestApiId`), `AWS::ApiGatewayV2::Api` (`ApiId`); "Fn::GetAtt": both forms,
/// and `Ref` in the attribute name.
#[test]
fn get_att_gives_what_the_local_stack_knows() {
    let provider = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool";
    assert_eq!(value("!GetAtt Pool.ProviderName"), json!(provider));
    assert_eq!(
        value("!GetAtt Pool.ProviderURL"),
        json!(format!("https://{provider}"))
    );
    assert_eq!(
        value("!GetAtt Pool.Arn"),
        json!("arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Pool")
    );
    assert_eq!(value("!GetAtt Pool.UserPoolId"), json!("eu-west-1_Pool"));
    assert_eq!(value("!GetAtt Client.ClientId"), json!("client123"));
    assert_eq!(
        value("!GetAtt Named.Arn"),
        json!("arn:aws:lambda:eu-west-1:111122223333:function:demo-named")
    );
    assert_eq!(
        value("{'Fn::GetAtt': [Plain, Arn]}"),
        json!("arn:aws:lambda:eu-west-1:111122223333:function:Plain")
    );
    assert_eq!(
        value("!GetAtt [Pool, !Ref Attr]"),
        value("!GetAtt Pool.Arn")
    );
    assert_eq!(value("!GetAtt Rest.RestApiId"), json!("Rest"));
    assert_eq!(value("!GetAtt V2.ApiId"), json!("V2"));
    // The root resource's id is opaque; locally it is derived from, and differs from, the API's.
    let root = value("!GetAtt Rest.RootResourceId");
    assert_ne!(root, json!("Rest"));
    assert!(root.as_str().unwrap().starts_with("Rest"), "{root}");

    let unknown = error("!GetAtt Nested.Outputs.Issuer");
    assert!(
        unknown.contains("Fn::GetAtt Nested.Outputs.Issuer (AWS::CloudFormation::Stack) cannot be evaluated locally")
            && unknown.contains("--attribute Nested.Outputs.Issuer=VALUE"),
        "{unknown}"
    );
    let mut given = values();
    given
        .attributes
        .insert("Nested.Outputs.Issuer".into(), "https://issuer".into());
    for form in [
        "!GetAtt Nested.Outputs.Issuer",
        "!GetAtt [Nested, Outputs.Issuer]",
        "!Sub '${Nested.Outputs.Issuer}'",
    ] {
        assert_eq!(
            eval_with(TEMPLATE, &given, form),
            Ok(Some(json!("https://issuer"))),
            "{form}"
        );
    }
    assert!(error("!GetAtt Pool").contains("Fn::GetAtt takes `Resource.Attribute`"));
    assert!(error("!GetAtt [Pool]").contains("Fn::GetAtt takes `Resource.Attribute`"));
    assert!(error("!GetAtt Gone.Arn").contains("Fn::GetAtt of unknown resource `Gone`"));
    assert!(error("!GetAtt Rest.Arn").contains("cannot be evaluated locally"));
    assert!(error("!GetAtt [Pool, [Arn]]").contains("expected a string, found a list"));
}

/// "Condition functions": `Fn::If` picks a branch (and `AWS::NoValue` removes the property),
/// `Fn::Equals`, `Fn::Not`, `Fn::And` / `Fn::Or` of 2 to 10 conditions, `Condition` naming
/// another condition.
#[test]
fn conditions_pick_branches_and_combine() {
    let prod = with_parameter("Env", "prod");
    assert_eq!(value("!If [IsProd, big, small]"), json!("small"));
    assert_eq!(
        eval_with(TEMPLATE, &prod, "!If [IsProd, big, small]"),
        Ok(Some(json!("big")))
    );
    assert_eq!(value("!If [IsDev, !Ref Env, x]"), json!("dev"));
    assert_eq!(eval("!If [IsDev, !Ref AWS::NoValue, x]"), Ok(None));
    assert_eq!(
        value("{a: !If [IsProd, 1, !Ref AWS::NoValue], b: 2}"),
        json!({"b": 2})
    );

    assert_eq!(value("!Equals [!Ref Env, dev]"), json!(true));
    assert_eq!(value("!Equals [!Ref Env, prod]"), json!(false));
    // Parameter values are strings to CloudFormation: a Number parameter equals its text.
    assert_eq!(value("!Equals [!Ref Count, '3']"), json!(true));
    assert_eq!(value("!Equals [[a, b], [a, b]]"), json!(true));
    assert_eq!(value("!Equals [[a, b], [b, a]]"), json!(false));
    assert_eq!(value("!Not [!Equals [a, b]]"), json!(true));
    assert_eq!(value("!Not [Condition: IsDev]"), json!(false));
    assert_eq!(
        value("!And [Condition: IsDev, !Equals [a, a]]"),
        json!(true)
    );
    assert_eq!(
        value("!And [Condition: IsDev, Condition: IsProd]"),
        json!(false)
    );
    assert_eq!(
        value("!Or [Condition: IsProd, Condition: IsDev]"),
        json!(true)
    );
    assert_eq!(
        value("!Or [Condition: IsProd, Condition: IsProd]"),
        json!(false)
    );
    let ten = ["Condition: IsDev"; 10].join(", ");
    assert_eq!(value(&format!("!And [{ten}]")), json!(true));
    assert!(
        error(&format!("!Or [{ten}, Condition: IsDev]"))
            .contains("Fn::Or takes a list of 2 to 10 conditions")
    );
    assert!(
        error("!And [Condition: IsDev]").contains("Fn::And takes a list of 2 to 10 conditions")
    );

    assert!(error("!If [IsProd, a]").contains("Fn::If takes a list of 3 arguments"));
    assert!(error("!If [[IsProd], a, b]").contains("Fn::If takes a condition name first"));
    assert!(error("!If [Absent, a, b]").contains("no condition named `Absent`"));
    assert!(error("!If [Ping, a, b]").contains("refers to itself"));
    assert!(error("!If [Word, a, b]").contains("expected a condition"));
    assert!(error("!Not [yes]").contains("expected a condition"));
    assert!(error("!Not [{Condition: [IsDev]}]").contains("Condition takes a condition name"));
    assert!(error("!Equals [a]").contains("Fn::Equals takes a list of 2 arguments"));
    // Outside a condition `Condition` is an ordinary key, as in an IAM policy statement.
    assert_eq!(value("{Condition: IsDev}"), json!({"Condition": "IsDev"}));
}

/// "Fn::Join", "Fn::Select", "Fn::Split": the documented examples, and their documented limits
/// (no function as a delimiter, an index within the list).
#[test]
fn join_select_and_split_as_documented() {
    assert_eq!(value("!Join [':', [a, b, c]]"), json!("a:b:c"));
    assert_eq!(
        value("!Join ['', ['arn:', !Ref AWS::Partition, ':s3:::b']]"),
        json!("arn:aws:s3:::b")
    );
    assert_eq!(value("!Join [',', !Ref Zones]"), json!("a,b,c"));
    assert_eq!(value("!Join ['-', [1, true]]"), json!("1-true"));
    assert!(error("!Join [',', a]").contains("Fn::Join takes a list second"));
    assert!(error("!Join [',', [{a: b}]]").contains("Fn::Join can only join strings"));

    let fruit = "[apples, grapes, oranges, mangoes]";
    assert_eq!(value(&format!("!Select ['1', {fruit}]")), json!("grapes"));
    assert_eq!(value(&format!("!Select [3, {fruit}]")), json!("mangoes"));
    assert_eq!(value("!Select [1, !Ref Zones]"), json!("b"));
    assert!(error(&format!("!Select [4, {fruit}]")).contains("Fn::Select index 4 is out of range"));
    assert!(
        error(&format!("!Select [first, {fruit}]")).contains("Fn::Select takes an index first")
    );
    assert!(error("!Select [0, a]").contains("Fn::Select takes a list second"));

    assert_eq!(value("!Split ['|', 'a|b|c']"), json!(["a", "b", "c"]));
    assert_eq!(value("!Split ['|', 'a||c|']"), json!(["a", "", "c", ""]));
    assert_eq!(value("!Select [2, !Split [',', 'x,y,z']]"), json!("z"));
    assert!(error("!Split ['', abc]").contains("Fn::Split takes a delimiter string first"));
    assert!(error("!Split [',']").contains("Fn::Split takes a list of 2 arguments"));
}

/// What the evaluator does not know is an error naming it and where it is, in either form.
#[test]
fn an_unsupported_function_is_named_where_it_is() {
    assert_eq!(
        error("!FindInMap [M, a, b]"),
        "`Test` property `Value.Fn::FindInMap`: the intrinsic function Fn::FindInMap is not supported by the local API"
    );
    assert!(
        error("{'Fn::Base64': x}").contains("the intrinsic function Fn::Base64 is not supported")
    );
    assert!(error("{1: a}").contains("mapping keys must be strings"));
    // A single-key mapping whose key is no function's name is plain data.
    assert_eq!(value("{Fn: x}"), json!({"Fn": "x"}));
}

/// Scalars keep their YAML type; numbers past i64 and decimals are kept too.
#[test]
fn plain_values_keep_their_types() {
    assert_eq!(value("-5"), json!(-5));
    assert_eq!(
        value("18446744073709551615"),
        json!(18_446_744_073_709_551_615_u64)
    );
    assert_eq!(value("1.5"), json!(1.5));
    assert_eq!(value(".nan"), Json::Null);
    assert_eq!(value("~"), Json::Null);
    assert_eq!(value("[true, x, {k: [1]}]"), json!([true, "x", {"k": [1]}]));
}

/// A function's key beside other keys makes no function: the mapping is an object, as cfn-lint
/// reads it too (such a mapping "is not of type 'string'", E3012), so where a string is
/// expected it is refused.
#[test]
fn a_function_key_beside_other_keys_is_an_object() {
    assert_eq!(
        value("{Ref: Env, Other: x}"),
        json!({"Ref": "Env", "Other": "x"})
    );
    assert_eq!(
        value("{'Fn::Sub': abc, Extra: 1}"),
        json!({"Fn::Sub": "abc", "Extra": 1})
    );
    let template = Template::parse(TEMPLATE).unwrap();
    let values = values();
    let err = resolver_of(&template, &values)
        .eval_string(&yaml("{Ref: Env, Other: x}"), &here())
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected a string, found a mapping"), "{err}");
}

/// Nesting beyond what any template needs is refused rather than followed without end.
#[test]
fn nesting_too_deep_is_an_error() {
    let deep = format!("{}x{}", "[".repeat(40), "]".repeat(40));
    assert!(error(&deep).contains("intrinsic functions nested too deeply"));
    let shallow = format!("{}x{}", "[".repeat(30), "]".repeat(30));
    assert!(eval(&shallow).is_ok());
    let deep = format!("{}x{}", "{k: ".repeat(40), "}".repeat(40));
    assert!(error(&deep).contains("intrinsic functions nested too deeply"));
    let shallow = format!("{}x{}", "{k: ".repeat(30), "}".repeat(30));
    assert!(eval(&shallow).is_ok());
}

fn resolver_of<'t>(template: &'t Template, values: &'t LocalValues) -> Resolver<'t> {
    Resolver::new(template, values)
}

/// The typed entry points: a string (numbers and booleans written out), a list of strings,
/// a boolean (`true`, or "true"/"false" in any case).
#[test]
fn typed_values_are_checked() {
    let template = Template::parse(TEMPLATE).unwrap();
    let values = values();
    let r = resolver_of(&template, &values);
    let at = here();
    let string = |text: &str| r.eval_string(&yaml(text), &at).map_err(|e| e.to_string());
    assert_eq!(string("!Ref Count"), Ok("3".into()));
    assert_eq!(string("true"), Ok("true".into()));
    assert_eq!(
        string("[a]"),
        Err("`Test` property `Value`: expected a string, found a list".into())
    );
    assert_eq!(
        string("!Ref AWS::NoValue"),
        Err("`Test` property `Value`: expected a string, found AWS::NoValue".into())
    );

    let list = |text: &str| {
        r.eval_string_list(&yaml(text), &at)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        list("[a, 1, true]"),
        Ok(vec!["a".into(), "1".into(), "true".into()])
    );
    assert_eq!(
        list("!Ref Zones"),
        Ok(vec!["a".into(), "b".into(), "c".into()])
    );
    assert_eq!(list("!Ref AWS::NoValue"), Ok(vec![]));
    assert_eq!(
        list("[a, {b: c}]"),
        Err("`Test` property `Value.1`: expected a string, found a mapping".into())
    );
    assert_eq!(
        list("a"),
        Err("`Test` property `Value`: expected a list of strings, found a string".into())
    );

    let boolean = |text: &str| r.eval_bool(&yaml(text), &at).map_err(|e| e.to_string());
    assert_eq!(boolean("true"), Ok(true));
    assert_eq!(boolean("false"), Ok(false));
    assert_eq!(boolean("'True'"), Ok(true));
    assert_eq!(boolean("'FALSE'"), Ok(false));
    assert_eq!(
        boolean("'yes'"),
        Err("`Test` property `Value`: expected a boolean, found a string".into())
    );
    assert_eq!(
        boolean("!Ref AWS::NoValue"),
        Err("`Test` property `Value`: expected a boolean, found AWS::NoValue".into())
    );
}

/// Where a structure is expected, `Fn::If` picks its branch (unevaluated inside) and
/// `AWS::NoValue` leaves it out.
#[test]
fn a_structure_behind_fn_if_is_selected() {
    let template = Template::parse(TEMPLATE).unwrap();
    let values = values();
    let r = resolver_of(&template, &values);
    let at = here();
    let select = |text: &str| {
        r.select(&yaml(text), &at)
            .map(|v| v.cloned())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        select("!If [IsDev, {get: !Ref Env}, {post: x}]"),
        Ok(Some(yaml("{get: !Ref Env}")))
    );
    assert_eq!(
        select("!If [IsProd, a, !If [IsDev, b, c]]"),
        Ok(Some(yaml("b")))
    );
    assert_eq!(select("!If [IsDev, !Ref AWS::NoValue, a]"), Ok(None));
    assert_eq!(select("!Ref AWS::NoValue"), Ok(None));
    assert_eq!(select("!Ref Env"), Ok(Some(yaml("!Ref Env"))));
    assert_eq!(select("{a: 1}"), Ok(Some(yaml("{a: 1}"))));
    assert!(
        select("!If [IsDev, a]")
            .unwrap_err()
            .contains("Fn::If takes a list of 3 arguments")
    );
    assert!(
        select("!If [[IsDev], a, b]")
            .unwrap_err()
            .contains("Fn::If takes a condition name first")
    );
    assert!(
        select("!If [Ping, a, b]")
            .unwrap_err()
            .contains("refers to itself")
    );
    let deep = (0..40).fold("x".to_owned(), |inner, _| {
        format!("!If [IsDev, {inner}, y]")
    });
    assert!(
        select(&deep)
            .unwrap_err()
            .contains("Fn::If nested too deeply")
    );
    let shallow = (0..20).fold("x".to_owned(), |inner, _| {
        format!("!If [IsDev, {inner}, y]")
    });
    assert_eq!(select(&shallow), Ok(Some(yaml("x"))));
}

/// SAM's "Referencing generated CloudFormation resources": the implicit APIs and shared usage
/// plan by their logical ids, `<Api>.Stage` and `<Api><StageName>Stage` (the stage's name, `Prod`
/// for the implicit REST API, `$default` for an HTTP API without one), `<Api>ApiKey`,
/// `<Api>UsagePlan`, `<Api>UsagePlanKey`. samtranslator (api_generator.py) names the stage
/// `<Api><StageName>Stage` only when the stage name is alphanumeric, else by a hash.
#[test]
fn ref_of_what_sam_generates() {
    for id in [
        "ServerlessRestApi",
        "ServerlessHttpApi",
        "ServerlessApiKey",
        "ServerlessUsagePlan",
        "ServerlessUsagePlanKey",
        "ApiApiKey",
        "ApiUsagePlan",
        "ApiUsagePlanKey",
        "ApiXUsagePlanKey",
    ] {
        assert_eq!(value(&format!("!Ref {id}")), json!(id), "{id}");
    }
    assert_eq!(value("!Ref ServerlessRestApi.Stage"), json!("Prod"));
    assert_eq!(value("!Ref ServerlessRestApiProdStage"), json!("Prod"));
    assert_eq!(value("!Ref Api.Stage"), json!("v1"));
    assert_eq!(value("!Ref Apiv1Stage"), json!("v1"));
    assert_eq!(value("!Ref ApiXv2Stage"), json!("v2"));
    assert_eq!(value("!Ref Dashed.Stage"), json!("v1-beta"));
    assert_eq!(value("!Ref Http.Stage"), json!("$default"));
    for unknown in [
        "Dashedv1-betaStage",
        "Apiv2Stage",
        "ApiSecret",
        "Rest.Stage",
        "Gone.Stage",
        "Pool.Stage",
    ] {
        assert!(
            error(&format!("!Ref {unknown}")).contains(&format!("Ref to unknown name `{unknown}`")),
            "{unknown}"
        );
    }

    let globals = r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Api: {StageName: shared}
  HttpApi: {StageName: edge}
Resources:
  Api: {Type: AWS::Serverless::Api}
  Http: {Type: AWS::Serverless::HttpApi}
  Own: {Type: AWS::Serverless::Api, Properties: {StageName: mine}}
  ServerlessRestApi: {Type: AWS::Serverless::Api, Properties: {StageName: beta}}
"#;
    let of = |text: &str| eval_with(globals, &values(), text);
    assert_eq!(of("!Ref Api.Stage"), Ok(Some(json!("shared"))));
    assert_eq!(of("!Ref ApisharedStage"), Ok(Some(json!("shared"))));
    assert_eq!(of("!Ref Http.Stage"), Ok(Some(json!("edge"))));
    assert_eq!(of("!Ref Own.Stage"), Ok(Some(json!("mine"))));
    // A template that declares ServerlessRestApi itself gives it its stage.
    assert_eq!(of("!Ref ServerlessRestApi.Stage"), Ok(Some(json!("beta"))));
    assert_eq!(
        of("!Ref ServerlessRestApibetaStage"),
        Ok(Some(json!("beta")))
    );
    assert!(of("!Ref ServerlessRestApiProdStage").is_err());

    let no_stage =
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api: {Type: AWS::Serverless::Api}\n";
    let err = eval_with(no_stage, &values(), "!Ref Api.Stage").unwrap_err();
    assert!(err.contains("Ref to unknown name `Api.Stage`"), "{err}");
}

/// Where CloudFormation takes no function ("Ref": a logical id or parameter name; "Fn::Sub": the
/// string; "Fn::Join", "Fn::Split": the delimiter; "Fn::GetAtt": the resource's name, though the
/// attribute's may be a `Ref`; a condition's name), a function is refused, not read as its
/// argument's text (`!Ref Env` as the name "Env").
#[test]
fn names_and_delimiters_are_written_out() {
    for (text, message) in [
        (
            "!Join [!Ref Env, [a]]",
            "Fn::Join takes a delimiter string first",
        ),
        (
            "!Split [!Ref Env, abc]",
            "Fn::Split takes a delimiter string first",
        ),
        ("!Sub [!Ref Env, {}]", "Fn::Sub takes a string first"),
        ("{Ref: !Sub Env}", "Ref takes a name"),
        (
            "!GetAtt [!Ref Attr, Arn]",
            "Fn::GetAtt takes a resource's logical id first",
        ),
        (
            "!If [!Ref IsDev, a, b]",
            "Fn::If takes a condition name first",
        ),
        (
            "!Not [Condition: !Ref IsDev]",
            "Condition takes a condition name",
        ),
    ] {
        let err = error(text);
        assert!(err.contains(message), "{text}: {err}");
    }
    let template = Template::parse(TEMPLATE).unwrap();
    let values = values();
    let select = Resolver::new(&template, &values)
        .select(&yaml("!If [!Ref IsDev, a, b]"), &here())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        select.contains("Fn::If takes a condition name first"),
        "{select}"
    );
}
