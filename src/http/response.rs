//! SCIM JSON out (`application/scim+json`), SCIM JSON in (either media type), and errors as documents.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::scim::{ScimError, ScimType, CONTENT_TYPE};
use crate::service::ServiceError;

/// A SCIM response body with its status and optional `Location`/`ETag` headers.
pub struct Scim {
    pub status: StatusCode,
    pub body: Value,
}

impl Scim {
    pub fn ok(body: Value) -> Self {
        Scim {
            status: StatusCode::OK,
            body,
        }
    }
}

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let mut response = (self.status, serde_json::to_vec(&self.body).unwrap_or_default()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(location) = self
            .body
            .pointer("/meta/location")
            .and_then(Value::as_str)
            .and_then(|l| HeaderValue::from_str(l).ok())
        {
            headers.insert(header::LOCATION, location);
        }
        if let Some(version) = self
            .body
            .pointer("/meta/version")
            .and_then(Value::as_str)
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::ETAG, version);
        }
        response
    }
}

/// An error on its way out: the RFC 7644 §3.12 document with its status.
pub struct ErrorResponse(pub ScimError);

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        if self.0.status < 500 {
            // What the client sent wrong, in the request's span: the line an admin looks for when an
            // IdP reports a failed provisioning.
            let scim_type = self.0.scim_type.map_or("", |t| t.as_str());
            tracing::info!(status = self.0.status, scim_type, detail = %self.0.detail, "request refused");
        }
        self.into_unlogged_response()
    }
}

impl ErrorResponse {
    /// The response, for a refusal whose caller has logged it already with more to say.
    pub fn into_unlogged_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, serde_json::to_vec(&self.0.to_document()).unwrap_or_default()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ServiceError> for ErrorResponse {
    fn from(err: ServiceError) -> Self {
        let cause = err.to_string();
        let scim: ScimError = err.into();
        if scim.status >= 500 {
            tracing::error!(status = scim.status, error = %cause, "request failed");
        }
        ErrorResponse(scim)
    }
}

impl From<ScimError> for ErrorResponse {
    fn from(err: ScimError) -> Self {
        ErrorResponse(err)
    }
}

/// A JSON request body. `application/scim+json` and `application/json` (or no type) are accepted;
/// anything that is not JSON is 400 `invalidSyntax`, a body over the limit is 413.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ErrorResponse;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        if let Some(media_type) = media_type {
            if !(media_type == CONTENT_TYPE || media_type == "application/json" || media_type.is_empty()) {
                return Err(ErrorResponse(ScimError::new(
                    415,
                    None,
                    format!("unsupported content type '{media_type}': send application/scim+json"),
                )));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ErrorResponse(ScimError::new(413, None, "the request body is too large"))
            } else {
                ErrorResponse(ScimError::bad_request(ScimType::InvalidSyntax, rejection.body_text()))
            }
        })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ErrorResponse(ScimError::bad_request(
                ScimType::InvalidSyntax,
                format!("the body is not valid SCIM JSON: {e}"),
            ))
        })
    }
}
