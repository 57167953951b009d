//! What links and transparent clocks do to a frame: its departure onto a
//! link (queueing, first in first out unless reordered), its arrival at a
//! node (a TC's residence added to the correctionField as IEEE 1588
//! §10.2 says, a slave's or a responder's answers), and the peer-delay
//! responder of §11.4.

use rand::RngExt;

use super::scenario::Side;
use super::{Dir, Ev, HOP_TYPES, K, Mechanism, Msg, Sim, Sink, interval_ns, split};
use crate::wire::message::{DelayResp, PdelayResp, PdelayRespFollowUp};
use crate::wire::{Body, Correction, MessageType, Timestamp};

impl Sim<'_> {
    pub(super) fn depart(&mut self, t: i64, link: usize, dir: Dir, msg: Msg, sink: &mut dyn Sink) {
        let from = if dir == Dir::Down {
            Side::Upstream
        } else {
            Side::Downstream
        };
        self.capture(link, from, t, &msg, sink);
        let l = self.s.links[link];
        if self.rng.random::<f64>() < l.loss {
            return;
        }
        let half = l.asymmetry_ns / 2.0;
        let fixed = if dir == Dir::Down {
            l.fixed_ns + half + self.attack_delay(link, t)
        } else {
            l.fixed_ns - half
        };
        let d = (fixed + l.pdv.sample(&mut self.rng)).max(0.0) as i64;
        let key = (link, dir == Dir::Down);
        let mut arrival = t + d;
        if self.rng.random::<f64>() < l.reorder {
            // Held back behind what follows, outside the FIFO.
            arrival += 2 * interval_ns(self.s.log_sync_interval);
        } else {
            let last = self.last_arrival.get(&key).copied().unwrap_or(i64::MIN);
            arrival = arrival.max(last.saturating_add(100));
            self.last_arrival.insert(key, arrival);
        }
        let stats = &mut self.link_delays[link];
        let st = if dir == Dir::Down {
            &mut stats.0
        } else {
            &mut stats.1
        };
        st.add(arrival - t);
        self.push(arrival, Ev::Arrive { link, dir, msg });
        if self.rng.random::<f64>() < l.duplicate {
            self.push(arrival + 2_000, Ev::Arrive { link, dir, msg });
        }
    }

    pub(super) fn arrive(
        &mut self,
        t: i64,
        link: usize,
        dir: Dir,
        mut msg: Msg,
        sink: &mut dyn Sink,
    ) {
        let to = if dir == Dir::Down {
            Side::Downstream
        } else {
            Side::Upstream
        };
        self.capture(link, to, t, &msg, sink);
        let s = self.s;
        let node = if dir == Dir::Down { link + 1 } else { link };
        let n_tcs = s.tcs.len();
        let mt = msg.header.message_type;
        if msg.link_local {
            self.peer_delay(t, node, link, msg);
            return;
        }
        if (1..=n_tcs).contains(&node) {
            let tc = node - 1;
            let spec = s.tcs[tc];
            let drawn = spec.residence_ns + spec.pdv.sample(&mut self.rng);
            // The egress port sends in order (first in, first out).
            let key = (usize::MAX - node, dir == Dir::Down);
            let last = self.last_arrival.get(&key).copied().unwrap_or(i64::MIN);
            let depart = (t + drawn as i64).max(last.saturating_add(100));
            self.last_arrival.insert(key, depart);
            let r = (depart - t) as f64;
            let rate = 1.0 + self.tc_clocks[tc].frequency(t);
            let mut added = (r * rate * K as f64).round() as i64;
            if s.delay_mechanism == Mechanism::P2P && dir == Dir::Down && mt == MessageType::SYNC {
                // The upstream link's mean delay, as the TC's Pdelay knows it.
                added += (s.links[link].mean_ns() * K as f64).round() as i64;
            }
            let src = msg.header.source_port_identity;
            let seq = msg.header.sequence_id;
            let mut corrected = 0;
            match mt {
                MessageType::SYNC | MessageType::DELAY_REQ => {
                    if spec.one_step {
                        corrected = added;
                    } else {
                        self.owed
                            .insert((tc, mt == MessageType::SYNC, src, seq), added);
                    }
                }
                MessageType::FOLLOW_UP => {
                    if let Some(a) = self.owed.remove(&(tc, true, src, seq)) {
                        corrected = a;
                    }
                }
                MessageType::DELAY_RESP => {
                    if let Body::DelayResp(b) = msg.body
                        && let Some(a) =
                            self.owed
                                .remove(&(tc, false, b.requesting_port_identity, seq))
                    {
                        corrected = a;
                    }
                }
                _ => {}
            }
            msg.header.correction_field.0 = msg.header.correction_field.0.saturating_add(corrected);
            if let Some(i) = HOP_TYPES.iter().position(|(t, _)| *t == mt) {
                let (res, add) = &mut self.residence[tc][i];
                res.add(r.round() as i64);
                add.add((corrected as f64 / K as f64).round() as i64);
            }
            let next = if dir == Dir::Down { link + 1 } else { link - 1 };
            if !spec.keep_source_mac {
                msg.src = self.port(node, next, t).1;
            }
            self.push(
                depart,
                Ev::Depart {
                    link: next,
                    dir,
                    msg,
                },
            );
            return;
        }
        // The grandmaster answers Delay_Reqs (§11.3.2: t4's fraction of a
        // ns goes into the Delay_Resp's correctionField, subtracted).
        if node == 0 && mt == MessageType::DELAY_REQ {
            let Some(g) = self.active_gm(t) else { return };
            let (ts, frac) = split(self.gm_clocks[g].reading(t));
            let (port, mac) = self.port(0, 0, t);
            let mut h = self.header(
                MessageType::DELAY_RESP,
                port,
                msg.header.sequence_id,
                s.log_delay_req_interval,
            );
            h.correction_field = Correction(msg.header.correction_field.0 - frac);
            let m = self.msg(
                h,
                Body::DelayResp(DelayResp {
                    receive_timestamp: ts,
                    requesting_port_identity: msg.header.source_port_identity,
                }),
                mac,
            );
            let lat = self.rng.random_range(20_000..200_000);
            self.send(t + lat, 0, 0, m);
        }
    }

    /// A Pdelay message reaching `node`: a responder answers requests.
    pub(super) fn peer_delay(&mut self, t: i64, node: usize, link: usize, msg: Msg) {
        if msg.header.message_type != MessageType::PDELAY_REQ {
            return;
        }
        if node == 0 && self.active_gm(t).is_none() {
            return;
        }
        let s = self.s;
        let t2 = self.node_clock(node, t).reading(t);
        let turnaround = self.rng.random_range(10_000..80_000);
        let t3 = self
            .node_clock(node, t + turnaround)
            .reading(t + turnaround);
        let (port, mac) = self.port(node, link, t);
        let req = msg.header.source_port_identity;
        let seq = msg.header.sequence_id;
        let mut h = self.header(MessageType::PDELAY_RESP, port, seq, 0x7f);
        let (t2s, f2) = split(t2);
        let (t3s, f3) = split(t3);
        if s.two_step {
            // Timestamps truncated; their fractions into the follow-up.
            let resp = self.msg(
                h,
                Body::PdelayResp(PdelayResp {
                    request_receipt_timestamp: t2s,
                    requesting_port_identity: req,
                }),
                mac,
            );
            self.send(t + turnaround, node, link, resp);
            let mut fh = self.header(MessageType::PDELAY_RESP_FOLLOW_UP, port, seq, 0x7f);
            fh.correction_field = Correction(msg.header.correction_field.0 + f3 - f2);
            let fu = self.msg(
                fh,
                Body::PdelayRespFollowUp(PdelayRespFollowUp {
                    response_origin_timestamp: t3s,
                    requesting_port_identity: req,
                }),
                mac,
            );
            let lat = self.rng.random_range(10_000..40_000);
            self.send(t + turnaround + lat, node, link, fu);
        } else {
            // One-step: the turnaround itself in the correctionField.
            h.correction_field = Correction(msg.header.correction_field.0 + (t3 - t2) as i64);
            let resp = self.msg(
                h,
                Body::PdelayResp(PdelayResp {
                    request_receipt_timestamp: Timestamp::default(),
                    requesting_port_identity: req,
                }),
                mac,
            );
            self.send(t + turnaround, node, link, resp);
        }
    }
}
