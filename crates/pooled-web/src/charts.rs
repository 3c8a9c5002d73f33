//! Charts as inline SVG drawn here, with no chart library: a pool's cumulative budget,
//! actual and forecast by month, its forecast variance as reported month by month, and a
//! metric's plan against its actual period by period. Amounts stay integer pence and
//! figures exact decimals; only pixel positions are computed in floating point, and every
//! figure a reader sees comes from the exact ones.

use maud::{Markup, html};
use pooled_core::metrics::{Decimal, Figure, PeriodStanding};
use pooled_core::money::Money;

const WIDTH: i64 = 640;
const HEIGHT: i64 = 280;
const LEFT: i64 = 72;
const RIGHT: i64 = 12;
const TOP: i64 = 12;
const BOTTOM: i64 = 30;

/// A vertical scale from `lo` to `hi` (pence, or a figure's ten-thousandths: a whole
/// number of `step`s each side of 0).
struct Scale {
    lo: i64,
    hi: i64,
    step: i64,
}

impl Scale {
    /// Covers every value and zero in about four steps of 1, 2 or 5 times a power of ten,
    /// and at least `least_step`.
    fn covering(values: impl Iterator<Item = i64>, least_step: i64) -> Scale {
        let (mut lo, mut hi) = (0i64, 0i64);
        for v in values {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let step = nice_step(((hi - lo) / 4).max(least_step));
        Scale { lo: lo.div_euclid(step) * step, hi: -((-hi).div_euclid(step)) * step, step }
    }

    /// The pixel row of an amount.
    fn y(&self, pence: i64) -> f64 {
        let plot = (HEIGHT - TOP - BOTTOM) as f64;
        TOP as f64 + (self.hi - pence) as f64 * plot / (self.hi - self.lo).max(1) as f64
    }

    fn ticks(&self) -> impl Iterator<Item = i64> + '_ {
        (0..).map(move |i| self.lo + i * self.step).take_while(move |v| *v <= self.hi)
    }
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `raw` pence.
fn nice_step(raw: i64) -> i64 {
    let mut magnitude = 1i64;
    while magnitude.saturating_mul(10) <= raw {
        magnitude *= 10;
    }
    [1, 2, 5, 10].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10 * magnitude)
}

/// An axis label: `£187.1m`, `£450k`, `£12`; negatives in brackets.
pub fn short_money(m: Money) -> String {
    let p = m.pence().unsigned_abs();
    let text = if p >= 100_000_000 {
        let tenths = (p + 5_000_000) / 10_000_000;
        format!("£{}.{}m", tenths / 10, tenths % 10)
    } else if p >= 100_000 {
        format!("£{}k", (p + 50_000) / 100_000)
    } else {
        format!("£{}", (p + 50) / 100)
    };
    if m.is_negative() { format!("({text})") } else { text }
}

/// The pixel column of the end of month `k` (0 is the start of the year).
fn month_end_x(k: u32) -> f64 {
    LEFT as f64 + f64::from(k) * (WIDTH - LEFT - RIGHT) as f64 / 12.0
}

/// The months M1 to M12 along the bottom, each under its middle.
fn month_labels() -> Vec<(f64, String)> {
    (1..=12u32).map(|k| ((month_end_x(k - 1) + month_end_x(k)) / 2.0, format!("M{k}"))).collect()
}

/// The grid, each tick labelled by `label`, and `x_labels` (pixel column, text) along the
/// bottom.
fn frame(scale: &Scale, label: impl Fn(i64) -> String, x_labels: &[(f64, String)]) -> Markup {
    html! {
        @for v in scale.ticks() {
            @let y = scale.y(v);
            line class=(if v == 0 { "axis" } else { "grid" }) x1=(LEFT) x2=(WIDTH - RIGHT) y1=(px(y)) y2=(px(y)) {}
            text x=(LEFT - 6) y=(px(y + 4.0)) text-anchor="end" { (label(v)) }
        }
        @for (x, text) in x_labels {
            text x=(px(*x)) y=(HEIGHT - 8) text-anchor="middle" { (text) }
        }
    }
}

fn money_label(pence: i64) -> String {
    short_money(Money::from_pence(pence))
}

/// Pixels to one decimal: enough for a crisp line, and short markup.
fn px(v: f64) -> String {
    format!("{v:.1}")
}

fn polyline(class: &str, points: &[(u32, i64)], scale: &Scale) -> Markup {
    let points: Vec<String> =
        points.iter().map(|(k, v)| format!("{},{}", px(month_end_x(*k)), px(scale.y(*v)))).collect();
    html! { polyline class=(class) points=(points.join(" ")) {} }
}

/// The cumulative chart: `budget` is the cumulative budget at the end of each month M1
/// to M12, `actual` the cumulative actual for the months reported, and `forecast` the
/// path from the last actual to the forecast outturn at M12.
pub fn cumulative(id: &str, title: &str, budget: &[Money; 12], actual: &[Money], forecast: &[(u32, Money)]) -> Markup {
    let amounts = budget.iter().chain(actual).chain(forecast.iter().map(|(_, m)| m));
    let scale = Scale::covering(amounts.map(|m| m.pence()), 100);
    let from_zero = |values: &[Money]| -> Vec<(u32, i64)> {
        std::iter::once((0, 0)).chain(values.iter().zip(1u32..).map(|(m, k)| (k, m.pence()))).collect()
    };
    let forecast: Vec<(u32, i64)> = forecast.iter().map(|(k, m)| (*k, m.pence())).collect();
    let description = format!(
        "Budget for the year {}; actual to date {}; forecast outturn {}.",
        crate::layout::pounds(budget[11]),
        crate::layout::pounds(actual.last().copied().unwrap_or_default()),
        crate::layout::pounds(forecast.last().map_or(Money::ZERO, |(_, p)| Money::from_pence(*p)))
    );
    html! {
        figure class="app-chart" {
            figcaption class="govuk-heading-s" id={ (id) "-title" } { (title) }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-labelledby={ (id) "-title " (id) "-desc" } {
                desc id={ (id) "-desc" } { (description) }
                (frame(&scale, money_label, &month_labels()))
                @if forecast.len() > 1 { (polyline("forecast", &forecast, &scale)) }
                @if !actual.is_empty() { (polyline("actual", &from_zero(actual), &scale)) }
                // Last, so that it shows where the actual runs on budget.
                (polyline("budget", &from_zero(budget), &scale))
            }
            ul class="app-key" {
                li { span class="budget" {} "Budget (cumulative, from the plan's profiles)" }
                li { span class="actual" {} "Actual (cumulative)" }
                li { span class="forecast" {} "Forecast to the outturn" }
            }
        }
    }
}

/// Bars of the forecast variance as reported in each month: up and red for an overspend,
/// down and green for an underspend.
pub fn variance(id: &str, title: &str, by_month: &[(u32, Money)]) -> Markup {
    let scale = Scale::covering(by_month.iter().map(|(_, m)| m.pence()), 100);
    let band = (WIDTH - LEFT - RIGHT) as f64 / 12.0;
    html! {
        figure class="app-chart" {
            figcaption class="govuk-heading-s" id={ (id) "-title" } { (title) }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-labelledby={ (id) "-title " (id) "-desc" } {
                desc id={ (id) "-desc" } {
                    @for (k, m) in by_month { "M" (k) ": " (crate::layout::pounds(*m)) ". " }
                }
                (frame(&scale, money_label, &month_labels()))
                @for (k, m) in by_month {
                    @let (y0, y1) = (scale.y(0), scale.y(m.pence()));
                    rect class=(if m.is_negative() { "under" } else { "over" })
                        x=(px(month_end_x(k - 1) + band * 0.2)) width=(px(band * 0.6))
                        y=(px(y0.min(y1))) height=(px((y1 - y0).abs().max(1.0))) {
                        title { "M" (k) ": " (crate::layout::pounds(*m)) }
                    }
                }
            }
            ul class="app-key" {
                li { span class="over" {} "Overspend forecast" }
                li { span class="under" {} "Underspend forecast" }
            }
        }
    }
}

/// The ten-thousandths of a figure: every figure's exact value on one integer scale.
const FIGURE_SCALE: u8 = pooled_core::metrics::decimal::MAX_SCALE;

fn ten_thousandths(d: Decimal) -> i64 {
    let factor = 10i64.pow(u32::from(FIGURE_SCALE.saturating_sub(d.scale())));
    d.units().saturating_mul(factor)
}

fn figure_label(v: i64) -> String {
    Decimal::new(v, FIGURE_SCALE).map_or_else(String::new, |d| d.normalized().grouped())
}

/// A metric's plan (dashed) against its actual (a line through its points) period by
/// period. A period whose actual is "data not available" is marked by a hollow square on
/// the axis, not drawn as zero; a period with no actual entered is left out.
pub fn plan_actual(id: &str, title: &str, standings: &[PeriodStanding]) -> Markup {
    let value = |f: Option<Figure>| f.and_then(Figure::value).map(ten_thousandths);
    let scale = Scale::covering(standings.iter().flat_map(|s| [value(s.plan), value(s.actual)]).flatten(), 1);
    let band = (WIDTH - LEFT - RIGHT) as f64 / standings.len().max(1) as f64;
    let x = |i: usize| LEFT as f64 + (i as f64 + 0.5) * band;
    // Every label where there are a few periods; a quarter's first week where there are 52.
    let every = if standings.len() > 12 { 13 } else { 1 };
    let x_labels: Vec<(f64, String)> =
        standings.iter().enumerate().step_by(every).map(|(i, s)| (x(i), s.period.to_string())).collect();
    let points = |of: fn(&PeriodStanding) -> Option<Figure>| -> Vec<String> {
        standings
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some(format!("{},{}", px(x(i)), px(scale.y(value(of(s))?)))))
            .collect()
    };
    let (plan, actual) = (points(|s| s.plan), points(|s| s.actual));
    let shown = |f: Option<Figure>| f.map_or_else(|| "none entered".to_string(), |f| f.to_string());
    let said = |s: &PeriodStanding| {
        format!("{}: plan {}, actual {} ({}).", s.period, shown(s.plan), shown(s.actual), s.status.words())
    };
    let reported: Vec<&PeriodStanding> = standings.iter().filter(|s| s.actual.is_some()).collect();
    html! {
        figure class="app-chart" id=(id) {
            figcaption class="govuk-heading-s" id={ (id) "-title" } { (title) }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-labelledby={ (id) "-title " (id) "-desc" } {
                desc id={ (id) "-desc" } {
                    @if reported.is_empty() { "No actual entered yet. " }
                    @for s in &reported { (said(s)) " " }
                }
                (frame(&scale, figure_label, &x_labels))
                @if plan.len() > 1 { polyline class="plan" points=(plan.join(" ")) {} }
                @if actual.len() > 1 { polyline class="actual" points=(actual.join(" ")) {} }
                @for (i, s) in standings.iter().enumerate() {
                    @match s.actual {
                        Some(Figure::Value(v)) => {
                            circle class="actual-point" cx=(px(x(i))) cy=(px(scale.y(ten_thousandths(v)))) r="4" {
                                title { (said(s)) }
                            }
                        }
                        Some(Figure::NotAvailable) => {
                            rect class="not-available" x=(px(x(i) - 5.0)) y=(px(scale.y(0) - 5.0)) width="10" height="10" {
                                title { (said(s)) }
                            }
                        }
                        None => {}
                    }
                }
            }
            ul class="app-key" {
                li { span class="plan" {} "Plan" }
                li { span class="actual" {} "Actual" }
                li { span class="not-available" {} "Data not available (not a zero)" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        for (raw, step) in [(1, 1), (3, 5), (7, 10), (12, 20), (4_677_514_050, 5_000_000_000)] {
            assert_eq!(nice_step(raw), step, "raw {raw}");
        }
    }

    #[test]
    fn the_scale_covers_every_value_and_zero() {
        let s = Scale::covering([-150, 1_000].into_iter(), 100);
        assert!(s.lo <= -150 && s.hi >= 1_000 && s.lo % s.step == 0 && s.hi % s.step == 0);
        assert!(s.ticks().any(|v| v == 0));
    }

    #[test]
    fn axis_labels_are_short() {
        let m = |p| short_money(Money::from_pence(p));
        assert_eq!(m(18_710_056_200), "£187.1m");
        assert_eq!(m(45_000_000), "£450k");
        assert_eq!(m(-1_200), "(£12)");
        assert_eq!(m(0), "£0");
    }
}
