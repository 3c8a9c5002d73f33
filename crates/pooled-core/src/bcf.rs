//! Funding streams and Better Care Fund schemes (docs/rules.md, "Funding streams and
//! schemes"): the streams an agreement declares (each from one partner, with its
//! allocation for the year), what each line takes from them, the scheme a line may be,
//! with its type from the national list of its planning template year, and the spend per
//! scheme, scheme type and stream ([`spend`]), and the fund's conditions checked against
//! the plan and the ledger ([`conditions`]).

pub mod conditions;
pub mod returns;
mod scheme_types;
mod spend;

pub use scheme_types::{SchemeType, SchemeTypeList, SchemeTypeYear};
pub use spend::{BcfSpend, LedgerSpend, SchemeSpend, Spend, StreamSpend, TypeSpend, from_report, planned, spend};

use serde::Deserialize;

use crate::agreement::PartnerIx;
use crate::calendar::FiscalMonth;
use crate::money::Money;
use crate::percent::Percent;

/// Index of a stream in [`crate::agreement::Agreement::streams`].
pub type StreamIx = usize;

/// What kind of money a stream is. The Better Care Fund's streams are set nationally; any
/// other pool may declare its own as `other`. The file writes each as [`StreamKind::key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StreamKind {
    /// The NHS minimum contribution (the CCG's, then the ICB's).
    NhsMinimum,
    /// The council's grant pooled in the fund: the improved Better Care Fund, since
    /// 2025-26 the Local Authority Better Care Grant.
    LocalAuthorityGrant,
    /// The Disabled Facilities Grant (capital).
    DisabledFacilitiesGrant,
    /// Discharge funding, where a year pools it separately.
    Discharge,
    /// A partner's contribution above the minimums.
    Additional,
    Other,
}

impl StreamKind {
    pub const ALL: [StreamKind; 6] = [
        StreamKind::NhsMinimum,
        StreamKind::LocalAuthorityGrant,
        StreamKind::DisabledFacilitiesGrant,
        StreamKind::Discharge,
        StreamKind::Additional,
        StreamKind::Other,
    ];

    /// As the file and the JSON write it.
    pub fn key(self) -> &'static str {
        match self {
            StreamKind::NhsMinimum => "nhs-minimum",
            StreamKind::LocalAuthorityGrant => "local-authority-grant",
            StreamKind::DisabledFacilitiesGrant => "disabled-facilities-grant",
            StreamKind::Discharge => "discharge",
            StreamKind::Additional => "additional",
            StreamKind::Other => "other",
        }
    }

    /// In a reader's words.
    pub fn words(self) -> &'static str {
        match self {
            StreamKind::NhsMinimum => "NHS minimum contribution",
            StreamKind::LocalAuthorityGrant => "local authority grant (improved BCF)",
            StreamKind::DisabledFacilitiesGrant => "Disabled Facilities Grant",
            StreamKind::Discharge => "discharge funding",
            StreamKind::Additional => "additional contribution",
            StreamKind::Other => "other",
        }
    }
}

/// A funding stream: money from one partner, with its allocation for the year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    pub id: String,
    pub name: String,
    /// The partner the money comes from (the key of everything recorded; its successor
    /// may be named in the file).
    pub from: PartnerIx,
    pub kind: StreamKind,
    /// The year's allocation as stated; the lines it funds are what pooled plans with, and
    /// a difference is a warning.
    pub allocation: Money,
    pub clause: Option<String>,
}

/// What a line takes from one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamFunding {
    pub stream: StreamIx,
    pub amount: Money,
}

/// The agreement's `[bcf]` settings: which national list its schemes' types come from,
/// and the figures of the conditions it is checked against ([`conditions`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bcf {
    pub scheme_types: Option<SchemeTypeYear>,
    /// `[bcf.social_care]`: the NHS minimum contribution's required spend on adult social
    /// care.
    pub social_care: Option<Minimum>,
    /// `[bcf.out_of_hospital]`: the minimum for NHS-commissioned out-of-hospital services,
    /// in the years whose framework has one.
    pub out_of_hospital: Option<Minimum>,
    /// `[bcf.dfg]` and `[[bcf.district]]`: a two-tier area's Disabled Facilities Grant
    /// passed on to its district councils.
    pub dfg: Option<DfgToDistricts>,
}

/// A minimum the agreement states: given outright, or as the previous year's figure with
/// an uplift.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minimum {
    /// Exact to the penny ([`uplifted`] for an uplift).
    pub required: Money,
    pub basis: MinimumBasis,
    pub clause: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinimumBasis {
    Given,
    Uplift { previous_year: Money, uplift: Percent },
}

/// The previous year's figure raised by `uplift` percent, exactly to the penny: the
/// product is exact in fractions of a penny, and a fraction is rounded up, so that
/// rounding never lowers a minimum. (Published plans print whole pounds; pooled keeps
/// the pence.) `None` past the largest amount pooled holds.
pub fn uplifted(previous_year: Money, uplift: Percent) -> Option<Money> {
    let hundred = i128::from(crate::percent::hundred(uplift.decimals()));
    let numerator = i128::from(previous_year.pence()) * (hundred + i128::from(uplift.units()));
    // Ceiling of a division by a positive number, for either sign.
    let pence = numerator.div_euclid(hundred) + i128::from(numerator.rem_euclid(hundred) != 0);
    i64::try_from(pence).ok().filter(|p| p.abs() <= crate::money::MAX_PENCE).map(Money::from_pence)
}

/// A two-tier area's Disabled Facilities Grant: the districts it goes to, the line that
/// pays it on, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DfgToDistricts {
    /// The line paying the grant on to the districts (a scheme).
    pub pool: usize,
    pub line: usize,
    /// The months of each district's instalments, in order; every month when the
    /// agreement does not say.
    pub paid_in: Vec<FiscalMonth>,
    /// The agreement's clause on passing the grant on.
    pub clause: Option<String>,
    pub districts: Vec<District>,
}

impl DfgToDistricts {
    /// What the districts are due in all: each one's grant less what it agreed the
    /// council keep.
    pub fn due(&self) -> Money {
        self.districts.iter().map(District::due).sum()
    }
}

/// A district council, the local housing authority that pays the grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct District {
    pub id: String,
    pub name: String,
    /// Its share of the year's Disabled Facilities Grant.
    pub dfg: Money,
    /// What it agreed the council keep, with the clause or record of the agreement.
    pub agreed_retained: Option<Retained>,
}

impl District {
    /// What it is paid: its grant less what it agreed be kept.
    pub fn due(&self) -> Money {
        self.dfg - self.agreed_retained.as_ref().map_or(Money::ZERO, |r| r.amount)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retained {
    pub amount: Money,
    pub clause: String,
}

/// A line that is a scheme of the area's BCF plan. Its name is the line's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheme {
    /// The plan's scheme id (`OX-07`); unique in the agreement.
    pub id: String,
    /// As the year's list spells it.
    pub scheme_type: String,
    pub sub_type: Option<String>,
    pub area_of_spend: AreaOfSpend,
    pub commissioner: Commissioner,
    pub provider: Option<String>,
    pub outputs: Option<Outputs>,
    pub new_or_existing: Option<NewOrExisting>,
}

impl Scheme {
    /// Every term of the scheme on one line, for the terms a variation compares:
    /// `OX-07: Carers Services / Respite services, social care, local authority`.
    pub fn describe(&self) -> String {
        let mut terms = vec![match &self.sub_type {
            Some(sub) => format!("{} / {sub}", self.scheme_type),
            None => self.scheme_type.clone(),
        }];
        terms.push(self.area_of_spend.key().to_string());
        terms.push(self.commissioner.words());
        terms.extend(self.provider.as_ref().map(|p| format!("provider {p}")));
        terms.extend(self.outputs.as_ref().map(|o| format!("outputs {} {}", o.amount, o.unit)));
        terms.extend(self.new_or_existing.map(|n| n.key().to_string()));
        format!("{}: {}", self.id, terms.join(", "))
    }
}

/// The planning template's areas of spend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AreaOfSpend {
    SocialCare,
    CommunityHealth,
    MentalHealth,
    PrimaryCare,
    Acute,
    ContinuingCare,
    Other,
}

impl AreaOfSpend {
    pub const ALL: [AreaOfSpend; 7] = [
        AreaOfSpend::SocialCare,
        AreaOfSpend::CommunityHealth,
        AreaOfSpend::MentalHealth,
        AreaOfSpend::PrimaryCare,
        AreaOfSpend::Acute,
        AreaOfSpend::ContinuingCare,
        AreaOfSpend::Other,
    ];

    /// As the file, the template and the JSON write it: `social care`.
    pub fn key(self) -> &'static str {
        match self {
            AreaOfSpend::SocialCare => "social care",
            AreaOfSpend::CommunityHealth => "community health",
            AreaOfSpend::MentalHealth => "mental health",
            AreaOfSpend::PrimaryCare => "primary care",
            AreaOfSpend::Acute => "acute",
            AreaOfSpend::ContinuingCare => "continuing care",
            AreaOfSpend::Other => "other",
        }
    }

    /// The area `text` names, ignoring case and surrounding spaces.
    pub fn from_key(text: &str) -> Option<AreaOfSpend> {
        let text = text.trim().to_lowercase();
        AreaOfSpend::ALL.into_iter().find(|a| a.key() == text)
    }
}

/// Who commissions a scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commissioner {
    LocalAuthority,
    Nhs,
    /// Both, the NHS's share of it as a percentage (the council's is the rest).
    Joint {
        nhs_share: Percent,
    },
}

impl Commissioner {
    /// As the file and the JSON write it.
    pub fn key(self) -> &'static str {
        match self {
            Commissioner::LocalAuthority => "local-authority",
            Commissioner::Nhs => "nhs",
            Commissioner::Joint { .. } => "joint",
        }
    }

    /// In words: `joint (NHS 60%)`.
    pub fn words(self) -> String {
        match self {
            Commissioner::LocalAuthority => "local authority".into(),
            Commissioner::Nhs => "NHS".into(),
            Commissioner::Joint { nhs_share } => format!("joint (NHS {nhs_share}%)"),
        }
    }
}

/// A scheme's planned outputs: so many of a unit (`1,200` `hours of care`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outputs {
    /// The number as written: a count or a quantity, not money.
    pub amount: String,
    pub unit: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NewOrExisting {
    New,
    Existing,
}

impl NewOrExisting {
    pub fn key(self) -> &'static str {
        match self {
            NewOrExisting::New => "new",
            NewOrExisting::Existing => "existing",
        }
    }
}

#[cfg(test)]
mod tests;
