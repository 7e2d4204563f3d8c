//! "Did you mean …?" for a mistyped name: the known name nearest to it by edit distance (a swap of two
//! neighbouring letters counts as one edit), when one is near enough to be what was meant.

/// The name among `known` nearest to `name` (compared without case), when at most about a third of
/// its letters differ; ties go to the name first in alphabetical order, so that the answer does not
/// depend on the order names come in.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = name.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(1);
    known
        .into_iter()
        .filter(|k| !k.eq_ignore_ascii_case(name))
        .map(|k| (strsim::osa_distance(&wanted, &k.to_lowercase()), k))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, k)| k)
}

/// ` (did you mean X?)` for the nearest known name, or nothing.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, known).map(|k| format!(" (did you mean {k}?)")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_name_is_suggested_and_a_far_one_is_not() {
        let known = ["telephoneNumber", "mobile", "title", "mail"];
        assert_eq!(nearest("telephonNumber", known), Some("telephoneNumber"));
        assert_eq!(nearest("TELEPHONENUMBR", known), Some("telephoneNumber"));
        assert_eq!(nearest("titel", known), Some("title"));
        assert_eq!(nearest("shoeSize", known), None);
        assert_eq!(nearest("mail", known), None, "the name itself is no suggestion");
        assert_eq!(
            did_you_mean("phoneNumber", ["phoneNumbers", "emails"]),
            " (did you mean phoneNumbers?)"
        );
        assert_eq!(did_you_mean("x", ["phoneNumbers"]), "");
    }

    #[test]
    fn ties_do_not_depend_on_the_order() {
        assert_eq!(nearest("cm", ["cn", "co"]), nearest("cm", ["co", "cn"]));
    }
}
