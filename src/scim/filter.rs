//! RFC 7644 §3.4.2.2 filter grammar: a recursive-descent parser with budgets on length, depth and node
//! count, so that no input can exhaust the stack or the CPU.

use std::fmt;

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not` and value paths.
const MAX_DEPTH: usize = 32;
/// Most comparison and logical nodes in one filter.
const MAX_NODES: usize = 256;

/// `[URI ":"] ATTRNAME *1subAttr`, as written (case is kept; comparisons ignore it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses a bare attribute path such as `name.givenName` or `urn:…:User:manager.value`.
    pub fn parse(text: &str) -> Option<AttrPath> {
        if text.is_empty() || !text.chars().all(is_path_char) {
            return None;
        }
        let (urn, rest) = match text.rfind(':') {
            Some(i) => (Some(text[..i].to_string()), &text[i + 1..]),
            None => (None, text),
        };
        if let Some(urn) = &urn {
            if !urn.to_ascii_lowercase().starts_with("urn:") {
                return None;
            }
        }
        let mut parts = rest.splitn(2, '.');
        let name = parts.next().unwrap_or_default();
        let sub = parts.next();
        if !is_attr_name(name) || sub.is_some_and(|s| !is_attr_name(s)) {
            return None;
        }
        Some(AttrPath {
            urn,
            name: name.to_string(),
            sub: sub.map(str::to_string),
        })
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

fn is_attr_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '$')
}

/// Comparison operators of RFC 7644 Table 3 (`pr` is [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn from_keyword(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

/// `compValue`: a JSON literal.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
    Null,
}

impl CompValue {
    /// The value as LDAP would store it: strings as they are, booleans as `TRUE`/`FALSE`.
    pub fn as_text(&self) -> Option<String> {
        match self {
            CompValue::Str(s) => Some(s.clone()),
            CompValue::Num(n) => Some(n.to_string()),
            CompValue::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
            CompValue::Null => None,
        }
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: the inner filter's paths name sub-attributes of `attr`.
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
    },
}

/// Where and why a filter did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

/// Parses a complete filter expression.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(FilterError {
            position: MAX_FILTER_LEN,
            message: format!("filter longer than {MAX_FILTER_LEN} bytes"),
        });
    }
    let mut parser = Parser {
        input,
        pos: 0,
        depth: 0,
        nodes: 0,
    };
    let filter = parser.or_expr(false)?;
    parser.skip_ws();
    if parser.pos < input.len() {
        return Err(parser.error("unexpected trailing input"));
    }
    Ok(filter)
}

/// Parses the inside of a value path (`type eq "work"`), as PATCH paths need.
pub(crate) fn parse_value_filter(input: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser {
        input,
        pos: 0,
        depth: 1,
        nodes: 0,
    };
    let filter = parser.or_expr(true)?;
    parser.skip_ws();
    if parser.pos < input.len() {
        return Err(parser.error("unexpected trailing input"));
    }
    Ok(filter)
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    depth: usize,
    nodes: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, message: impl Into<String>) -> FilterError {
        FilterError {
            position: self.pos,
            message: message.into(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start_matches([' ', '\t', '\n', '\r']);
        self.pos = self.input.len() - trimmed.len();
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("filter nested deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn node(&mut self) -> Result<(), FilterError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.error(format!("filter has more than {MAX_NODES} terms")));
        }
        Ok(())
    }

    /// A keyword followed by a delimiter (space, parenthesis, bracket or end).
    fn keyword(&mut self, word: &str) -> bool {
        let rest = self.rest();
        let matches = rest.len() >= word.len()
            && rest.is_char_boundary(word.len())
            && rest[..word.len()].eq_ignore_ascii_case(word)
            && rest[word.len()..].chars().next().is_none_or(|c| c.is_whitespace() || c == '(');
        if matches {
            self.pos += word.len();
        }
        matches
    }

    fn or_expr(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        let mut left = self.and_expr(in_value_path)?;
        loop {
            self.skip_ws();
            if !self.keyword("or") {
                return Ok(left);
            }
            self.node()?;
            let right = self.and_expr(in_value_path)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
    }

    fn and_expr(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        let mut left = self.unary(in_value_path)?;
        loop {
            self.skip_ws();
            if !self.keyword("and") {
                return Ok(left);
            }
            self.node()?;
            let right = self.unary(in_value_path)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        self.skip_ws();
        if self.keyword("not") {
            self.skip_ws();
            if self.peek() != Some('(') {
                return Err(self.error("expected '(' after 'not'"));
            }
            self.node()?;
            let inner = self.group(in_value_path)?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some('(') {
            return self.group(in_value_path);
        }
        self.attr_expr(in_value_path)
    }

    fn group(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        self.enter()?;
        self.pos += 1;
        let inner = self.or_expr(in_value_path)?;
        self.skip_ws();
        if self.peek() != Some(')') {
            return Err(self.error("expected ')'"));
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(inner)
    }

    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        let start = self.pos;
        let len = self.rest().find(|c: char| !is_path_char(c)).unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error("expected an attribute name"));
        }
        self.pos += len;
        AttrPath::parse(&self.input[start..self.pos]).ok_or(FilterError {
            position: start,
            message: format!("invalid attribute path '{}'", &self.input[start..self.pos]),
        })
    }

    fn attr_expr(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        self.node()?;
        let path = self.attr_path()?;
        if self.peek() == Some('[') {
            if in_value_path {
                return Err(self.error("value paths cannot be nested"));
            }
            if path.sub.is_some() {
                return Err(self.error("a value path applies to an attribute, not a sub-attribute"));
            }
            self.enter()?;
            self.pos += 1;
            let inner = self.or_expr(true)?;
            self.skip_ws();
            if self.peek() != Some(']') {
                return Err(self.error("expected ']'"));
            }
            self.pos += 1;
            self.depth -= 1;
            let filter = if self.peek() == Some('.') {
                // `emails[type eq "work"].value eq "x"`: the trailing comparison joins the bracket filter.
                self.pos += 1;
                let sub = self.attr_path()?;
                if sub.urn.is_some() || sub.sub.is_some() {
                    return Err(self.error("expected a sub-attribute name after ']'"));
                }
                let tail = self.comparison(sub)?;
                Filter::And(Box::new(inner), Box::new(tail))
            } else {
                inner
            };
            return Ok(Filter::ValuePath {
                attr: path,
                filter: Box::new(filter),
            });
        }
        self.comparison(path)
    }

    fn comparison(&mut self, path: AttrPath) -> Result<Filter, FilterError> {
        let before = self.pos;
        self.skip_ws();
        if self.pos == before {
            return Err(self.error("expected a space and an operator"));
        }
        let op_start = self.pos;
        let len = self.rest().find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(self.rest().len());
        let word = &self.input[op_start..op_start + len];
        self.pos += len;
        if word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_keyword(word) else {
            self.pos = op_start;
            return Err(self.error(format!("unknown operator '{word}'")));
        };
        let before = self.pos;
        self.skip_ws();
        if self.pos == before {
            return Err(self.error("expected a space and a value"));
        }
        let value = self.comp_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    /// A quoted string, or a bare word: `true`, `false` and `null` (any case), a JSON number, or else
    /// a string, as Microsoft's test collection sends `userName sw O` and `meta.created gt
    /// 2015-10-10T14:38:21.8617979-07:00` (which then compares as the date-time it spells).
    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
        if self.peek() == Some('"') {
            return self.string();
        }
        let rest = self.rest();
        let len = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"'))
            .unwrap_or(rest.len());
        let word = &rest[..len];
        if word.is_empty() {
            return Err(self.error("expected a value: a quoted string, number, true, false or null"));
        }
        let value = if word.eq_ignore_ascii_case("true") {
            CompValue::Bool(true)
        } else if word.eq_ignore_ascii_case("false") {
            CompValue::Bool(false)
        } else if word.eq_ignore_ascii_case("null") {
            CompValue::Null
        } else {
            match serde_json::from_str::<serde_json::Number>(word) {
                Ok(number) => CompValue::Num(number),
                Err(_) => CompValue::Str(word.to_string()),
            }
        };
        self.pos += len;
        Ok(value)
    }

    /// A JSON string literal, escapes included.
    fn string(&mut self) -> Result<CompValue, FilterError> {
        let rest = self.rest();
        let mut escaped = false;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Err(self.error("unterminated string"));
        };
        let value: String = serde_json::from_str(&rest[..=end]).map_err(|e| self.error(format!("invalid string literal: {e}")))?;
        self.pos += end + 1;
        Ok(CompValue::Str(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn path(s: &str) -> AttrPath {
        AttrPath::parse(s).unwrap_or_else(|| unreachable!("bad test path {s}"))
    }

    fn eq(p: &str, v: &str) -> Filter {
        Filter::Compare {
            path: path(p),
            op: CompareOp::Eq,
            value: CompValue::Str(v.into()),
        }
    }

    #[test]
    fn parses_the_idp_probe() {
        assert_eq!(parse(r#"userName eq "bjensen""#), Ok(eq("userName", "bjensen")));
        assert_eq!(parse(r#"userName EQ "bjensen""#), Ok(eq("userName", "bjensen")));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse(r#"a eq "1" or b eq "2" and c eq "3""#);
        assert_eq!(
            f,
            Ok(Filter::Or(
                Box::new(eq("a", "1")),
                Box::new(Filter::And(Box::new(eq("b", "2")), Box::new(eq("c", "3"))))
            ))
        );
    }

    /// The tree as a compact prefix expression, so that a table of expected shapes stays readable.
    fn shape(f: &Filter) -> String {
        match f {
            Filter::Compare { path, op, value } => {
                let value = match value {
                    CompValue::Str(s) => format!("{s:?}"),
                    CompValue::Num(n) => n.to_string(),
                    CompValue::Bool(b) => b.to_string(),
                    CompValue::Null => "null".into(),
                };
                format!("{op:?}({path} {value})")
            }
            Filter::Present(path) => format!("Pr({path})"),
            Filter::And(a, b) => format!("And({} {})", shape(a), shape(b)),
            Filter::Or(a, b) => format!("Or({} {})", shape(a), shape(b)),
            Filter::Not(a) => format!("Not({})", shape(a)),
            Filter::ValuePath { attr, filter } => format!("{attr}[{}]", shape(filter)),
        }
    }

    #[test]
    fn parses_every_rfc_7644_example_to_the_right_tree() {
        const LM: &str = "meta.lastModified";
        let cases = [
            (r#"userName eq "bjensen""#, r#"Eq(userName "bjensen")"#.to_string()),
            (r#"name.familyName co "O'Malley""#, r#"Co(name.familyName "O'Malley")"#.into()),
            (r#"userName sw "J""#, r#"Sw(userName "J")"#.into()),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
                r#"Sw(urn:ietf:params:scim:schemas:core:2.0:User:userName "J")"#.into(),
            ),
            ("title pr", "Pr(title)".into()),
            (
                r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
                format!(r#"Gt({LM} "2011-05-13T04:42:34Z")"#),
            ),
            (
                r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
                format!(r#"Ge({LM} "2011-05-13T04:42:34Z")"#),
            ),
            (
                r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
                format!(r#"Lt({LM} "2011-05-13T04:42:34Z")"#),
            ),
            (
                r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
                format!(r#"Le({LM} "2011-05-13T04:42:34Z")"#),
            ),
            (
                r#"title pr and userType eq "Employee""#,
                r#"And(Pr(title) Eq(userType "Employee"))"#.into(),
            ),
            (
                r#"title pr or userType eq "Intern""#,
                r#"Or(Pr(title) Eq(userType "Intern"))"#.into(),
            ),
            (
                r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                r#"Eq(schemas "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")"#.into(),
            ),
            (
                r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
                r#"And(Eq(userType "Employee") Or(Co(emails "example.com") Co(emails.value "example.org")))"#.into(),
            ),
            (
                r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
                r#"And(Ne(userType "Employee") Not(Or(Co(emails "example.com") Co(emails.value "example.org"))))"#.into(),
            ),
            (
                r#"userType eq "Employee" and (emails.type eq "work")"#,
                r#"And(Eq(userType "Employee") Eq(emails.type "work"))"#.into(),
            ),
            (
                r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
                r#"And(Eq(userType "Employee") emails[And(Eq(type "work") Co(value "@example.com"))])"#.into(),
            ),
            (
                r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                r#"Or(emails[And(Eq(type "work") Co(value "@example.com"))] ims[And(Eq(type "xmpp") Co(value "@foo.com"))])"#.into(),
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(parse(filter).map(|f| shape(&f)), Ok(expected), "{filter}");
        }
    }

    #[test]
    fn parses_the_forms_of_microsofts_and_oktas_test_collections() {
        let cases = [
            (
                r#"name.FamilyName eq "x" and (emails.Value co "example.com" or emails.Value co "example.org")"#,
                r#"And(Eq(name.FamilyName "x") Or(Co(emails.Value "example.com") Co(emails.Value "example.org")))"#,
            ),
            (r#"userName sw "O""#, r#"Sw(userName "O")"#),
            (
                r#"meta.Created gt "2026-01-01T00:00:00Z""#,
                r#"Gt(meta.Created "2026-01-01T00:00:00Z")"#,
            ),
            (r#"externalId EQ "0a21f0f2""#, r#"Eq(externalId "0a21f0f2")"#),
            (r#"displayName eq "Group1DisplayName""#, r#"Eq(displayName "Group1DisplayName")"#),
            (r#"members[value eq "2819c223"]"#, r#"members[Eq(value "2819c223")]"#),
            (
                r#"emails[type eq "work"].value eq "a@b""#,
                r#"emails[And(Eq(type "work") Eq(value "a@b"))]"#,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D""#,
                r#"Eq(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "R&D")"#,
            ),
            ("active eq true", "Eq(active true)"),
            ("active Eq False", "Eq(active false)"),
            ("x eq null", "Eq(x null)"),
            ("x gt 10.5", "Gt(x 10.5)"),
            (r#"NOT (userName Pr)"#, "Not(Pr(userName))"),
            // Unquoted values, as Microsoft's collection sends them.
            (
                "name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)",
                r#"And(Eq(name.FamilyName "Employee") Or(Co(emails.Value "example.com") Co(emails.Value "example.org")))"#,
            ),
            ("userName sw O", r#"Sw(userName "O")"#),
            (
                "meta.Created gt 2015-10-10T14:38:21.8617979-07:00",
                r#"Gt(meta.Created "2015-10-10T14:38:21.8617979-07:00")"#,
            ),
            ("externalId eq 0a21f0f2", r#"Eq(externalId "0a21f0f2")"#),
            ("members[value eq 2819c223]", r#"members[Eq(value "2819c223")]"#),
            ("x eq -3", "Eq(x -3)"),
            ("active eq TRUE", "Eq(active true)"),
        ];
        for (filter, expected) in cases {
            assert_eq!(parse(filter).map(|f| shape(&f)), Ok(expected.to_string()), "{filter}");
        }
    }

    #[test]
    fn urn_prefix_and_sub_attribute() {
        let p = path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
        assert_eq!(p.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert_eq!(p.name, "manager");
        assert_eq!(p.sub.as_deref(), Some("value"));
    }

    #[test]
    fn value_path_with_trailing_sub_attribute() {
        let f = parse(r#"emails[type eq "work"].value eq "a@b""#);
        assert_eq!(
            f,
            Ok(Filter::ValuePath {
                attr: path("emails"),
                filter: Box::new(Filter::And(Box::new(eq("type", "work")), Box::new(eq("value", "a@b")))),
            })
        );
    }

    #[test]
    fn string_escapes_are_decoded() {
        assert_eq!(parse(r#"userName eq "a\"b\\c\u0041""#), Ok(eq("userName", "a\"b\\cA")));
    }

    #[test]
    fn errors_point_at_the_position() {
        let err = parse(r#"userName xx "a""#).err();
        assert_eq!(err.map(|e| e.position), Some(9));
        assert!(parse(r#"userName eq "open"#).is_err());
        assert!(parse(r#"(userName eq "a""#).is_err());
        assert!(parse(r#"userName eq"#).is_err());
        assert!(parse("").is_err());
        assert!(parse(r#"userName eq "a" garbage"#).is_err());
        assert!(parse(r#"emails[type eq "a"[x eq "b"]]"#).is_err());
    }

    #[test]
    fn budgets_stop_hostile_input() {
        let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
        let wide = vec!["a pr"; 300].join(" or ");
        assert!(parse(&wide).is_err());
        let long = format!(r#"a eq "{}""#, "x".repeat(MAX_FILTER_LEN));
        assert!(parse(&long).is_err());
        assert!(parse("not not not").is_err());
        assert!(parse("\u{1F600} eq 1").is_err());
    }
}
