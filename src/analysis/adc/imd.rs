//! Two tones (SPEC §15): when the spectrum holds two tones within 10 dB of each other and 20
//! dB above everything else (or `--two-tone` says so), the intermodulation products a
//! converter's non-linearity makes of them: f2−f1 and f1+f2 (order 2), 2f1−f2 and 2f2−f1
//! (order 3), folded into 0…fs/2 as it aliases them, each read at its own level above the
//! noise and the tones' skirts, relative to the tones' mean power.

use super::super::peak::strongest_bin;
use super::lobes::{Bins, DETECTED_OVER_NOISE, Noise, Span, Spectrum, db, fold};

/// Two tones are two when within this power ratio of each other (10 dB)…
const TONES_WITHIN: f64 = 10.0;
/// …and each at least this far above the strongest other component (20 dB).
const TONES_ABOVE_REST: f64 = 100.0;

#[derive(Clone, Debug, PartialEq)]
pub struct ImdFigures {
    /// The lower and the upper tone, in (fractional) bins, and their powers (A²).
    pub f1_bin: f64,
    pub f2_bin: f64,
    pub f1_power: f64,
    pub f2_power: f64,
    pub products: Vec<ImdProduct>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImdProduct {
    pub order: u8,
    /// Where it falls, folded, in bins.
    pub bin: f64,
    /// Its power (A²); `None` under the noise, or on DC's or a tone's lobe (not read).
    pub power: Option<f64>,
}

impl ImdFigures {
    /// The mean of the two tones' powers: what products are given relative to (dBc).
    pub fn tones_power(&self) -> f64 {
        (self.f1_power + self.f2_power) / 2.0
    }

    /// A product's level relative to the tones, dB.
    pub fn dbc(&self, product: &ImdProduct) -> Option<f64> {
        product.power.map(|p| db(p / self.tones_power()))
    }

    /// IMD2 or IMD3: the worse product of `order`, dBc.
    pub fn worst_dbc(&self, order: u8) -> Option<f64> {
        self.products
            .iter()
            .filter(|p| p.order == order)
            .filter_map(|p| self.dbc(p))
            .max_by(f64::total_cmp)
    }
}

/// The two tones' figures, or `None` when `s` does not hold two tones (`forced`: when it
/// does not hold two components at all).
pub fn measure(s: &Spectrum, bins: &Bins, floor: f64, forced: bool) -> Option<ImdFigures> {
    let power = s.power;
    let h = s.half_width;
    let tone = |k: usize| -> Option<(f64, f64, Span)> {
        let bin = s.locate(k)?;
        let lobe = s.lobe(k);
        Some((bin, s.tone_power(lobe, bin), lobe))
    };
    let (k1, _) = strongest_bin(power, h)?;
    let (nu1, p1, lobe1) = tone(k1)?;
    let (zone1, _) = s.skirt(lobe1, nu1, p1, floor);
    let dc_lobe = Span { lo: 0, hi: h - 1 };
    let (dc_zone, _) = s.skirt(dc_lobe, 0.0, f64::from(power[0]), floor);
    let strongest_outside = |zones: &[Span]| {
        (h..s.bins())
            .filter(|&k| !dc_zone.contains(k) && !zones.iter().any(|z| z.contains(k)))
            .max_by(|&a, &b| power[a].total_cmp(&power[b]))
    };
    let k2 = strongest_outside(&[zone1])?;
    let (nu2, p2, lobe2) = tone(k2)?;
    let (zone2, _) = s.skirt(lobe2, nu2, p2, floor);
    if !forced {
        let rest = strongest_outside(&[zone1, zone2]).map_or(0.0, |k| {
            s.locate(k)
                .map(|bin| f64::from(power[k]) / s.leakage(k, bin).max(f64::MIN_POSITIVE))
                .unwrap_or(0.0)
        });
        let within = p1.max(p2) <= TONES_WITHIN * p1.min(p2);
        if !within || p1.min(p2) < TONES_ABOVE_REST * rest {
            return None;
        }
    }
    let ((lo, lo_power), (hi, hi_power)) = if nu1 < nu2 {
        ((nu1, p1), (nu2, p2))
    } else {
        ((nu2, p2), (nu1, p1))
    };
    let wanted = [
        (2u8, hi - lo),
        (2, lo + hi),
        (3, 2.0 * lo - hi),
        (3, 2.0 * hi - lo),
    ];
    // Each product's lobe, or none where it falls on DC's or a tone's.
    let lobes: Vec<(u8, f64, Option<Span>)> = wanted
        .iter()
        .map(|&(order, at)| {
            let bin = fold(at, s.n);
            let near = (bin.round() as usize).min(s.bins() - 1);
            let search = Span {
                lo: near.saturating_sub(1),
                hi: (near + 1).min(s.bins() - 1),
            };
            let lobe = strongest_bin(&power[search.lo..=search.hi], 0)
                .map(|(offset, _)| s.lobe(search.lo + offset))
                .filter(|l| !l.overlaps(dc_lobe) && !l.overlaps(lobe1) && !l.overlaps(lobe2));
            (order, bin, lobe)
        })
        .collect();
    // The noise: the band's bins outside the tones, DC, the products and the notches.
    let band = bins.band;
    let excluded = |k: usize| {
        dc_zone.contains(k)
            || zone1.contains(k)
            || zone2.contains(k)
            || bins.notched(k)
            || lobes
                .iter()
                .any(|(_, _, l)| l.is_some_and(|l| l.contains(k)))
    };
    let noise_mean = Noise::measure(s, band, excluded)?.floor;
    let products = lobes
        .into_iter()
        .map(|(order, bin, lobe)| {
            let power = lobe.and_then(|lobe| {
                let skirts: f64 = (lobe.lo..=lobe.hi)
                    .map(|k| {
                        p1 * s.leakage(k, nu1)
                            + p2 * s.leakage(k, nu2)
                            + f64::from(s.power[0]) * s.leakage(k, 0.0)
                    })
                    .sum();
                let noise_held = noise_mean * lobe.len() as f64;
                let held = s.sum(lobe) - noise_held - skirts;
                let model: f64 = (lobe.lo..=lobe.hi).map(|k| s.leakage(k, bin)).sum();
                (held >= DETECTED_OVER_NOISE * noise_held && model > 0.0).then(|| held / model)
            });
            ImdProduct { order, bin, power }
        })
        .collect();
    Some(ImdFigures {
        f1_bin: lo,
        f2_bin: hi,
        f1_power: lo_power,
        f2_power: hi_power,
        products,
    })
}
