//! The page frame (GOV.UK Design System template: skip link, header, service navigation,
//! footer) and the small pieces every page uses: money, links, error summaries.

use maud::{DOCTYPE, Markup, html};
use pooled_core::agreement::Agreement;
use pooled_core::money::Money;
use pooled_store::{AgreementYear, AuditHead};

use crate::access::role_label;
use crate::assets;
use crate::auth::{Identity, masked_csrf};
use crate::scope;

pub const SERVICE_NAME: &str = "Section 75 pooled budgets";

/// The section of the service a page belongs to, marked in the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The agreements a person acts in, and a partner's view across them.
    Agreements,
    Deadlines,
    Overview,
    /// The funding streams and schemes.
    Bcf,
    RiskShare,
    Settlement,
    WhatIf,
    Forecasts,
    Metrics,
    Imports,
    Payments,
    Variations,
    Board,
    Audit,
}

/// The navigation: links for the agreement's year being looked at, if any, and who is
/// signed in.
pub struct Nav {
    scope: Option<AgreementYear>,
    /// Whether the agreement's year declares funding streams or schemes, whose page is
    /// then in its navigation.
    streams_or_schemes: bool,
    current: Option<Section>,
    signed_in: Option<SignedIn>,
}

/// The header's "signed in as" and its sign-out form.
struct SignedIn {
    display_name: String,
    role: &'static str,
    csrf_token: String,
}

impl Nav {
    /// For a page of the agreement's year `scope`, whose agreement is `agreement`.
    pub fn new(who: &Identity, scope: &AgreementYear, agreement: &Agreement, current: Section) -> Nav {
        Nav {
            scope: Some(scope.clone()),
            streams_or_schemes: agreement.declares_streams_or_schemes(),
            current: Some(current),
            signed_in: Some(SignedIn::of(who)),
        }
    }

    /// For a page of an agreement's year that has no version loaded yet.
    pub fn not_loaded(who: &Identity, scope: &AgreementYear, current: Section) -> Nav {
        Nav { scope: Some(scope.clone()), current: Some(current), ..Nav::signed_in(who) }
    }

    /// For a signed-in page outside any agreement: the list of agreements, a partner's
    /// view across them, the deadlines, the audit log.
    pub fn signed_in(who: &Identity) -> Nav {
        Nav { scope: None, streams_or_schemes: false, current: None, signed_in: Some(SignedIn::of(who)) }
    }

    /// As [`Nav::signed_in`], `current` marked.
    pub fn outside(who: &Identity, current: Section) -> Nav {
        Nav { current: Some(current), ..Nav::signed_in(who) }
    }

    /// For the sign-in page and errors.
    pub fn none() -> Nav {
        Nav { scope: None, streams_or_schemes: false, current: None, signed_in: None }
    }
}

impl SignedIn {
    fn of(who: &Identity) -> SignedIn {
        SignedIn {
            display_name: who.user.display_name.clone(),
            role: role_label(who.user.role),
            csrf_token: who.csrf_token.as_deref().map(masked_csrf).unwrap_or_default(),
        }
    }
}

/// The hidden field that carries the session's CSRF token, masked, in every form that writes.
pub fn csrf_field(who: &Identity) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(who.csrf_token.as_deref().map(masked_csrf).unwrap_or_default()); }
}

/// A whole page. `title` is the page's own title (the browser's title adds the service);
/// `breadcrumbs` are (text, href) from the list of agreements down; a page of an
/// agreement's year given none has the way to that year's overview.
pub fn page(title: &str, nav: &Nav, breadcrumbs: &[(String, String)], content: Markup) -> Markup {
    let to_agreement = match &nav.scope {
        Some(at) if breadcrumbs.is_empty() => scope::breadcrumbs(at),
        _ => Vec::new(),
    };
    let breadcrumbs = if breadcrumbs.is_empty() { &to_agreement[..] } else { breadcrumbs };
    let items: Vec<(Section, &str, String)> = match &nav.scope {
        Some(at) => [
            Some((Section::Overview, "Overview", scope::agreement_href(at))),
            nav.streams_or_schemes.then(|| (Section::Bcf, "Streams and schemes", scope::href(at, "/bcf"))),
            Some((Section::RiskShare, "Risk share", scope::href(at, "/risk-share"))),
            Some((Section::Settlement, "Settlement", scope::href(at, "/settlement"))),
            Some((Section::WhatIf, "What if", scope::href(at, "/what-if"))),
            Some((Section::Forecasts, "Forecasts", scope::href(at, "/forecasts"))),
            Some((Section::Metrics, "Metrics", scope::href(at, "/metrics"))),
            Some((Section::Imports, "Import ledger", scope::href(at, "/imports/new"))),
            Some((Section::Payments, "Payments", scope::href(at, "/payments"))),
            Some((Section::Variations, "Variations", scope::href(at, "/variations"))),
            Some((Section::Board, "Board", scope::href(at, "/board"))),
            Some((Section::Audit, "Audit log", "/audit".to_string())),
        ]
        .into_iter()
        .flatten()
        .collect(),
        None if nav.signed_in.is_some() => vec![
            (Section::Agreements, "Agreements", "/".to_string()),
            (Section::Deadlines, "Deadlines", "/deadlines".to_string()),
            (Section::Audit, "Audit log", "/audit".to_string()),
        ],
        None => vec![],
    };
    html! {
        (DOCTYPE)
        html lang="en" class="govuk-template" {
            head {
                meta charset="utf-8";
                title { (title) " – " (SERVICE_NAME) }
                meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                meta name="theme-color" content="#1d70b8";
                link rel="icon" type="image/svg+xml" href=(assets::url("icon.svg"));
                link rel="stylesheet" href=(assets::url("govuk-frontend.min.css"));
                link rel="stylesheet" href=(assets::url("app.css"));
            }
            body class="govuk-template__body" {
                a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link" { "Skip to main content" }
                header class="govuk-template__header" {
                    div class="govuk-generic-header" {
                        div class="govuk-generic-header__container govuk-width-container" {
                            div class="govuk-generic-header__logo" {
                                a href="/" class="govuk-generic-header__homepage-link" { "pooled" }
                            }
                            @if let Some(who) = &nav.signed_in {
                                div class="app-signed-in" {
                                    span class="app-signed-in__name" { (who.display_name) " (" (who.role) ")" }
                                    a class="app-signed-in__link" href="/account/tokens" { "API tokens" }
                                    form method="post" action="/logout" class="app-signed-in__form" {
                                        input type="hidden" name="csrf_token" value=(who.csrf_token);
                                        button type="submit" class="app-link-button" { "Sign out" }
                                    }
                                }
                            }
                        }
                    }
                    section class="govuk-service-navigation" aria-label="Service information" data-module="govuk-service-navigation" {
                        div class="govuk-width-container" {
                            div class="govuk-service-navigation__container" {
                                span class="govuk-service-navigation__service-name" {
                                    a href="/" class="govuk-service-navigation__link" { (SERVICE_NAME) }
                                }
                                @if !items.is_empty() {
                                nav aria-label="Menu" class="govuk-service-navigation__wrapper" {
                                    button type="button" class="govuk-service-navigation__toggle govuk-js-service-navigation-toggle" aria-controls="navigation" hidden { "Menu" }
                                    ul class="govuk-service-navigation__list" id="navigation" {
                                        @for (section, text, href) in &items {
                                            @if nav.current == Some(*section) {
                                                li class="govuk-service-navigation__item govuk-service-navigation__item--active" {
                                                    a class="govuk-service-navigation__link" href=(href) aria-current="page" {
                                                        strong class="govuk-service-navigation__active-fallback" { (text) }
                                                    }
                                                }
                                            } @else {
                                                li class="govuk-service-navigation__item" {
                                                    a class="govuk-service-navigation__link" href=(href) { (text) }
                                                }
                                            }
                                        }
                                    }
                                }
                                }
                            }
                        }
                    }
                }
                div class="govuk-width-container" {
                    @if !breadcrumbs.is_empty() {
                        nav class="govuk-breadcrumbs" aria-label="Breadcrumb" {
                            ol class="govuk-breadcrumbs__list" {
                                @for (text, href) in breadcrumbs {
                                    li class="govuk-breadcrumbs__list-item" { a class="govuk-breadcrumbs__link" href=(href) { (text) } }
                                }
                            }
                        }
                    }
                    main class="govuk-main-wrapper" id="main-content" { (content) }
                }
                footer class="govuk-footer" {
                    div class="govuk-width-container" {
                        div class="govuk-footer__meta" {
                            div class="govuk-footer__meta-item govuk-footer__meta-item--grow" {
                                p class="govuk-body-s" {
                                    "pooled: the system of record for section 75 pooled budgets. Figures are exact to the penny; "
                                    "each rule applied cites its clause of the agreement, or names the rule where the agreement gives none."
                                }
                            }
                        }
                    }
                }
                script type="module" src=(assets::url("app.js")) data-govuk-frontend=(assets::url("govuk-frontend.min.js")) {}
            }
        }
    }
}

/// `£1,234.56`, and `(£1,234.56)` for a negative amount, as finance reports show money.
pub fn pounds(m: Money) -> String {
    let grouped = m.abs().to_report_string();
    if m.is_negative() { format!("(£{grouped})") } else { format!("£{grouped}") }
}

/// A value for a path segment or query string: every byte but the unreserved ones
/// percent-encoded, since ids in an agreement file may hold anything.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The GOV.UK error summary: each (field id, message) links to its field.
pub fn error_summary(errors: &[(String, String)]) -> Markup {
    html! {
        div class="govuk-error-summary" data-module="govuk-error-summary" {
            div role="alert" {
                h2 class="govuk-error-summary__title" { "There is a problem" }
                div class="govuk-error-summary__body" {
                    ul class="govuk-list govuk-error-summary__list" {
                        @for (field, message) in errors {
                            li { a href={ "#" (field) } { (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// The green banner saying what was just saved.
pub fn saved_banner(message: &str) -> Markup {
    html! {
        div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
            aria-labelledby="saved-title" data-module="govuk-notification-banner" id="saved" {
            div class="govuk-notification-banner__header" {
                h2 class="govuk-notification-banner__title" id="saved-title" { "Saved" }
            }
            div class="govuk-notification-banner__content" {
                p class="govuk-notification-banner__heading" { (message) }
            }
        }
    }
}

/// Big figures at the top of a page: (label, amount), an over- or underspend coloured.
pub fn key_figures(figures: &[(&str, Money, bool)]) -> Markup {
    html! {
        ul class="app-figures" {
            @for (label, amount, is_variance) in figures {
                @let class = match (*is_variance, amount.pence().signum()) {
                    (true, 1) => "app-figure--over",
                    (true, -1) => "app-figure--under",
                    _ => "",
                };
                li class=(class) {
                    span class="app-figure__label" { (label) }
                    span class="app-figure__value" { (pounds(*amount)) }
                }
            }
        }
    }
}

/// The agreement's clause for a rule, in brackets after text that names the rule; nothing
/// where the agreement gives none (the text's own words name the rule).
pub fn cited(clause: Option<&str>) -> Markup {
    html! { @if let Some(c) = clause { " (" (c) ")" } }
}

/// The variance convention, said once near each table that shows variances.
/// The audit log's head as of the figures on the page: printed with them (the pack and
/// statements on paper too), so that a reader can later check that the log of the
/// changes behind them is unchanged. The hash is given whole: a shortened one could be
/// matched by trying edits until its first digits agree.
pub fn audit_head(head: &AuditHead) -> Markup {
    html! {
        p class="govuk-body-s app-audit-head" id="audit-head" {
            (pooled_app::HEAD_LABEL) " as of these figures: " code { (head) } ". Keep it: checked with "
            code { "pooled audit verify --head" } " or on the audit log page, it proves later that the record "
            "of every change up to it is unchanged."
        }
    }
}

pub fn variance_hint() -> Markup {
    html! {
        p class="govuk-hint" {
            "Variance is outturn less budget: a positive figure is an overspend, one in (brackets) an underspend."
        }
    }
}
