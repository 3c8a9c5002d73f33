//! The domain of a section 75 pooled budget. Pure: no files, no network, no clock.
pub mod agreement;
pub mod bcf;
pub mod calendar;
pub mod diagnostic;
pub mod file_format;
pub mod governance;
pub mod ledger;
pub mod money;
pub mod payments;
pub mod percent;
pub mod plan;
pub mod report;
pub mod risk_share;
pub mod savings;
pub mod settlement;
pub mod termination;
pub mod variation;
