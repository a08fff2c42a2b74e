//! `AWS_IAM` authorization: the request must carry a Signature Version 4 signature for
//! `execute-api` made with credentials the local API knows (`--iam-access-key-id` /
//! `--iam-secret-access-key`, by default the environment's `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY`, as the aws CLI uses them). The signature is computed again with AWS's
//! own signer (`aws-sigv4`) over exactly the headers the client signed, and compared. Locally any
//! valid signature by known credentials may call: no IAM policies are evaluated.
//!
//! Refusals as a REST API answers them (the knowledge center's "troubleshoot 403 Forbidden" and
//! "signature mismatch" pages): no signature, `403 Missing Authentication Token`; a malformed
//! `Authorization`, `IncompleteSignatureException`, the value hashed as AWS words it today
//! (awslabs/time-addressable-media-store#8, 2025; older captures echo it in clear); an unknown
//! access key, `The security token included in the request is invalid.`; a wrong signature or
//! scope, `InvalidSignatureException`; a signature more than 15 minutes off, `Signature expired`.
//! HTTP APIs answer each with `403 {"message":"Forbidden"}` (chosen: their answers are not
//! documented). The caller's user id (`caller`, `user`, `callerId`, `userId`) is the access key
//! id: a local run has no IAM to ask.

use std::{
    borrow::Cow,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::{
    http_request::{SignableBody, SignableRequest, SigningSettings, sign},
    sign::v4::SigningParams,
};
use aws_smithy_runtime_api::client::identity::Identity;
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use time::{PrimitiveDateTime, macros::format_description};

use super::{AuthRequest, Denial, Grant, SignatureFailure};
use crate::event::{AuthorizerContext, Caller, IamContext};

/// How far a request's signing time may be from now.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Credentials the local API accepts signatures from.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Who the caller is, for `requestContext.identity` / `authorizer.iam`.
    pub account_id: String,
    pub user_arn: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret or the token.
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("user_arn", &self.user_arn)
            .finish_non_exhaustive()
    }
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

/// Verifies the request's signature for `service` in `region` (`execute-api` in the gateway;
/// tests use AWS's published test-suite vectors, signed for `service`).
pub fn authorize(
    request: &AuthRequest<'_>,
    credentials: &[Credentials],
    region: &str,
    service: &str,
) -> Result<Grant, Denial> {
    let header = match request.headers.get("authorization") {
        None => {
            return Err(failure(
                SignatureFailure::Missing,
                "Missing Authentication Token",
            ));
        }
        Some(value) => value
            .to_str()
            .map_err(|_| incomplete("the Authorization header is not text"))?,
    };
    let parsed = parse(header)?;
    if parsed.service != service {
        return Err(failure(
            SignatureFailure::Invalid,
            format!("Credential should be scoped to correct service: '{service}'. "),
        ));
    }
    if parsed.region != region {
        return Err(failure(
            SignatureFailure::Invalid,
            "Credential should be scoped to a valid region. ",
        ));
    }
    let amz_date = request
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        })?;
    let signed_at = parse_amz_date(amz_date)
        .ok_or_else(|| incomplete("Date must be in ISO-8601 'basic format'."))?;
    if !amz_date.starts_with(parsed.date) {
        return Err(failure(
            SignatureFailure::Invalid,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
        ));
    }
    let now = UNIX_EPOCH + Duration::from_secs(request.now);
    let skew = now
        .duration_since(signed_at)
        .or_else(|_| signed_at.duration_since(now))
        .unwrap_or_default();
    if skew > MAX_SKEW {
        return Err(failure(
            SignatureFailure::Expired,
            format!(
                "Signature expired: {amz_date} is now earlier or later than 15 minutes from the request time."
            ),
        ));
    }
    let token = request
        .headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    let Some(known) = credentials
        .iter()
        .find(|c| c.access_key_id == parsed.access_key_id && c.session_token.as_deref() == token)
    else {
        return Err(failure(
            SignatureFailure::UnknownKey,
            "The security token included in the request is invalid.",
        ));
    };
    let expected =
        signature(request, &parsed, known, signed_at, region, service).ok_or_else(|| {
            failure(
                SignatureFailure::Invalid,
                "The request signature we calculated does not match the signature you provided.",
            )
        })?;
    if expected != parsed.signature {
        return Err(failure(
            SignatureFailure::Invalid,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ));
    }
    let caller = Caller {
        access_key: known.access_key_id.clone(),
        account_id: known.account_id.clone(),
        caller: known.access_key_id.clone(),
        user: known.access_key_id.clone(),
        user_arn: known.user_arn.clone(),
    };
    Ok(Grant {
        context: Some(AuthorizerContext::Iam {
            iam: IamContext::of(&caller),
        }),
        caller: Some(caller),
        ..Grant::default()
    })
}

fn failure(kind: SignatureFailure, message: impl Into<Cow<'static, str>>) -> Denial {
    Denial::Signature {
        kind,
        message: message.into(),
    }
}

fn incomplete(message: &'static str) -> Denial {
    failure(SignatureFailure::Incomplete, message)
}

fn parse(header: &str) -> Result<Authorization<'_>, Denial> {
    let Some(rest) = header.strip_prefix("AWS4-HMAC-SHA256 ") else {
        // API Gateway names the offending value hashed, never in clear.
        let hashed = STANDARD.encode(Sha256::digest(header.as_bytes()));
        return Err(failure(
            SignatureFailure::Incomplete,
            format!(
                "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '{hashed}'."
            ),
        ));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", value)) => credential = Some(value),
            Some(("SignedHeaders", value)) => signed_headers = Some(value),
            Some(("Signature", value)) => signature = Some(value),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !value {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(failure(
            SignatureFailure::Incomplete,
            missing.trim_end().to_owned(),
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(incomplete(
            "Credential should have the form <access key>/<date>/<region>/<service>/aws4_request.",
        ));
    };
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

/// `20150830T123600Z`.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let parsed = PrimitiveDateTime::parse(
        text,
        format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .ok()?
    .assume_utc();
    let seconds = u64::try_from(parsed.unix_timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// The signature `known` would have made for this request (`None`: the request cannot be
/// signed, e.g. an unparsable URI).
fn signature(
    request: &AuthRequest<'_>,
    parsed: &Authorization<'_>,
    known: &Credentials,
    signed_at: SystemTime,
    region: &str,
    service: &str,
) -> Option<String> {
    let identity: Identity = AwsCredentials::new(
        &known.access_key_id,
        &known.secret_access_key,
        known.session_token.clone(),
        None,
        "local-api-gateway",
    )
    .into();
    let mut settings = SigningSettings::default();
    // Exactly the headers the client signed, no more (the signer's default leaves some out).
    settings.excluded_headers = None;
    let params = SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(signed_at)
        .settings(settings)
        .build()
        .ok()?
        .into();
    let headers: Vec<(&str, &str)> = parsed
        .signed_headers
        .iter()
        .filter(|name| !matches!(**name, "x-amz-security-token"))
        .flat_map(|name| {
            request
                .headers
                .get_all(*name)
                .iter()
                .filter_map(move |value| value.to_str().ok().map(|v| (*name, v)))
        })
        .collect();
    // The URI's host is a placeholder: aws-sigv4 signs the Host header the client signed, and
    // would take the URI's only for a client that signed none (SigV4 requires `host` signed).
    let query = if request.raw_query.is_empty() {
        String::new()
    } else {
        format!("?{}", request.raw_query)
    };
    let uri = format!("http://localhost{}{query}", request.full_path);
    // The payload hash is the body's own, whatever x-amz-content-sha256 claims (a claim that
    // differs, when signed, fails the comparison); UNSIGNED-PAYLOAD leaves the body out.
    let body = match request.headers.get("x-amz-content-sha256") {
        Some(declared) if declared == "UNSIGNED-PAYLOAD" => SignableBody::UnsignedPayload,
        _ => SignableBody::Bytes(request.body),
    };
    let signable = SignableRequest::new(request.method, uri, headers.into_iter(), body).ok()?;
    let output = sign(signable, &params).ok()?;
    Some(output.signature().to_owned())
}
