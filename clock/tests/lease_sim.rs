//! A lease passed among simulated nodes whose clocks are bounded,
//! drifting, stepped and stale, with message delays and crashes. The
//! property: at no true instant do two nodes both act as holder. A control
//! run with naive clocks (each node trusts its own system clock) does find
//! overlaps, so the check can fail.
//!
//! Each node's published clock goes through the real arithmetic
//! ([`Snapshot::interval_at`]): the simulated `serve` publishes snapshots
//! whose offset and frequency errors are within what they claim.

use ptpscope_clock::{Error, Lease, Snapshot, Status, TimeInterval};

const MS: i64 = 1_000_000;
const S: i64 = 1_000_000_000;

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Bounded,
    Drifting,
    Stepped,
    Stale,
}

struct Node {
    kind: Kind,
    /// System clock: t + offset + drift × t + steps; monotonic: c + t +
    /// drift × t.
    offset: f64,
    drift: f64,
    steps: i64,
    mono_base: i64,
    /// What the node's `serve` last published.
    snap: Option<Snapshot>,
    next_sync: i64,
    /// `serve` is down until then (stale records).
    down_until: i64,
    crashed_until: i64,
    /// Paused (a long GC or a stalled VM) until then: keeps what it knows.
    paused_until: i64,
    /// The lease it holds (register version, expiry), as it knows it.
    holds: Option<(u64, i64)>,
    /// Its last view of the register: (version, holder, expiry).
    view: (u64, Option<usize>, i64),
    /// An answer is awaited since then (given up after 100 ms).
    waiting: Option<i64>,
}

impl Node {
    fn real(&self, t: i64) -> i64 {
        t + (self.offset + self.drift * t as f64) as i64 + self.steps
    }
    fn mono(&self, t: i64) -> i64 {
        self.mono_base + t + (self.drift * t as f64) as i64
    }
    fn true_offset(&self, t: i64) -> i64 {
        self.real(t) - t
    }
}

enum Msg {
    /// To the register: replace (version) with this node and expiry.
    Cas {
        from: usize,
        version: u64,
        expiry: i64,
    },
    /// To the register: what is it?
    Read { from: usize },
    /// To a node.
    CasReply {
        to: usize,
        ok: bool,
        version: u64,
        expiry: i64,
    },
    ReadReply {
        to: usize,
        version: u64,
        holder: Option<usize>,
        expiry: i64,
    },
}

/// Puts `m` on the network: delivered 0–20 ms from `t`.
fn send(inflight: &mut Vec<(i64, Msg)>, rng: &mut Rng, t: i64, m: Msg) {
    inflight.push((t + rng.range(0, 20 * MS), m));
}

struct Outcome {
    overlaps: u64,
    handoffs: u64,
    acting_ticks: u64,
    ticks: u64,
    reads: u64,
    read_errors: u64,
    uncontained: u64,
}

fn run(seed: u64, naive: bool) -> Outcome {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let kinds = [
        Kind::Bounded,
        Kind::Drifting,
        Kind::Stepped,
        Kind::Stale,
        Kind::Drifting,
    ];
    let mut nodes: Vec<Node> = kinds
        .iter()
        .map(|&kind| Node {
            kind,
            offset: rng.range(-250 * MS, 250 * MS) as f64,
            drift: rng.range(-100_000, 100_000) as f64 * 1e-9,
            steps: 0,
            mono_base: rng.range(0, 1000 * S),
            snap: None,
            next_sync: rng.range(0, S),
            down_until: 0,
            crashed_until: 0,
            paused_until: 0,
            holds: None,
            view: (0, None, i64::MIN),
            waiting: None,
        })
        .collect();
    let lease_ns = S;
    let tick = MS / 2;
    let end = 600 * S;
    // The register: version, holder, expiry.
    let mut reg: (u64, Option<usize>, i64) = (0, None, i64::MIN);
    let mut inflight: Vec<(i64, Msg)> = Vec::new();
    let mut out = Outcome {
        overlaps: 0,
        handoffs: 0,
        acting_ticks: 0,
        ticks: 0,
        reads: 0,
        read_errors: 0,
        uncontained: 0,
    };
    let mut last_holder = None;
    let mut t = 0;
    while t < end {
        // Deliver what is due.
        let mut i = 0;
        while i < inflight.len() {
            if inflight[i].0 > t {
                i += 1;
                continue;
            }
            let (_, m) = inflight.swap_remove(i);
            // One message in ten is lost.
            if rng.chance(0.1) {
                continue;
            }
            let delay = rng.range(0, 20 * MS);
            match m {
                Msg::Cas {
                    from,
                    version,
                    expiry,
                } => {
                    let ok = reg.0 == version;
                    if ok {
                        reg = (version + 1, Some(from), expiry);
                    }
                    let reply = Msg::CasReply {
                        to: from,
                        ok,
                        version: reg.0,
                        expiry,
                    };
                    inflight.push((t + delay, reply));
                }
                Msg::Read { from } => {
                    let reply = Msg::ReadReply {
                        to: from,
                        version: reg.0,
                        holder: reg.1,
                        expiry: reg.2,
                    };
                    inflight.push((t + delay, reply));
                }
                Msg::CasReply {
                    to,
                    ok,
                    version,
                    expiry,
                } => {
                    let n = &mut nodes[to];
                    n.waiting = None;
                    if ok && t >= n.crashed_until {
                        n.holds = Some((version, expiry));
                        n.view = (version, Some(to), expiry);
                    }
                }
                Msg::ReadReply {
                    to,
                    version,
                    holder,
                    expiry,
                } => {
                    let n = &mut nodes[to];
                    n.waiting = None;
                    if version >= n.view.0 {
                        n.view = (version, holder, expiry);
                    }
                    if n.holds.is_some_and(|h| h.0 < version) && holder != Some(to) {
                        n.holds = None;
                    }
                }
            }
        }
        let mut acting = 0;
        for (id, n) in nodes.iter_mut().enumerate() {
            // The node's serve: publishes every second, within its claims.
            if t >= n.next_sync {
                n.next_sync = t + S;
                if n.kind == Kind::Stale && t >= n.down_until && rng.chance(0.05) {
                    n.down_until = t + rng.range(2 * S, 8 * S);
                }
                if n.kind == Kind::Stepped && rng.chance(0.03) {
                    n.steps += rng.range(-50 * MS, 50 * MS);
                    // Seen at this sync: disrupted for 2 s.
                    n.down_until = t + 2 * S;
                    if let Some(s) = &mut n.snap {
                        s.status = Status::Disrupted;
                    }
                }
                if t >= n.down_until {
                    let bound = match n.kind {
                        Kind::Bounded => 50_000,
                        Kind::Drifting => 200_000,
                        _ => 20_000,
                    };
                    let err = rng.range(-(bound as i64), bound as i64 + 1);
                    let ferr = rng.range(-1000, 1001) as f64;
                    n.snap = Some(Snapshot {
                        mono_ns: n.mono(t),
                        real_ns: n.real(t),
                        offset_ns: n.true_offset(t) + err,
                        freq_ppb: n.drift * 1e9 + ferr,
                        bound_ns: bound,
                        drift_ppb: 2000,
                        valid_ns: 3 * S as u64,
                        status: Status::Synchronized,
                        grandmaster: [0; 8],
                        disruptions: 0,
                        leap: Default::default(),
                    });
                }
            }
            if n.kind != Kind::Bounded && t >= n.crashed_until && rng.chance(1.0 / 120_000.0) {
                n.crashed_until = t + rng.range(0, 5 * S);
                n.holds = None;
                n.waiting = None;
            }
            if t >= n.paused_until && rng.chance(1.0 / 40_000.0) {
                n.paused_until = t + rng.range(0, 1500 * MS);
            }
            if t < n.crashed_until || t < n.paused_until {
                continue;
            }
            if n.waiting.is_some_and(|w| t - w > 100 * MS) {
                n.waiting = None;
            }
            let now: Result<TimeInterval, Error> = if naive {
                let r = n.real(t);
                Ok(TimeInterval {
                    earliest: r,
                    latest: r,
                    status: Status::Synchronized,
                })
            } else {
                match &n.snap {
                    Some(s) => s.interval_at(n.mono(t)),
                    None => Err(Error::Uninitialised),
                }
            };
            out.reads += 1;
            match &now {
                Ok(iv) if !naive && (iv.earliest > t || iv.latest < t) => out.uncontained += 1,
                Err(_) => out.read_errors += 1,
                _ => {}
            }
            if let Some((version, expiry)) = n.holds {
                let lease = Lease { expiry_ns: expiry };
                if now.as_ref().is_ok_and(|iv| lease.holder_may_act(iv)) {
                    acting += 1;
                    if last_holder != Some(id) {
                        out.handoffs += 1;
                        last_holder = Some(id);
                    }
                    // Renew in the last 300 ms.
                    if let Ok(iv) = &now
                        && n.waiting.is_none()
                        && iv.latest > expiry - 300 * MS
                    {
                        n.waiting = Some(t);
                        let expiry = iv.latest + lease_ns;
                        send(
                            &mut inflight,
                            &mut rng,
                            t,
                            Msg::Cas {
                                from: id,
                                version,
                                expiry,
                            },
                        );
                    }
                    continue;
                }
                if now.as_ref().is_ok_and(|iv| iv.latest >= expiry) {
                    n.holds = None;
                }
            }
            if n.waiting.is_some() {
                continue;
            }
            // Not holding: ask the register now and then; take over an
            // expired lease.
            let (version, holder, expiry) = n.view;
            let expired = holder.is_none()
                || now
                    .as_ref()
                    .is_ok_and(|iv| Lease { expiry_ns: expiry }.expired_for_others(iv));
            if let Ok(iv) = &now
                && expired
                && rng.chance(0.05)
            {
                n.waiting = Some(t);
                let expiry = iv.latest + lease_ns;
                send(
                    &mut inflight,
                    &mut rng,
                    t,
                    Msg::Cas {
                        from: id,
                        version,
                        expiry,
                    },
                );
            } else if rng.chance(0.02) {
                n.waiting = Some(t);
                send(&mut inflight, &mut rng, t, Msg::Read { from: id });
            }
        }
        out.ticks += 1;
        if acting > 0 {
            out.acting_ticks += 1;
        }
        if acting > 1 {
            out.overlaps += 1;
        }
        t += tick;
    }
    out
}

fn report(name: &str, o: &Outcome) {
    eprintln!(
        "{name}: {} overlapping ticks, {} handoffs, lease held {:.1} % of the time, {} clock reads ({} errors, {} intervals missing the truth)",
        o.overlaps,
        o.handoffs,
        100.0 * o.acting_ticks as f64 / o.ticks as f64,
        o.reads,
        o.read_errors,
        o.uncontained
    );
}

#[test]
fn bounded_clocks_never_let_two_nodes_hold_the_lease() {
    for seed in 1..=4 {
        let o = run(seed, false);
        report(&format!("seed {seed}, published clocks"), &o);
        assert_eq!(o.uncontained, 0, "an interval missed the truth");
        assert_eq!(o.overlaps, 0, "two holders at once");
        // Not vacuous: the lease changed hands and was mostly held.
        assert!(o.handoffs >= 10, "{}", o.handoffs);
        assert!(o.acting_ticks * 2 > o.ticks, "held too little");
        assert!(
            o.read_errors > 0,
            "stale and disrupted clocks were exercised"
        );
    }
}

#[test]
fn naive_clocks_do_overlap() {
    let overlaps: u64 = (1..=4)
        .map(|seed| {
            let o = run(seed, true);
            report(&format!("seed {seed}, naive clocks"), &o);
            o.overlaps
        })
        .sum();
    assert!(
        overlaps > 0,
        "the control found no overlap: the check cannot fail"
    );
}
