//! REST APIs: payload 1.0, and API Gateway's own answers as gateway responses ("Gateway response
//! types for API Gateway"): a status, `{"message": ...}`, the `x-amzn-ErrorType` header, and the
//! API's `GatewayResponses` customizations by type (a specific type's wins over `DEFAULT_4XX` /
//! `DEFAULT_5XX`). CORS is whatever the routes answer (SAM's MOCK OPTIONS methods, the function's
//! own headers): a proxy integration adds none.

use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};

use super::{ApiRules, RequestIds, insert};
use crate::{
    authorizer::{Denial, SignatureFailure},
    error::{GatewayError, build_response},
    event::{
        EventContext, FunctionResponse, MalformedResponse, RequestParts,
        v1::{self, Dialect, V1Context},
    },
    model::{Api, PayloadVersion, Route},
};

pub struct RestApi;

/// The body of a gateway response: `{"message": ...}`; ACCESS_DENIED answers with a capital
/// `Message` (public captures; LocalStack special-cases it too), an authorizer's configuration
/// error with `{"message": null}`.
#[derive(Clone, Copy)]
enum Body<'a> {
    Message(&'a str),
    CapitalMessage(&'static str),
    Null,
    /// A body as captured, byte for byte.
    Verbatim(&'static str),
}

impl Body<'_> {
    fn json(self) -> Vec<u8> {
        let value = match self {
            Self::Message(text) => serde_json::json!({ "message": text }),
            Self::CapitalMessage(text) => serde_json::json!({ "Message": text }),
            Self::Null => serde_json::json!({ "message": null }),
            Self::Verbatim(text) => return text.as_bytes().to_vec(),
        };
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

/// How a REST API tells one gateway error from another.
struct Shape<'a> {
    status: u16,
    message: Body<'a>,
    /// The `x-amzn-ErrorType` header.
    error_type: &'static str,
    /// The gateway response type `GatewayResponses` customizes (`None`: none does).
    response_type: Option<&'static str>,
}

impl ApiRules for RestApi {
    fn request_id<'a>(&self, ids: &'a RequestIds) -> &'a str {
        &ids.uuid
    }

    fn route_key(&self, route: &Route) -> String {
        route.path.clone()
    }

    fn preflight(
        &self,
        _api: &Api,
        _parts: &axum::http::request::Parts,
    ) -> Option<Response<axum::body::Body>> {
        None
    }

    fn event(
        &self,
        api: &Api,
        _payload: PayloadVersion,
        request: &RequestParts<'_>,
        context: &EventContext<'_>,
        ids: &RequestIds,
    ) -> Result<Vec<u8>, serde_json::Error> {
        // REST proxy integrations are always payload 1.0.
        let v1 = V1Context {
            resource_id: Some(&resource_id(context.route_key)),
            extended_request_id: &ids.short,
            dialect: Dialect::Rest {
                binary_media_types: &api.binary_media_types,
            },
        };
        serde_json::to_vec(&v1::build_event(request, context, &v1))
    }

    fn response(
        &self,
        api: &Api,
        _payload: PayloadVersion,
        result: &[u8],
        request_headers: &HeaderMap,
    ) -> Result<FunctionResponse, MalformedResponse> {
        v1::map_result(result, request_headers, &api.binary_media_types)
    }

    fn error(&self, api: &Api, error: &GatewayError) -> Response<axum::body::Body> {
        let shape = shape(error);
        let default = if shape.status < 500 {
            "DEFAULT_4XX"
        } else {
            "DEFAULT_5XX"
        };
        let custom = shape.response_type.and_then(|kind| {
            api.gateway_responses
                .get(kind)
                .or_else(|| api.gateway_responses.get(default))
        });
        let status = custom
            .and_then(|c| c.status)
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::from_u16(shape.status).unwrap_or(StatusCode::BAD_GATEWAY));
        let mut response = build_response(
            status.as_u16(),
            &[("content-type".to_owned(), "application/json".to_owned())],
            shape.message.json(),
        );
        let headers = response.headers_mut();
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(shape.error_type),
        );
        for (name, value) in custom.map(|c| c.headers.as_slice()).unwrap_or_default() {
            if let Some((name, value)) = crate::wire::header(name, value) {
                headers.insert(name, value);
            }
        }
        response
    }

    fn finish(
        &self,
        _api: &Api,
        response: &mut Response<axum::body::Body>,
        _origin: Option<&HeaderValue>,
        _preflight: bool,
        ids: &RequestIds,
    ) {
        let headers = response.headers_mut();
        insert(headers, "x-amzn-requestid", &ids.uuid);
        insert(headers, "x-amz-apigw-id", &ids.short);
    }
}

fn shape(error: &GatewayError) -> Shape<'_> {
    let shape = |status, message, error_type, response_type| Shape {
        status,
        message: Body::Message(message),
        error_type,
        response_type: Some(response_type),
    };
    match error {
        GatewayError::BadRequest(_) => {
            shape(400, "Bad Request", "BadRequestException", "DEFAULT_4XX")
        }
        GatewayError::Denied(Denial::Unauthorized { .. }) => {
            shape(401, "Unauthorized", "UnauthorizedException", "UNAUTHORIZED")
        }
        // The wording of captures since late 2024.
        GatewayError::Denied(Denial::AccessDenied { explicit, .. }) => Shape {
            message: Body::CapitalMessage(if *explicit {
                "User is not authorized to access this resource with an explicit deny in an identity-based policy"
            } else {
                "User is not authorized to access this resource because no identity-based policy allows the execute-api:Invoke action"
            }),
            ..shape(403, "", "AccessDeniedException", "ACCESS_DENIED")
        },
        GatewayError::Denied(Denial::Signature { kind, message }) => {
            let (error_type, response_type) = match kind {
                SignatureFailure::Missing => (
                    "MissingAuthenticationTokenException",
                    "MISSING_AUTHENTICATION_TOKEN",
                ),
                SignatureFailure::Incomplete => ("IncompleteSignatureException", "DEFAULT_4XX"),
                SignatureFailure::UnknownKey => ("AccessDeniedException", "ACCESS_DENIED"),
                SignatureFailure::Invalid => ("InvalidSignatureException", "INVALID_SIGNATURE"),
                SignatureFailure::Expired => ("InvalidSignatureException", "EXPIRED_TOKEN"),
            };
            Shape {
                message: Body::Message(message),
                ..shape(403, "", error_type, response_type)
            }
        }
        GatewayError::Denied(Denial::InvalidApiKey { .. }) => {
            shape(403, "Forbidden", "ForbiddenException", "INVALID_API_KEY")
        }
        GatewayError::Denied(Denial::ConfigurationError { .. }) => Shape {
            message: Body::Null,
            ..shape(
                500,
                "",
                "AuthorizerConfigurationException",
                "AUTHORIZER_CONFIGURATION_ERROR",
            )
        },
        GatewayError::NoRoute => shape(
            403,
            "Missing Authentication Token",
            "MissingAuthenticationTokenException",
            "MISSING_AUTHENTICATION_TOKEN",
        ),
        GatewayError::PayloadTooLarge => shape(
            413,
            "Request Too Long",
            "RequestTooLongException",
            "REQUEST_TOO_LARGE",
        ),
        // A capture (koki-develop/lgtm-generator#10, 2021): that body, with its space, and
        // GatewayResponses did not change it.
        GatewayError::InvocationTooLarge => Shape {
            status: 413,
            message: Body::Verbatim(r#"{"message": "Request Too Long"}"#),
            error_type: "BadRequestException",
            response_type: None,
        },
        GatewayError::UriTooLong => shape(
            414,
            "Request-URI Too Long",
            "BadRequestException",
            "DEFAULT_4XX",
        ),
        GatewayError::HeadersTooLarge => shape(
            431,
            "Request Header Fields Too Large",
            "BadRequestException",
            "DEFAULT_4XX",
        ),
        // A Lambda error or a malformed proxy result (logged as "Malformed Lambda proxy
        // response"): 502, as is a function the local endpoint cannot reach.
        GatewayError::FunctionFailed | GatewayError::FunctionUnreachable => shape(
            502,
            "Internal server error",
            "InternalServerErrorException",
            "DEFAULT_5XX",
        ),
        GatewayError::IntegrationTimeout => shape(
            504,
            "Endpoint request timed out",
            "InternalServerErrorException",
            "INTEGRATION_TIMEOUT",
        ),
        // INTEGRATION_FAILURE answers 500 (LocalStack measured it against AWS: PR #11183; the
        // API's own description of the type says 504).
        GatewayError::IntegrationFailed => shape(
            500,
            "Internal server error",
            "InternalServerErrorException",
            "INTEGRATION_FAILURE",
        ),
        // The gateway cannot serve the route as configured (e.g. its authorizer is missing).
        GatewayError::Internal => shape(
            500,
            "Internal server error",
            "InternalServerErrorException",
            "API_CONFIGURATION_ERROR",
        ),
    }
}

/// A six-character `resourceId`, the same for a resource path every run.
pub(crate) fn resource_id(path: &str) -> String {
    // FNV-1a: stable across runs and platforms, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..6)
        .map(|i| ALPHABET[((hash >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}
