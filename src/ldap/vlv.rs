//! The Virtual List View (draft-ietf-ldapext-ldapv3-vlv-09) and Server Side Sort (RFC 2891) controls:
//! the server sorts the matches itself and answers a window of them at any offset, with how many
//! there are, instead of sending every match. OpenLDAP (with the sssvlv overlay), 389 DS and Active
//! Directory offer both.

use bytes::BytesMut;
use ldap3::asn1::{parse_tag, parse_uint, write, ASNTag, Integer, OctetString, Sequence, Tag, TagClass};
use ldap3::controls::{Control, RawControl};

pub const VLV_OID: &str = "2.16.840.1.113730.3.4.9";
const VLV_RESPONSE_OID: &str = "2.16.840.1.113730.3.4.10";
pub const SORT_OID: &str = "1.2.840.113556.1.4.473";

fn critical(ctype: &str, value: Tag) -> RawControl {
    let mut buf = BytesMut::new();
    let val = match write::encode_into(&mut buf, value.into_structure()) {
        Ok(()) => Some(buf.to_vec()),
        Err(_) => None,
    };
    // Critical: a server that ignored either control would answer every match, unsorted and uncounted.
    RawControl {
        ctype: ctype.to_string(),
        crit: true,
        val,
    }
}

fn integer(value: i64) -> Tag {
    Tag::Integer(Integer {
        inner: value,
        ..Default::default()
    })
}

/// Sorts ascending by `attr` (RFC 2891 `SortKeyList` of one key): VLV works on a sorted list.
pub fn sort_by(attr: &str) -> RawControl {
    let key = Tag::Sequence(Sequence {
        inner: vec![Tag::OctetString(OctetString {
            inner: attr.as_bytes().to_vec(),
            ..Default::default()
        })],
        ..Default::default()
    });
    critical(
        SORT_OID,
        Tag::Sequence(Sequence {
            inner: vec![key],
            ..Default::default()
        }),
    )
}

/// A window of `after + 1` entries from the list's `offset`-th (1-based; `beforeCount` 0 and
/// `contentCount` 0: "I do not know the size"), whose answer also carries the list's size.
pub fn window_at(offset: usize, after: usize) -> RawControl {
    let int = |n: usize| integer(i64::try_from(n).unwrap_or(i64::MAX));
    let by_offset = Tag::Sequence(Sequence {
        class: TagClass::Context,
        id: 0,
        inner: vec![int(offset), int(0)],
    });
    critical(
        VLV_OID,
        Tag::Sequence(Sequence {
            inner: vec![int(0), int(after), by_offset],
            ..Default::default()
        }),
    )
}

/// The list's size (`contentCount`) from the server's VLV response control, when it sent one.
pub fn content_count(controls: &[Control]) -> Option<usize> {
    let response = controls.iter().find(|c| c.1.ctype == VLV_RESPONSE_OID)?;
    let (_, tag) = parse_tag(response.1.val.as_deref()?).ok()?;
    let mut fields = tag.expect_constructed()?.into_iter();
    let _target_position = fields.next()?;
    let content_count = fields.next()?.expect_primitive()?;
    let (_, count) = parse_uint(&content_count).ok()?;
    usize::try_from(count).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_sort_key() {
        let control = sort_by("createTimestamp");
        assert_eq!(control.ctype, SORT_OID);
        assert!(control.crit);
        let mut expected = vec![0x30, 0x13, 0x30, 0x11, 0x04, 0x0f];
        expected.extend_from_slice(b"createTimestamp");
        assert_eq!(control.val, Some(expected));
    }

    #[test]
    fn encodes_a_one_entry_window_at_offset_one() {
        let control = window_at(1, 0);
        assert_eq!(control.ctype, VLV_OID);
        assert!(control.crit);
        let expected = vec![
            0x30, 0x0e, // VirtualListViewRequest
            0x02, 0x01, 0x00, // beforeCount 0
            0x02, 0x01, 0x00, // afterCount 0
            0xa0, 0x06, // byOffset [0]
            0x02, 0x01, 0x01, // offset 1
            0x02, 0x01, 0x00, // contentCount 0
        ];
        assert_eq!(control.val, Some(expected));
    }

    #[test]
    fn encodes_a_deep_window() {
        let control = window_at(90_001, 99);
        let expected = vec![
            0x30, 0x10, // VirtualListViewRequest
            0x02, 0x01, 0x00, // beforeCount 0
            0x02, 0x01, 0x63, // afterCount 99
            0xa0, 0x08, // byOffset [0]
            0x02, 0x03, 0x01, 0x5f, 0x91, // offset 90,001
            0x02, 0x01, 0x00, // contentCount 0
        ];
        assert_eq!(control.val, Some(expected));
    }

    fn response(value: Vec<u8>) -> Vec<Control> {
        vec![Control(
            None,
            RawControl {
                ctype: VLV_RESPONSE_OID.into(),
                crit: false,
                val: Some(value),
            },
        )]
    }

    #[test]
    fn reads_the_content_count() {
        // targetPosition 1, contentCount 100000 (0x0186a0), success, a context id.
        let value = vec![
            0x30, 0x10, 0x02, 0x01, 0x01, 0x02, 0x03, 0x01, 0x86, 0xa0, 0x0a, 0x01, 0x00, 0x04, 0x03, 0x61, 0x62, 0x63,
        ];
        assert_eq!(content_count(&response(value)), Some(100_000));
    }

    #[test]
    fn no_count_without_a_well_formed_response() {
        assert_eq!(content_count(&[]), None);
        assert_eq!(content_count(&response(vec![0x30, 0x03, 0x02, 0x01, 0x01])), None);
        assert_eq!(content_count(&response(vec![0xff, 0x00])), None);
        assert_eq!(content_count(&response(Vec::new())), None);
    }
}
