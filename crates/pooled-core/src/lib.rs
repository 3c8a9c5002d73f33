//! The domain of a section 75 pooled budget. Pure: no files, no network, no clock.
pub mod calendar;
pub mod diagnostic;
pub mod money;
pub mod percent;
