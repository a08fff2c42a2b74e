//! JSON responses and the errors that turn themselves into one.

use lambda_http::{
    Body, Response,
    http::{HeaderValue, StatusCode, header},
};
use serde::Serialize;

use crate::claims::AuthError;

/// Serializes `body` as the JSON response. A body that cannot be serialized becomes a 500, so a
/// response is always produced.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response<Body> {
    match serde_json::to_string(body) {
        Ok(text) => with_json_body(status, text),
        Err(err) => {
            tracing::error!(error = %err, "response body could not be serialized");
            ApiError::Internal.into_response()
        }
    }
}

fn with_json_body(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Every way a request can fail. Client errors say what kind of failure it was; details stay in
/// the log.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("unauthorized: {0}")]
    Unauthorized(#[from] AuthError),
    #[error("no route for this path")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        let message = match self {
            Self::Unauthorized(_) => "Unauthorized",
            Self::NotFound => "Not Found",
            Self::MethodNotAllowed { .. } => "Method Not Allowed",
            Self::Internal => "Internal Server Error",
        };
        // Built by hand (no serializer involved) so that the error path itself cannot fail.
        let mut response = with_json_body(status, format!(r#"{{"message":"{message}"}}"#));
        if let Self::MethodNotAllowed { allow } = self {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Unserializable;

    impl Serialize for Unserializable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("refuses to serialize"))
        }
    }

    #[test]
    fn a_body_that_fails_to_serialize_becomes_a_generic_500() {
        let response = json_response(StatusCode::OK, &Unserializable);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()["content-type"], "application/json");
        let Body::Text(text) = response.body() else {
            panic!("expected a text body");
        };
        let body: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"message": "Internal Server Error"})
        );
    }
}
