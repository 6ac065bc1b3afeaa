//! The well-known types the messages use (`google.protobuf.Timestamp` and `Duration`), with the
//! proto3 canonical JSON mapping.
//!
//! `Duration` is pbjson-types' (`"3600s"`). `Timestamp` is this module's own: pbjson-types writes
//! it with a `+00:00` offset, where the mapping asks for `Z` and 0, 3, 6 or 9 fractional digits
//! (`2025-12-04T00:00:00.500Z`), as protobuf's printers in other languages write it.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
pub use pbjson_types::{Duration, FieldMask};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `google.protobuf.Timestamp`: seconds and nanoseconds since the Unix epoch, in UTC.
#[derive(Clone, Copy, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z, from 0001-01-01 to 9999-12-31.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second, 0 to 999,999,999.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl ::prost::Name for Timestamp {
    const NAME: &'static str = "Timestamp";
    const PACKAGE: &'static str = "google.protobuf";
}

impl Timestamp {
    /// The time, if it is one: nanos in range and the year within what RFC 3339 can write.
    pub fn to_datetime(&self) -> Option<DateTime<Utc>> {
        let nanos = u32::try_from(self.nanos)
            .ok()
            .filter(|n| *n < 1_000_000_000)?;
        // Years 1 to 9999: what RFC 3339 can write.
        DateTime::from_timestamp(self.seconds, nanos)
            .filter(|_| (-62_135_596_800..=253_402_300_799).contains(&self.seconds))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let time = self.to_datetime().ok_or_else(|| {
            serde::ser::Error::custom(format!(
                "timestamp {}s {}ns is outside 0001-01-01 to 9999-12-31",
                self.seconds, self.nanos
            ))
        })?;
        serializer.serialize_str(&time.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Rfc3339;
        impl Visitor<'_> for Rfc3339 {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time such as 2025-12-04T00:00:00Z")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                let time = DateTime::parse_from_rfc3339(text).map_err(E::custom)?;
                let time = time.with_timezone(&Utc);
                Ok(Timestamp {
                    seconds: time.timestamp(),
                    nanos: time.timestamp_subsec_nanos() as i32,
                })
            }
        }
        deserializer.deserialize_str(Rfc3339)
    }
}
