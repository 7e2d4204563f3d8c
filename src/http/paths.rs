//! Request paths as clients really send them: Microsoft's SCIM test collection asks for
//! `/scim/v2/users` and `/scim/v2/Users/?filter=…`. Endpoint names are matched without case (RFC 7644
//! names them, but attribute names are case-insensitive throughout SCIM and clients carry that over)
//! and a trailing slash is dropped, before routing; ids and everything else stay as sent.

use axum::extract::Request;
use axum::http::Uri;

/// The endpoints under a target's base, as routes spell them.
const ENDPOINTS: [&str; 6] = ["Users", "Groups", "ServiceProviderConfig", "ResourceTypes", "Schemas", "Bulk"];

/// The path routes know for `path`, when it differs: endpoint names in their canonical case, no
/// trailing slash. Only the first two segments after `/scim/v2` are endpoint candidates (the
/// endpoint itself, or the one after a target's name).
pub fn canonical_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix(super::SCIM_BASE)?;
    if !rest.is_empty() && !rest.starts_with('/') {
        return None;
    }
    let trimmed = rest.trim_end_matches('/');
    let mut segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    let mut changed = trimmed.len() != rest.len() && !trimmed.is_empty();
    if let Some(at) = segments
        .iter()
        .take(2)
        .position(|s| ENDPOINTS.iter().any(|e| e.eq_ignore_ascii_case(s)))
    {
        if let Some(canonical) = ENDPOINTS.iter().find(|e| e.eq_ignore_ascii_case(segments[at])) {
            if segments[at] != *canonical {
                segments[at] = canonical;
                changed = true;
            }
        }
    }
    if !changed {
        return None;
    }
    let mut out = super::SCIM_BASE.to_string();
    for segment in segments {
        out.push('/');
        out.push_str(segment);
    }
    Some(out)
}

/// The request with its path made canonical (`canonical_path`), the query kept.
pub fn canonical_request(mut request: Request) -> Request {
    let Some(path) = canonical_path(request.uri().path()) else {
        return request;
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(rebuilt) = path_and_query.parse() {
        parts.path_and_query = Some(rebuilt);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_ignore_case_and_trailing_slashes_go() {
        assert_eq!(canonical_path("/scim/v2/users").as_deref(), Some("/scim/v2/Users"));
        assert_eq!(canonical_path("/scim/v2/Users/").as_deref(), Some("/scim/v2/Users"));
        assert_eq!(canonical_path("/scim/v2/GROUPS/abc/").as_deref(), Some("/scim/v2/Groups/abc"));
        assert_eq!(canonical_path("/scim/v2/acme/schemas").as_deref(), Some("/scim/v2/acme/Schemas"));
        assert_eq!(
            canonical_path("/scim/v2/serviceproviderconfig").as_deref(),
            Some("/scim/v2/ServiceProviderConfig")
        );
        assert_eq!(canonical_path("/scim/v2/Users/users").as_deref(), None, "an id is never touched");
        assert_eq!(canonical_path("/scim/v2/Users/AbC"), None);
        assert_eq!(canonical_path("/scim/v2/Users"), None);
        assert_eq!(canonical_path("/scim/v2"), None);
        assert_eq!(canonical_path("/scim/v2/").as_deref(), None);
        assert_eq!(canonical_path("/readyz"), None);
        assert_eq!(canonical_path("/scim/v20/users"), None);
    }

    #[test]
    fn the_query_stays_as_sent() {
        let request = Request::builder()
            .uri("/scim/v2/users/?filter=userName%20eq%20%22a%22")
            .body(axum::body::Body::empty())
            .unwrap_or_default();
        assert_eq!(
            canonical_request(request).uri().to_string(),
            "/scim/v2/Users?filter=userName%20eq%20%22a%22"
        );
    }
}
