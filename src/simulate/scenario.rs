//! Scenario descriptions: what `ptpscope simulate` builds. Read from TOML
//! (the named scenarios are the files in `scenarios/`, built in).

use serde::Deserialize;

/// How a port measures its path to the master.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Mechanism {
    /// Delay_Req / Delay_Resp between slave and master; E2E TCs.
    #[default]
    E2E,
    /// Pdelay on every link; P2P TCs add the upstream link delay.
    P2P,
}

/// A clock against true time: reading(t) = t + offset(t).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClockSpec {
    /// Offset from true time at the start, ns.
    pub offset_ns: f64,
    /// Frequency error at the start, ppm (1e-6).
    pub drift_ppm: f64,
    /// Random walk of the frequency, ppb per square root of a second.
    pub wander_ppb: f64,
    /// Reads UTC, as a host's CLOCK_REALTIME does: true time (TAI) minus
    /// the scenario's `[utc] offset_s`, and at a leap second the clock
    /// steps back a second (the Linux kernel repeats 23:59:59 when its own
    /// reading reaches midnight). Needs `[utc]`.
    pub utc: bool,
}

/// Packet-delay variation added to a fixed delay, ns.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Pdv {
    #[default]
    None,
    /// Exponential queueing with this mean.
    Exponential { mean_ns: f64 },
    /// Gamma queueing: `shape` (k) and mean (k * scale).
    Gamma { shape: f64, mean_ns: f64 },
}

/// The timescale a grandmaster announces (IEEE 1588-2019 §7.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Timescale {
    /// ARB: ptpTimescale clear, the wire times share the true time's epoch
    /// but claim nothing about it.
    #[default]
    #[serde(rename = "ARB")]
    Arb,
    /// The PTP timescale (TAI): ptpTimescale set; with `[utc]`,
    /// currentUtcOffsetValid and currentUtcOffset, and leap61 before a
    /// leap second (§8.2.4.4, §9.4).
    #[serde(rename = "PTP")]
    Ptp,
}

/// UTC against the true time, which then is TAI (IEEE 1588-2019 §7.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Utc {
    /// TAI − UTC at the start, s (currentUtcOffset: 37 since 2017).
    pub offset_s: i16,
    /// A leap second is inserted at the end of the UTC day in which the
    /// run starts (its midnight must fall inside the run): `offset_s`
    /// grows by 1 then. PTP-timescale grandmasters announce leap61 from
    /// the start (or 12 h before) until the leap.
    #[serde(default)]
    pub leap_second: bool,
    /// With `leap_second`: the second is deleted instead (23:59:59 is
    /// left out, `offset_s` falls by 1), announced as leap59.
    #[serde(default)]
    pub leap59: bool,
}

/// A grandmaster. Grandmasters are listed best first; the next one takes
/// over when the one before falls silent (`stop_s`), after its announce
/// receipt timeout (3 announce intervals).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grandmaster {
    pub clock: ClockSpec,
    /// Falls silent at this time (seconds from the start); never if unset.
    pub stop_s: Option<f64>,
    pub priority1: Option<u8>,
    /// clockClass in its Announce (6: locked to a primary reference).
    pub clock_class: Option<u8>,
    /// The timescale it announces; its clock reads true time (TAI for
    /// "PTP", with `[utc]` giving currentUtcOffset).
    pub timescale: Timescale,
}

/// A link between two nodes of the chain (grandmaster, TCs, slave).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Link {
    /// Mean of the two directions' fixed delays, ns.
    pub fixed_ns: f64,
    /// Master-to-slave minus slave-to-master fixed delay, ns.
    pub asymmetry_ns: f64,
    /// Queueing, drawn per frame and direction.
    pub pdv: Pdv,
    /// Probability that a frame is lost on the link.
    pub loss: f64,
    /// Probability that a frame arrives twice.
    pub duplicate: f64,
    /// Probability that a frame is held back behind later ones.
    pub reorder: f64,
}

/// A transparent clock between two links.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tc {
    /// Smallest residence time, ns.
    pub residence_ns: f64,
    /// Residence variation above it.
    pub pdv: Pdv,
    /// One-step: residence into the Sync (and Delay_Req); two-step: into
    /// the Follow_Up (and Delay_Resp). Two-step needs a two-step master.
    pub one_step: bool,
    /// Forward frames with their source MAC unchanged (the 1588 vs
    /// 802.1Q layering conflict) instead of the egress port's.
    pub keep_source_mac: bool,
    /// The TC's own clock: its drift scales the residence it measures.
    pub clock: ClockSpec,
}

/// Where a capture point sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// At the master-side end of the link.
    Upstream,
    /// At the slave-side end of the link.
    #[default]
    Downstream,
}

/// A capture point: a tap at one end of a link, timestamping with a clock.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Point {
    pub name: String,
    /// Index of the link (0 next to the grandmaster).
    pub link: usize,
    pub side: Side,
    /// The capture clock; unset: the clock of the node at that end.
    pub clock: Option<ClockSpec>,
    /// Capture timestamp resolution, ns (1000 for a microsecond pcap).
    pub resolution_ns: Option<u32>,
}

fn yes() -> bool {
    true
}
fn minus4() -> i8 {
    -4
}
fn one() -> u64 {
    1
}
fn start() -> i64 {
    1_790_000_000
}

/// What an attacker does (IEEE 1588-2019 Annex P), from `start_s` to
/// `end_s` (seconds from the start); the truth file names the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackKind {
    /// Sync and Follow_Up under the grandmaster's port identity, with a
    /// sequenceId progression of their own and timestamps `size_ns` off.
    SpoofedMessages,
    /// Syncs under the grandmaster's port identity, following its own
    /// sequenceIds and time, from the attacker's MAC address.
    SpoofedSource,
    /// A port announcing itself with priority1 0, beside the grandmaster.
    RogueAnnounce,
    /// The same, on for two announce intervals and off for five, by turns.
    GrandmasterFlapping,
    /// Syncs from the attacker's own port at 8 times the rate it advertises.
    MessageFlood,
    /// The grandmaster's Sync and Follow_Up sent again `size_ns` later.
    ReplayedMessages,
    /// Syncs from the attacker's own port with nanoseconds ≥ 10^9.
    InvalidField,
    /// The first link's master-to-slave delay grows by `size_ns`.
    AsymmetryChange,
    /// The grandmaster's clock steps by `size_ns`, once, at `start_s`.
    TimeStep,
}

impl AttackKind {
    /// The finding kind it should raise.
    pub fn name(self) -> &'static str {
        match self {
            AttackKind::SpoofedMessages | AttackKind::SpoofedSource => "spoofed_messages",
            AttackKind::RogueAnnounce => "rogue_announce",
            AttackKind::GrandmasterFlapping => "grandmaster_flapping",
            AttackKind::MessageFlood => "message_flood",
            AttackKind::ReplayedMessages => "replayed_messages",
            AttackKind::InvalidField => "invalid_field",
            AttackKind::AsymmetryChange => "asymmetry_change",
            AttackKind::TimeStep => "time_step",
        }
    }
}

/// An attack on the simulated network.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attack {
    pub kind: AttackKind,
    pub start_s: f64,
    pub end_s: f64,
    /// How far timestamps are off (spoofed), how late copies come
    /// (replayed), the delay added (asymmetry) or the step (time step), ns.
    #[serde(default)]
    pub size_ns: f64,
}

/// A whole simulation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "one")]
    pub seed: u64,
    pub duration_s: f64,
    /// True time of the start, seconds since the epoch (PTP timescale).
    #[serde(default = "start")]
    pub start_unix_s: i64,
    #[serde(default)]
    pub domain: u8,
    #[serde(default)]
    pub delay_mechanism: Mechanism,
    #[serde(default = "yes")]
    pub two_step: bool,
    #[serde(default = "minus4")]
    pub log_sync_interval: i8,
    /// Delay_Req (mean) or Pdelay_Req interval.
    #[serde(default = "minus4")]
    pub log_delay_req_interval: i8,
    #[serde(default)]
    pub log_announce_interval: i8,
    pub grandmasters: Vec<Grandmaster>,
    pub slave: ClockSpec,
    /// Links from the grandmaster to the slave; one more than `tcs`.
    pub links: Vec<Link>,
    #[serde(default)]
    pub tcs: Vec<Tc>,
    /// Capture points; unset: one named `slave` at the slave's end.
    #[serde(default)]
    pub points: Vec<Point>,
    /// An attack, if any.
    #[serde(default)]
    pub attack: Option<Attack>,
    /// UTC against the true time (TAI), for PTP-timescale grandmasters and
    /// clocks that read UTC; none: the true time has no UTC.
    #[serde(default)]
    pub utc: Option<Utc>,
}

/// The named scenarios shipped with ptpscope (`scenarios/*.toml`); the
/// `attack-*` ones put one attack each on a quiet LAN.
pub const NAMED: [(&str, &str); 16] = [
    ("quiet-lan", include_str!("../../scenarios/quiet-lan.toml")),
    (
        "congested-lan",
        include_str!("../../scenarios/congested-lan.toml"),
    ),
    (
        "asymmetric-path",
        include_str!("../../scenarios/asymmetric-path.toml"),
    ),
    ("tc-chain", include_str!("../../scenarios/tc-chain.toml")),
    ("p2p-tc", include_str!("../../scenarios/p2p-tc.toml")),
    (
        "gm-failover",
        include_str!("../../scenarios/gm-failover.toml"),
    ),
    (
        "attack-spoofed-messages",
        include_str!("../../scenarios/attack-spoofed-messages.toml"),
    ),
    (
        "attack-spoofed-source",
        include_str!("../../scenarios/attack-spoofed-source.toml"),
    ),
    (
        "attack-rogue-announce",
        include_str!("../../scenarios/attack-rogue-announce.toml"),
    ),
    (
        "attack-grandmaster-flapping",
        include_str!("../../scenarios/attack-grandmaster-flapping.toml"),
    ),
    (
        "attack-message-flood",
        include_str!("../../scenarios/attack-message-flood.toml"),
    ),
    (
        "attack-replayed-messages",
        include_str!("../../scenarios/attack-replayed-messages.toml"),
    ),
    (
        "attack-invalid-field",
        include_str!("../../scenarios/attack-invalid-field.toml"),
    ),
    (
        "attack-asymmetry-change",
        include_str!("../../scenarios/attack-asymmetry-change.toml"),
    ),
    (
        "attack-time-step",
        include_str!("../../scenarios/attack-time-step.toml"),
    ),
    (
        "tai-leap-second",
        include_str!("../../scenarios/tai-leap-second.toml"),
    ),
];

fn finite_nonneg(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("{what} = {v}: expected a finite value >= 0"))
    }
}

fn probability(what: &str, v: f64) -> Result<(), String> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("{what} = {v}: expected a probability in [0, 1)"))
    }
}

impl Pdv {
    fn check(&self, what: &str) -> Result<(), String> {
        match *self {
            Pdv::None => Ok(()),
            Pdv::Exponential { mean_ns } => finite_nonneg(&format!("{what}.mean_ns"), mean_ns),
            Pdv::Gamma { shape, mean_ns } => {
                finite_nonneg(&format!("{what}.mean_ns"), mean_ns)?;
                if shape.is_finite() && shape > 0.0 {
                    Ok(())
                } else {
                    Err(format!("{what}.shape = {shape}: expected a value > 0"))
                }
            }
        }
    }
}

impl ClockSpec {
    fn check(&self, what: &str) -> Result<(), String> {
        if !(self.offset_ns.is_finite() && self.offset_ns.abs() <= 1e12) {
            return Err(format!("{what}.offset_ns: expected at most 1000 s"));
        }
        if !(self.drift_ppm.is_finite() && self.drift_ppm.abs() <= 1000.0) {
            return Err(format!("{what}.drift_ppm: expected at most 1000 ppm"));
        }
        finite_nonneg(&format!("{what}.wander_ppb"), self.wander_ppb)
    }

    fn check_utc(&self, what: &str, utc: Option<Utc>) -> Result<(), String> {
        if self.utc && utc.is_none() {
            return Err(format!("{what}.utc: a UTC clock needs [utc]"));
        }
        Ok(())
    }
}

const DAY_NS: i64 = 86_400_000_000_000;

impl Utc {
    /// TAI − UTC at the start, ns.
    pub fn offset_ns(&self) -> i64 {
        i64::from(self.offset_s) * 1_000_000_000
    }

    /// The UTC midnight (ns since 1970, UTC) ending the day that holds
    /// true time `t0` (TAI), when a leap second is inserted or deleted
    /// there.
    pub fn leap_midnight_ns(&self, t0: i64) -> Option<i64> {
        self.leap_second
            .then(|| (t0 - self.offset_ns()).div_euclid(DAY_NS) * DAY_NS + DAY_NS)
    }

    /// What the leap second does to TAI − UTC, ns: +1 s inserted, −1 s
    /// deleted (leap59).
    pub fn leap_ns(&self) -> i64 {
        if self.leap59 {
            -1_000_000_000
        } else {
            1_000_000_000
        }
    }

    /// TAI − UTC after the leap second, s.
    pub fn offset_after_s(&self) -> i16 {
        self.offset_s
            .saturating_add(if self.leap59 { -1 } else { 1 })
    }

    /// The true time (TAI) at which UTC steps at the leap second of the
    /// day holding `t0`: the start of 23:59:60, or of the 23:59:59 a
    /// deleted second leaves out.
    pub fn leap_start_ns(&self, t0: i64) -> Option<i64> {
        self.leap_midnight_ns(t0)
            .map(|m| m + self.offset_ns() + self.leap_ns().min(0))
    }
}

impl Scenario {
    /// A named scenario, or a TOML file.
    pub fn load(name_or_file: &str) -> Result<Self, String> {
        if let Some((_, text)) = NAMED.iter().find(|(n, _)| *n == name_or_file) {
            return Self::parse(text, name_or_file);
        }
        let path = std::path::Path::new(name_or_file);
        if path.extension().is_none_or(|e| e != "toml") && !path.exists() {
            let names: Vec<&str> = NAMED.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "{name_or_file}: no such scenario (named: {}; or give a FILE.toml)",
                names.join(", ")
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name_or_file}: {e}"))?;
        Self::parse(&text, name_or_file)
    }

    /// Parses and validates TOML; errors name `origin` and the field.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        s.validate().map_err(|e| format!("{origin}: {e}"))?;
        Ok(s)
    }

    /// Every rule a scenario must follow, with the offending field named.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.duration_s.is_finite() && self.duration_s > 0.0 && self.duration_s <= 86_400.0) {
            return Err(format!(
                "duration_s = {}: expected (0, 86400]",
                self.duration_s
            ));
        }
        if !(0..=1 << 40).contains(&self.start_unix_s) {
            return Err("start_unix_s: expected seconds since 1970 in 48 bits".into());
        }
        for (n, v) in [
            ("log_sync_interval", self.log_sync_interval),
            ("log_delay_req_interval", self.log_delay_req_interval),
            ("log_announce_interval", self.log_announce_interval),
        ] {
            if !(-7..=4).contains(&v) {
                return Err(format!("{n} = {v}: expected -7..=4"));
            }
        }
        if self.grandmasters.is_empty() || self.grandmasters.len() > 4 {
            return Err("grandmasters: expected 1 to 4".into());
        }
        if let Some(u) = self.utc {
            if !(0..=1000).contains(&u.offset_s) {
                return Err(format!("utc.offset_s = {}: expected 0..=1000", u.offset_s));
            }
            if u.leap59 && !u.leap_second {
                return Err(
                    "utc.leap59 = true: it deletes the leap second, so it needs leap_second = true"
                        .into(),
                );
            }
            let t0 = self.start_unix_s * 1_000_000_000;
            if let Some(m) = u.leap_midnight_ns(t0) {
                // 23:59:60 runs from true time m + offset to m + offset + 1 s.
                let end = t0 + (self.duration_s * 1e9) as i64;
                let leap = m + u.offset_ns();
                if leap + 1_000_000_000 >= end {
                    return Err(format!(
                        "utc.leap_second: the UTC midnight after the start is {} s after it, past the end; start_unix_s (TAI) = {} puts it 20 s in",
                        (leap - t0) / 1_000_000_000,
                        (leap - t0) / 1_000_000_000 + self.start_unix_s - 20
                    ));
                }
            }
        }
        for (i, g) in self.grandmasters.iter().enumerate() {
            g.clock.check(&format!("grandmasters[{i}].clock"))?;
            g.clock
                .check_utc(&format!("grandmasters[{i}].clock"), self.utc)?;
            if let Some(s) = g.stop_s {
                finite_nonneg(&format!("grandmasters[{i}].stop_s"), s)?;
            }
        }
        self.slave.check("slave")?;
        self.slave.check_utc("slave", self.utc)?;
        if let Some(a) = &self.attack {
            if !(a.start_s.is_finite()
                && a.end_s.is_finite()
                && 0.0 <= a.start_s
                && a.start_s < a.end_s
                && a.end_s <= self.duration_s)
            {
                return Err(format!(
                    "attack: start_s = {}, end_s = {}: expected 0 <= start_s < end_s <= duration_s",
                    a.start_s, a.end_s
                ));
            }
            if !(a.size_ns.is_finite() && a.size_ns.abs() <= 1e12) {
                return Err("attack.size_ns: expected at most 1000 s".into());
            }
        }
        if self.links.is_empty() || self.links.len() > 8 {
            return Err("links: expected 1 to 8".into());
        }
        if self.tcs.len() + 1 != self.links.len() {
            return Err(format!(
                "tcs: {} transparent clocks need {} links, not {}",
                self.tcs.len(),
                self.tcs.len() + 1,
                self.links.len()
            ));
        }
        for (i, l) in self.links.iter().enumerate() {
            let w = format!("links[{i}]");
            finite_nonneg(&format!("{w}.fixed_ns"), l.fixed_ns)?;
            if !(l.asymmetry_ns.is_finite() && l.asymmetry_ns.abs() <= 2.0 * l.fixed_ns) {
                return Err(format!(
                    "{w}.asymmetry_ns = {}: expected at most twice fixed_ns (no negative delays)",
                    l.asymmetry_ns
                ));
            }
            l.pdv.check(&format!("{w}.pdv"))?;
            probability(&format!("{w}.loss"), l.loss)?;
            probability(&format!("{w}.duplicate"), l.duplicate)?;
            probability(&format!("{w}.reorder"), l.reorder)?;
        }
        for (i, t) in self.tcs.iter().enumerate() {
            let w = format!("tcs[{i}]");
            finite_nonneg(&format!("{w}.residence_ns"), t.residence_ns)?;
            t.pdv.check(&format!("{w}.pdv"))?;
            t.clock.check(&format!("{w}.clock"))?;
            t.clock.check_utc(&format!("{w}.clock"), self.utc)?;
            if !t.one_step && !self.two_step {
                return Err(format!(
                    "{w}: a two-step TC needs a two-step master (two_step = true)"
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        for (i, p) in self.points.iter().enumerate() {
            let w = format!("points[{i}]");
            if p.name.is_empty() || p.name.len() > 64 {
                return Err(format!("{w}.name: expected 1 to 64 characters"));
            }
            if !names.insert(&p.name) {
                return Err(format!("{w}.name: {} given twice", p.name));
            }
            if p.link >= self.links.len() {
                return Err(format!(
                    "{w}.link = {}: there are {} links",
                    p.link,
                    self.links.len()
                ));
            }
            if let Some(c) = &p.clock {
                c.check(&format!("{w}.clock"))?;
                c.check_utc(&format!("{w}.clock"), self.utc)?;
            }
            if p.resolution_ns == Some(0) {
                return Err(format!("{w}.resolution_ns: expected at least 1"));
            }
        }
        Ok(())
    }

    /// The capture points, the default one if none are given.
    pub fn points(&self) -> Vec<Point> {
        if self.points.is_empty() {
            vec![Point {
                name: "slave".into(),
                link: self.links.len() - 1,
                side: Side::Downstream,
                clock: None,
                resolution_ns: None,
            }]
        } else {
            self.points.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_scenario_parses_and_validates() {
        for (name, _) in NAMED {
            let s = Scenario::load(name).unwrap();
            assert_eq!(s.name, name);
        }
    }

    #[test]
    fn errors_name_the_field() {
        let base = include_str!("../../scenarios/quiet-lan.toml");
        let bad = base.replace("loss = 0.0", "loss = 1.5");
        let e = Scenario::parse(&bad, "x.toml").unwrap_err();
        assert!(e.contains("x.toml") && e.contains("links[0].loss"), "{e}");
        let e = Scenario::parse("name = 'a'\nduration_s = 1\nbogus = 2", "y.toml").unwrap_err();
        assert!(e.contains("bogus"), "{e}");
        let e = Scenario::load("no-such-scenario").unwrap_err();
        assert!(e.contains("quiet-lan"), "{e}");
        let leap = include_str!("../../scenarios/tai-leap-second.toml");
        let bad = leap.replace("leap_second = true", "leap59 = true");
        let e = Scenario::parse(&bad, "z.toml").unwrap_err();
        assert!(e.contains("z.toml") && e.contains("utc.leap59"), "{e}");
        let deleted = leap.replace("leap_second = true", "leap_second = true\nleap59 = true");
        let s = Scenario::parse(&deleted, "d.toml").unwrap();
        assert_eq!(
            s.utc.map(|u| (u.leap59, u.leap_ns())),
            Some((true, -1_000_000_000))
        );
    }
}
