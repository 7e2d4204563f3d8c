//! Active Directory's `objectGUID`: 16 binary bytes that AD shows as a dashed GUID whose first three
//! fields are little-endian (`{00112233-4455-6677-8899-aabbccddeeff}` is stored `33 22 11 00 55 44 77
//! 66 88 99 …`). The gateway shows and accepts the dashed form, and filters by the stored bytes.

use uuid::Uuid;

/// Whether `attr` holds a binary GUID.
pub fn is_guid_attribute(attr: &str) -> bool {
    attr.eq_ignore_ascii_case("objectGUID")
}

/// The dashed, lower-case form of a stored GUID; `None` unless it is 16 bytes.
pub fn to_text(stored: &[u8]) -> Option<String> {
    Uuid::from_slice_le(stored).ok().map(|guid| guid.hyphenated().to_string())
}

/// The stored bytes of a dashed GUID (braces and case accepted); `None` when it is not one.
pub fn to_stored(text: &str) -> Option<[u8; 16]> {
    Uuid::parse_str(text).ok().map(|guid| guid.to_bytes_le())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_three_fields_are_little_endian() {
        let stored = [
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        ];
        assert_eq!(to_text(&stored).as_deref(), Some("00112233-4455-6677-8899-aabbccddeeff"));
        assert_eq!(to_stored("{00112233-4455-6677-8899-AABBCCDDEEFF}"), Some(stored));
        assert_eq!(to_text(&stored[..15]), None);
        assert_eq!(to_stored("not-a-guid"), None);
    }
}
