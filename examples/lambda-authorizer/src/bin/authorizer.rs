//! One function for the three kinds of event a policy-answering authorizer gets: REST TOKEN,
//! REST REQUEST, and HTTP REQUEST (payload 2.0).

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_authorizer::{http_policy, request, token};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

async fn authorize(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let event = event.payload;
    let kind = (
        event.get("version").and_then(Value::as_str),
        event.get("type").and_then(Value::as_str),
    );
    tracing::info!(kind = ?kind, "authorizer invoked");
    let answer = match kind {
        (Some("2.0"), _) => {
            let event: ApiGatewayV2CustomAuthorizerV2Request = serde_json::from_value(event)?;
            serde_json::to_value(http_policy(&event)?)?
        }
        (_, Some("TOKEN")) => {
            let event: ApiGatewayCustomAuthorizerRequest = serde_json::from_value(event)?;
            serde_json::to_value(token(&event)?)?
        }
        _ => {
            let event: ApiGatewayCustomAuthorizerRequestTypeRequest =
                serde_json::from_value(event)?;
            serde_json::to_value(request(&event)?)?
        }
    };
    Ok(answer)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_authorizer::init_logging();
    run(service_fn(authorize)).await
}
