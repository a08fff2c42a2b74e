//! An HTTP API authorizer with simple responses (`EnableSimpleResponses: true`).

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn authorize(
    event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>,
) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, Error> {
    tracing::info!("simple authorizer invoked");
    Ok(lambda_authorizer::http_simple(&event.payload)?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_authorizer::init_logging();
    run(service_fn(authorize)).await
}
