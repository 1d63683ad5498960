//! What every response goes through before a provider reads its fields: the size bound, the
//! status, the JSON, and the ApiError body (which some routes send with a 2xx status).

use super::json::{self, read_fields, Fields, Raw, Scalar, Shape, Slot, Words};
use crate::error::{Error, ErrorCode};
use crate::http::{HttpResponse, Millis, MAX_BODY_BYTES};

/// The JSON object a successful response carries, read in one pass into `T`, or the error the
/// response stands for.
///
/// `what` says what was being done ("polling Lensmor email task 321"); it leads the message.
pub(crate) fn read_object<'a, T: Fields<'a> + Default>(
    response: &'a HttpResponse,
    now: Millis,
    what: &str,
) -> Result<T, Error> {
    checked(response, now, what)?;
    let mut fields = T::default();
    let mut answer = Answer {
        fields: &mut fields,
        error_key: Scalar::Absent,
    };
    let shape = json::read(&response.body, &mut answer);
    let error_key = answer.error_key.text().is_some();
    match shape {
        Shape::Object if !error_key => Ok(fields),
        Shape::Object => {
            // A 2xx that is an ApiError is an error, not data.
            let body = json::object::<ApiBody>(&response.body);
            let status = body.as_ref().and_then(ApiBody::status);
            let status = status.unwrap_or(response.status);
            Err(api_error(response, now, what, status, body.as_ref()))
        }
        Shape::NotObject => Err(unreadable(
            response,
            what,
            "the body is JSON but not an object",
        )),
        Shape::NotJson => Err(unreadable(response, what, "the body is not JSON")),
    }
}

/// An answer's fields, and its `errorKey`: an answer with one is an ApiError, a key no success
/// payload of either provider has (so no reader's fields take it).
struct Answer<'f, 'de> {
    fields: &'f mut dyn Fields<'de>,
    error_key: Scalar<'de>,
}

impl<'de> Fields<'de> for Answer<'_, 'de> {
    fn slot(&mut self, key: &str) -> Option<Slot<'_, 'de>> {
        match key {
            "errorKey" => Some(Slot::Scalar(&mut self.error_key)),
            _ => self.fields.slot(key),
        }
    }
}

/// The fields of an ApiError body (`{ code, message, errorKey, traceId, details? }`), and of
/// the NestJS-style `{ message: [..], error }` some proxies answer.
#[derive(Default)]
struct ApiBody<'a> {
    code: Scalar<'a>,
    message: Words,
    error: Words,
    error_key: Scalar<'a>,
    trace_id: Scalar<'a>,
    details: Raw,
}

read_fields!('a, ApiBody<'a> {
    "code" => code, "message" => message, "error" => error, "errorKey" => error_key,
    "traceId" => trace_id, "details" => details,
});

/// Lensmor's `details` of a 422 `LEAD_SELECTION_LIMIT_EXCEEDED` (OpenAPI 0.27
/// `UnprocessableEntity`): `{ requestedCount, limit, selectionMode }`.
#[derive(Default)]
struct SelectionLimit<'a> {
    limit: Scalar<'a>,
}

read_fields!('a, SelectionLimit<'a> { "limit" => limit });

/// The error key of a selection above the account's limit.
const SELECTION_LIMIT: &str = "LEAD_SELECTION_LIMIT_EXCEEDED";

impl ApiBody<'_> {
    /// The HTTP status the body names in its `code`, when that is an error status.
    fn status(&self) -> Option<u16> {
        let code = self.code.number()?;
        (400.0..600.0).contains(&code).then_some(code as u16)
    }

    /// The provider's explanation: Lensmor's `message`; NestJS-style APIs send a list of
    /// messages. Bounded: it is shown to people and logged.
    fn message(&self) -> Option<String> {
        let said = match self.message.0.is_empty() {
            true => &self.error.0,
            false => &self.message.0,
        };
        let said = said.join("; ");
        let said: String = said.trim().chars().take(500).collect();
        (!said.is_empty()).then_some(said.trim_end_matches('.').to_string())
    }
}

/// What a successful answer must pass before any reading: the size bound, no redirect, a 2xx
/// status (else the error the answer stands for), and nesting no deeper than [`MAX_DEPTH`].
fn checked(response: &HttpResponse, now: Millis, what: &str) -> Result<(), Error> {
    if response.body.len() > MAX_BODY_BYTES {
        return Err(Error::protocol(format!(
            "{what}: the response is more than the {MAX_BODY_BYTES} bytes accepted."
        ))
        .with_status(response.status));
    }
    if let Some(error) = redirect_error(response, what) {
        return Err(error);
    }
    if !response.is_success() {
        return Err(error_from_response(response, now, what));
    }
    if nesting_depth(&response.body) > MAX_DEPTH {
        return Err(unreadable(
            response,
            what,
            "the body is nested more than 64 levels deep, which no documented answer is",
        ));
    }
    Ok(())
}

/// No documented answer nests deeper than a handful of levels. Reading JSON walks it
/// recursively, so an answer nested thousands deep (a few KB) would overflow the stack: it is
/// refused by a flat scan before anything walks it.
const MAX_DEPTH: usize = 64;

/// The deepest nesting of `[` and `{` in JSON text, outside strings. A flat scan: no recursion,
/// and it stops counting nothing (it is only compared with [`MAX_DEPTH`]).
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Requests are sent with `redirect: "manual"`: a redirect is never followed, because the
/// runtime would send the API key along to the new address. It arrives as a 3xx, or, in
/// browsers, as status 0 (an "opaque redirect" whose target the page may not see).
fn redirect_error(response: &HttpResponse, what: &str) -> Option<Error> {
    let status = match response.status {
        0 => "a redirect".to_string(),
        300..=399 => format!("a redirect (HTTP {})", response.status),
        _ => return None,
    };
    Some(
        Error::protocol(format!(
            "{what}: the server answered with {status}, which was not followed: requests carry \
             the API key and must not go to another address. Check the base URL."
        ))
        .with_status(response.status),
    )
}

/// The error an unsuccessful response stands for, with the provider's own words when it sent an
/// ApiError body, and a hint about what to do.
fn error_from_response(response: &HttpResponse, now: Millis, what: &str) -> Error {
    // Bounded like a success body: an error page nested thousands deep is read as no JSON.
    let body = (nesting_depth(&response.body) <= MAX_DEPTH)
        .then(|| json::object::<ApiBody>(&response.body))
        .flatten();
    api_error(response, now, what, response.status, body.as_ref())
}

fn api_error(
    response: &HttpResponse,
    now: Millis,
    what: &str,
    status: u16,
    body: Option<&ApiBody>,
) -> Error {
    let code = ErrorCode::from_status(status);
    let error_key = body.and_then(|b| b.error_key.text()).map(str::to_string);
    let trace_id = body
        .and_then(|b| b.trace_id.text())
        .or_else(|| response.request_id())
        .map(str::to_string);
    let retry_after_ms = response.retry_after_ms(now);
    let details = body.and_then(|b| b.details.0.clone());
    let limit = (error_key.as_deref() == Some(SELECTION_LIMIT))
        .then(|| details.as_deref().and_then(json::object::<SelectionLimit>))
        .flatten()
        .and_then(|d| d.limit.number())
        .filter(|n| *n >= 1.0 && n.fract() == 0.0)
        .map(|n| n as u64);
    let said = body.and_then(ApiBody::message);
    let mut message = format!("{what} failed with HTTP {status}");
    if let Some(key) = &error_key {
        message.push_str(&format!(" {key}"));
    }
    if let Some(said) = said {
        message.push_str(&format!(": {said}"));
    }
    message.push_str(". ");
    match limit {
        Some(limit) => message.push_str(&format!(
            "This account takes at most {limit} contacts in one task; nothing was charged. \
             Start the selection in parts of at most {limit}."
        )),
        None => message.push_str(&hint(code, retry_after_ms)),
    }
    Error {
        code,
        message,
        status: Some(status),
        error_key,
        trace_id,
        retry_after_ms,
        field: limit.map(|_| "personnelIds".to_string()),
        details,
        limit,
        not_started: Vec::new(),
    }
}

/// What a person can do about an error of this code.
fn hint(code: ErrorCode, retry_after_ms: Option<u64>) -> String {
    match code {
        ErrorCode::Validation => {
            "The provider refused the input; correct it before trying again.".into()
        }
        ErrorCode::Unauthorized => "Check the API key, or the proxy that adds it.".into(),
        ErrorCode::PaymentRequired => {
            "Not enough credits: top up the balance or select fewer contacts.".into()
        }
        ErrorCode::NotFound => "It does not exist, or is not visible to this API key.".into(),
        ErrorCode::Conflict => "Some of these contacts are already unlocking, or another credit \
                                operation is running: wait for it, then check the contacts' state."
            .into(),
        ErrorCode::RateLimited => match retry_after_ms {
            Some(ms) => format!(
                "Rate limited: wait {} s before trying again.",
                ms.div_ceil(1000)
            ),
            None => "Rate limited: wait before trying again.".into(),
        },
        ErrorCode::Server => "The provider had a server error; try again later.".into(),
        ErrorCode::Network => "The request timed out at the server; try again.".into(),
        ErrorCode::Protocol | ErrorCode::Timeout | ErrorCode::Aborted => {
            "The answer does not match the documented API.".into()
        }
    }
}

fn unreadable(response: &HttpResponse, what: &str, problem: &str) -> Error {
    let content_type = response.header("content-type").unwrap_or("no content type");
    Error::protocol(format!(
        "{what}: {problem} (HTTP {}, {content_type}). A proxy or the provider answered something \
         other than the documented API.",
        response.status
    ))
    .with_status(response.status)
    .with_trace_id(response.request_id().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads an answer whose fields no test wants: what is checked is the error.
    fn object_body(
        response: &HttpResponse,
        now: Millis,
        what: &str,
    ) -> Result<json::Ignored, Error> {
        read_object(response, now, what)
    }

    #[test]
    fn deep_nesting_is_refused_before_it_is_walked() {
        assert_eq!(nesting_depth(r#"{"a":[1,{"b":"[[[{{"}],"c":"\\"}"#), 3);
        let deep = format!("{}{}", "[".repeat(4_400), "]".repeat(4_400));
        let error = object_body(&HttpResponse::new(200, deep), 0, "Polling").unwrap_err();
        assert_eq!(error.code, ErrorCode::Protocol);
        assert!(
            error.message.contains("nested more than 64 levels"),
            "{}",
            error.message
        );
        let fine = format!(r#"{{"x":{}1{}}}"#, "[".repeat(60), "]".repeat(60));
        assert!(object_body(&HttpResponse::new(200, fine), 0, "Polling").is_ok());
    }

    #[test]
    fn redirects_are_errors_that_name_the_status() {
        for (status, words) in [(302, "HTTP 302"), (307, "HTTP 307"), (0, "a redirect")] {
            let response =
                HttpResponse::new(status, "").with_header("location", "https://evil.example/");
            let error = object_body(&response, 0, "Reading the balance").unwrap_err();
            assert_eq!(error.code, ErrorCode::Protocol);
            assert!(
                error.message.contains(words) && error.message.contains("not followed"),
                "{}",
                error.message
            );
            assert!(!error.message.contains("evil.example"));
        }
    }

    const NOW: Millis = 1_700_000_000_000;

    #[test]
    fn api_error_keeps_the_provider_fields() {
        let r = HttpResponse::new(
            401,
            r#"{"code":401,"message":"Invalid API key","errorKey":"INVALID_API_KEY","traceId":"tr-9"}"#,
        );
        let e = object_body(&r, NOW, "Polling Lensmor email task 321").unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthorized);
        assert_eq!(e.status, Some(401));
        assert_eq!(e.error_key.as_deref(), Some("INVALID_API_KEY"));
        assert_eq!(e.trace_id.as_deref(), Some("tr-9"));
        assert!(e.message.starts_with("Polling Lensmor email task 321 failed with HTTP 401 INVALID_API_KEY: Invalid API key."), "{}", e.message);
    }

    /// OpenAPI 0.27 `UnprocessableEntity`: the account's limit is read into the error.
    #[test]
    fn a_selection_above_the_account_limit_names_the_limit() {
        let r = HttpResponse::new(
            422,
            r#"{"code":422,"message":"Selected leads limit exceeded: requested 2001, limit 2000","errorKey":"LEAD_SELECTION_LIMIT_EXCEEDED","details":{"requestedCount":2001,"limit":2000,"selectionMode":"selected"},"traceId":"t-422"}"#,
        );
        let e = object_body(&r, NOW, "Starting the Lensmor email unlock").unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation);
        assert_eq!(
            (e.limit, e.field.as_deref()),
            (Some(2000), Some("personnelIds"))
        );
        assert_eq!(e.trace_id.as_deref(), Some("t-422"));
        assert!(e
            .details
            .as_deref()
            .is_some_and(|d| d.contains(r#""requestedCount":2001"#)));
        assert!(
            e.message
                .contains("at most 2000 contacts in one task; nothing was charged"),
            "{}",
            e.message
        );
        // Another 422, or a limit that is no count, carries no limit.
        for body in [
            r#"{"code":422,"message":"x","errorKey":"OTHER","details":{"limit":5},"traceId":"t"}"#,
            r#"{"code":422,"message":"x","errorKey":"LEAD_SELECTION_LIMIT_EXCEEDED","details":{"limit":-1},"traceId":"t"}"#,
            r#"{"code":422,"message":"x","errorKey":"LEAD_SELECTION_LIMIT_EXCEEDED","details":"limit","traceId":"t"}"#,
        ] {
            let e = object_body(&HttpResponse::new(422, body), NOW, "Starting").unwrap_err();
            assert_eq!(e.limit, None, "{body}");
        }
    }

    #[test]
    fn a_2xx_api_error_is_an_error() {
        let r = HttpResponse::new(
            200,
            r#"{"code":404,"message":"Task not found","errorKey":"TASK_NOT_FOUND","traceId":"t","details":{"taskId":"9"}}"#,
        );
        let e = object_body(&r, NOW, "x").unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(e.status, Some(404));
        assert_eq!(e.details.as_deref(), Some(r#"{"taskId":"9"}"#));
    }

    #[test]
    fn rate_limit_carries_retry_after_and_request_id() {
        let r = HttpResponse::new(
            429,
            r#"{"code":429,"message":"Too many","errorKey":"RATE_LIMIT_EXCEEDED"}"#,
        )
        .with_header("Retry-After", "12")
        .with_header("X-Request-ID", "req-1");
        let e = object_body(&r, NOW, "x").unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert_eq!(e.retry_after_ms, Some(12_000));
        assert_eq!(e.trace_id.as_deref(), Some("req-1"));
        assert!(e.message.contains("wait 12 s"), "{}", e.message);
    }

    #[test]
    fn non_json_bodies_are_protocol_errors() {
        let html = HttpResponse::new(200, "<html>Bad gateway</html>")
            .with_header("content-type", "text/html");
        let e = object_body(&html, NOW, "x").unwrap_err();
        assert_eq!(e.code, ErrorCode::Protocol);
        assert!(e.message.contains("text/html"), "{}", e.message);
        assert_eq!(
            object_body(&HttpResponse::new(200, "[1]"), NOW, "x")
                .unwrap_err()
                .code,
            ErrorCode::Protocol
        );
        // An HTML 502 page is still a server error, by its status.
        assert_eq!(
            object_body(&HttpResponse::new(502, "<html>"), NOW, "x")
                .unwrap_err()
                .code,
            ErrorCode::Server
        );
    }

    #[test]
    fn nest_style_message_lists_are_joined() {
        let r = HttpResponse::new(
            400,
            r#"{"statusCode":400,"message":["linkedin_url must be a URL","type is required"]}"#,
        );
        let e = object_body(&r, NOW, "x").unwrap_err();
        assert!(
            e.message
                .contains("linkedin_url must be a URL; type is required"),
            "{}",
            e.message
        );
    }

    #[test]
    fn huge_bodies_are_refused_unread() {
        let r = HttpResponse::new(200, " ".repeat(MAX_BODY_BYTES + 1));
        assert_eq!(
            object_body(&r, NOW, "x").unwrap_err().code,
            ErrorCode::Protocol
        );
    }
}
