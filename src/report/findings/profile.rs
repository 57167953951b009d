//! What a domain's profile fixes that the wire shows otherwise, as
//! findings (the README's "Finding kinds" documents each kind).

use super::super::summary::Summary;
use super::super::summary::profiles::fact_text;
use super::{Finding, Severity};
use crate::analysis::profile::Check;

/// The stable name of a profile check's finding.
pub fn kind_name(c: Check) -> &'static str {
    match c {
        Check::Domain => "profile_domain",
        Check::Transport => "profile_transport",
        Check::DelayMechanism => "profile_delay_mechanism",
        Check::MessageRate => "profile_message_rate",
        Check::ClockClass => "profile_clock_class",
        Check::Priority1 => "profile_priority",
        Check::Tlv => "profile_tlv",
    }
}

/// Every profile finding kind: what no clean capture may raise.
pub const PROFILE_KINDS: [&str; 7] = [
    "profile_domain",
    "profile_transport",
    "profile_delay_mechanism",
    "profile_message_rate",
    "profile_clock_class",
    "profile_priority",
    "profile_tlv",
];

/// The profile findings of a summary.
pub fn findings(s: &Summary) -> Vec<Finding> {
    let mut v = Vec::new();
    for p in &s.profiles {
        let subject = format!("domain {} (majorSdoId {})", p.domain, p.major_sdo_id);
        for x in &p.violations {
            let t = &x.tally;
            let point = s.points.get(t.point).map(|p| p.name.as_str());
            v.push(
                Finding::new(
                    kind_name(x.check),
                    Severity::Warning,
                    subject.clone(),
                    format!(
                        "the domain runs {} (from {}), which fixes {}; {} messages show {}",
                        p.name,
                        p.basis.join(", "),
                        x.allowed,
                        t.count,
                        fact_text(x.fact, p.domain)
                    ),
                )
                .count(t.count)
                .clause(x.clause)
                .at(point, None, None)
                .span(Some(t.first_ns), Some(t.last_ns), Some(t.first_frame))
                .figure("domain", f64::from(p.domain)),
            );
        }
    }
    v
}
