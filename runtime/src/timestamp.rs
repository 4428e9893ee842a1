//! `format: date-time` and `format: date` values: typed, and written back as they came.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use time::format_description::well_known::Rfc3339;
use time::{Date as CivilDate, Month, OffsetDateTime};

use crate::param::ParamValue;

/// A text that is not a valid RFC 3339 timestamp or `YYYY-MM-DD` date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseTimeError {
    what: &'static str,
    text: String,
    reason: String,
}

impl fmt::Display for ParseTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} `{}`: {}", self.what, self.text, self.reason)
    }
}

impl std::error::Error for ParseTimeError {}

/// A point in time with a UTC offset (`format: date-time`, RFC 3339), as the
/// [`time`](https://docs.rs/time) crate's [`OffsetDateTime`] (re-exported as
/// `client_runtime::time`).
///
/// It keeps the text it was parsed from and writes that text back, so a decoded value
/// re-encodes byte for byte whatever the sender's precision or offset style
/// (`2014-01-02T02:20:00Z`, `2014-01-02T02:20:00.000+00:00`); a value made from an
/// [`OffsetDateTime`] is written in RFC 3339. Equality, order and hashing are those of
/// the instant: two texts for the same instant are equal.
///
/// Decoding a text that is not RFC 3339 is a decode error (with its JSON path), never a
/// panic.
#[derive(Clone)]
pub struct Timestamp {
    value: OffsetDateTime,
    text: String,
}

impl Timestamp {
    /// Parses an RFC 3339 timestamp (`2014-01-02T02:20:00Z`).
    ///
    /// # Errors
    ///
    /// [`ParseTimeError`] when `text` is not RFC 3339.
    pub fn parse(text: &str) -> Result<Self, ParseTimeError> {
        Self::parse_owned(text.to_owned())
    }

    fn parse_owned(text: String) -> Result<Self, ParseTimeError> {
        match OffsetDateTime::parse(&text, &Rfc3339) {
            Ok(value) => Ok(Self { value, text }),
            Err(error) => Err(ParseTimeError {
                what: "RFC 3339 timestamp",
                reason: error.to_string(),
                text,
            }),
        }
    }

    /// The instant and offset.
    pub fn to_offset_date_time(&self) -> OffsetDateTime {
        self.value
    }

    /// The text sent or received (RFC 3339).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_timestamp(&self) -> i64 {
        self.value.unix_timestamp()
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(value: OffsetDateTime) -> Self {
        // Formatting an `OffsetDateTime` as RFC 3339 fails only for years outside
        // 0000-9999 or offsets with seconds, which RFC 3339 cannot express; `Display` is
        // the closest text then.
        let text = value.format(&Rfc3339).unwrap_or_else(|_| value.to_string());
        Self { value, text }
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(value: Timestamp) -> Self {
        value.value
    }
}

impl FromStr for Timestamp {
    type Err = ParseTimeError;

    fn from_str(text: &str) -> Result<Self, ParseTimeError> {
        Self::parse(text)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor::<Timestamp>::new("an RFC 3339 timestamp"))
    }
}

impl ParamValue for Timestamp {
    fn to_param(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(&self.text)
    }
}

/// A calendar date (`format: date`, `YYYY-MM-DD`), as the `time` crate's
/// [`Date`](time::Date). It keeps and writes back the text it was parsed from, like
/// [`Timestamp`]; equality and order are the date's.
#[derive(Clone)]
pub struct Date {
    value: CivilDate,
    text: String,
}

impl Date {
    /// Parses a full date (`2024-02-29`).
    ///
    /// # Errors
    ///
    /// [`ParseTimeError`] when `text` is not `YYYY-MM-DD` or not a day of the calendar.
    pub fn parse(text: &str) -> Result<Self, ParseTimeError> {
        Self::parse_owned(text.to_owned())
    }

    fn parse_owned(text: String) -> Result<Self, ParseTimeError> {
        let fail = |reason: String| ParseTimeError {
            what: "date",
            text: text.clone(),
            reason,
        };
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = bytes.get(range)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
        };
        let parsed = (bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-')
            .then(|| Some((digits(0..4)?, digits(5..7)?, digits(8..10)?)))
            .flatten();
        let Some((year, month, day)) = parsed else {
            return Err(fail("expected YYYY-MM-DD".to_owned()));
        };
        let month = u8::try_from(month)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .ok_or_else(|| fail("no such month".to_owned()))?;
        let value = CivilDate::from_calendar_date(year as i32, month, day as u8)
            .map_err(|error| fail(error.to_string()))?;
        Ok(Self { value, text })
    }

    /// The date.
    pub fn to_date(&self) -> CivilDate {
        self.value
    }

    /// The text sent or received.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<CivilDate> for Date {
    fn from(value: CivilDate) -> Self {
        let text = format!(
            "{:04}-{:02}-{:02}",
            value.year(),
            u8::from(value.month()),
            value.day()
        );
        Self { value, text }
    }
}

impl FromStr for Date {
    type Err = ParseTimeError;

    fn from_str(text: &str) -> Result<Self, ParseTimeError> {
        Self::parse(text)
    }
}

impl PartialEq for Date {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Date {}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Date {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}

impl Hash for Date {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({})", self.text)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor::<Date>::new("a YYYY-MM-DD date"))
    }
}

impl ParamValue for Date {
    fn to_param(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(&self.text)
    }
}

/// Types parsed from their own text.
trait ParseText: Sized {
    fn parse_text(text: String) -> Result<Self, ParseTimeError>;
}

impl ParseText for Timestamp {
    fn parse_text(text: String) -> Result<Self, ParseTimeError> {
        Self::parse_owned(text)
    }
}

impl ParseText for Date {
    fn parse_text(text: String) -> Result<Self, ParseTimeError> {
        Self::parse_owned(text)
    }
}

struct TextVisitor<T> {
    expecting: &'static str,
    marker: std::marker::PhantomData<T>,
}

impl<T> TextVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        Self {
            expecting,
            marker: std::marker::PhantomData,
        }
    }
}

impl<T: ParseText> serde::de::Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        T::parse_text(text.to_owned()).map_err(E::custom)
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<T, E> {
        T::parse_text(text).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_their_text_and_compare_by_instant() {
        for text in [
            "2014-01-02T02:20:00Z",
            "2014-01-02T02:20:00.000Z",
            "2014-01-02T03:20:00.123456+01:00",
            "2014-01-02t02:20:00z",
        ] {
            let parsed: Timestamp = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            assert_eq!(
                serde_json::to_string(&parsed).unwrap(),
                format!("\"{text}\"")
            );
        }
        let a = Timestamp::parse("2014-01-02T02:20:00Z").unwrap();
        let b = Timestamp::parse("2014-01-02T03:20:00+01:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.unix_timestamp(), 1_388_629_200);
        let made = Timestamp::from(a.to_offset_date_time());
        assert_eq!(made.as_str(), "2014-01-02T02:20:00Z");
    }

    #[test]
    fn malformed_timestamps_are_errors_with_the_text() {
        for text in ["yesterday", "2014-01-02", "2014-13-02T02:20:00Z", ""] {
            let error = serde_json::from_str::<Timestamp>(&format!("\"{text}\"")).unwrap_err();
            assert!(
                error.to_string().contains("invalid RFC 3339 timestamp"),
                "{error}"
            );
        }
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }

    #[test]
    fn dates() {
        let date: Date = serde_json::from_str("\"2024-02-29\"").unwrap();
        assert_eq!(date.to_date().day(), 29);
        assert_eq!(serde_json::to_string(&date).unwrap(), "\"2024-02-29\"");
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "2024-00-10",
            "20240229",
            "2024-02-29T00:00:00Z",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        let made = Date::from(CivilDate::from_calendar_date(7, Month::March, 1).unwrap());
        assert_eq!(made.as_str(), "0007-03-01");
    }
}
