//! One request's view of one resource type: the service, that type's mapping and the base URL its
//! resources are shown under, so that the use cases do not pass the mapping and the URL along.

use std::ops::Deref;

use super::error::{Result, ServiceError};
use super::Service;
use crate::mapping::{ResourceKind, ResourceMapping};

#[derive(Clone, Copy)]
pub struct ResourceView<'a> {
    service: &'a Service,
    pub(super) m: &'a ResourceMapping,
    pub(super) base_url: &'a str,
}

impl Service {
    /// The mapping of a resource type; 404 for a type the mapping leaves out.
    pub(super) fn resource(&self, kind: ResourceKind) -> Result<&ResourceMapping> {
        self.mapping
            .resource(kind)
            .ok_or_else(|| ServiceError::NotFound(format!("{} resources are not mapped", kind.name())))
    }

    /// The use cases of resources of `kind`, shown under `base_url`; 404 for a type the mapping
    /// leaves out.
    pub fn view<'a>(&'a self, kind: ResourceKind, base_url: &'a str) -> Result<ResourceView<'a>> {
        Ok(ResourceView {
            service: self,
            m: self.resource(kind)?,
            base_url,
        })
    }
}

/// The view reaches the service's directory and caches as the service itself.
impl Deref for ResourceView<'_> {
    type Target = Service;

    fn deref(&self) -> &Service {
        self.service
    }
}
