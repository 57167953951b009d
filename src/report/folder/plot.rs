//! A small figure model and its drawing with plotters, to PNG and SVG
//! alike. The model is what the report's tests inspect: each figure's
//! panels, their layers and how many points each carries.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, RGBColor, register_font};

/// PNG size: width, and height per panel plus room for title and notes.
pub const WIDTH: u32 = 1000;
pub const PANEL_HEIGHT: u32 = 320;
const TITLE_HEIGHT: u32 = 40;
const NOTE_HEIGHT: u32 = 20;

const FONT: &str = "sans-serif";

/// Notes that start so are drawn as findings (in colour).
pub const FINDING: &str = "TC finding: ";
// Font sizes are even: plotters places each glyph at half the size plus its
// pixel-rounded top, truncated, so an odd size shifts some glyphs (the
// period) a pixel off the baseline.

/// The palette, colour-blind safe (Okabe–Ito), then greys.
const PALETTE: [RGBColor; 9] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // green
    RGBColor(213, 94, 0),    // vermilion
    RGBColor(204, 121, 167), // purple
    RGBColor(86, 180, 233),  // sky
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),       // black
    RGBColor(150, 150, 150), // grey
];

pub const BLUE: usize = 0;
pub const ORANGE: usize = 1;
pub const GREEN: usize = 2;
pub const RED: usize = 3;
pub const PURPLE: usize = 4;
pub const SKY: usize = 5;
pub const BLACK_: usize = 7;
pub const GREY: usize = 8;

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    Line,
    Dots,
    Crosses,
    /// A filled band between `points` (lower) and `upper`.
    Band,
    /// Histogram bars of the given width, from y = 0.
    Bars(f64),
    /// Vertical lines at each point's x, across the panel.
    VLines,
    /// A horizontal line at the first point's y.
    HLine,
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub label: String,
    pub shape: Shape,
    pub color: usize,
    pub points: Vec<(f64, f64)>,
    /// Upper edge of a band, one per point.
    pub upper: Vec<f64>,
}

impl Layer {
    pub fn new(
        label: impl Into<String>,
        shape: Shape,
        color: usize,
        points: Vec<(f64, f64)>,
    ) -> Self {
        Self {
            label: label.into(),
            shape,
            color,
            points,
            upper: Vec::new(),
        }
    }

    pub fn band(
        label: impl Into<String>,
        color: usize,
        lower: Vec<(f64, f64)>,
        upper: Vec<f64>,
    ) -> Self {
        Self {
            upper,
            ..Self::new(label, Shape::Band, color, lower)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub layers: Vec<Layer>,
    /// Names of the integer y values (an event timeline's lanes).
    pub y_categories: Vec<String>,
    /// The x range, when not the data's (time axes: the whole capture).
    pub x_range: Option<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem: `<file>.png` and `<file>.svg`.
    pub file: String,
    pub title: String,
    pub panels: Vec<Panel>,
    /// Written under the panels (findings, what was downsampled).
    pub notes: Vec<String>,
}

impl Figure {
    pub fn size(&self) -> (u32, u32) {
        let n = self.panels.len().max(1) as u32;
        (
            WIDTH,
            TITLE_HEIGHT + n * PANEL_HEIGHT + self.notes.len() as u32 * NOTE_HEIGHT + 8,
        )
    }

    /// Draws to `<dir>/<file>.png` and `.svg`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        register_fonts();
        let size = self.size();
        let png = dir.join(format!("{}.png", self.file));
        let svg = dir.join(format!("{}.svg", self.file));
        let fail = |p: &Path, e: String| anyhow::anyhow!("{}: {e}", p.display());
        let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
            self.draw(&root).map_err(|e| fail(&png, e))?;
            root.present().map_err(|e| fail(&png, e.to_string()))?;
        }
        write_png(&png, size, &rgb).map_err(|e| fail(&png, e.to_string()))?;
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        self.draw(&root).map_err(|e| fail(&svg, e))?;
        root.present().map_err(|e| fail(&svg, e.to_string()))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(&self.title, (FONT, 20).into_font().color(&BLACK))
            .map_err(err)?;
        let notes_h = self.notes.len() as u32 * NOTE_HEIGHT + 8;
        let (_, h) = root.dim_in_pixel();
        let (plots, notes) = root.split_vertically(h.saturating_sub(notes_h));
        for (i, n) in self.notes.iter().enumerate() {
            let ink = if n.starts_with(FINDING) {
                RGBColor(179, 38, 30)
            } else {
                RGBColor(60, 60, 60)
            };
            notes
                .draw_text(
                    n,
                    &(FONT, 14).into_font().color(&ink),
                    (12, 4 + i as i32 * NOTE_HEIGHT as i32),
                )
                .map_err(err)?;
        }
        let areas = plots.split_evenly((self.panels.len().max(1), 1));
        // One y-label width for all panels, so their time axes line up.
        let y_area = self.panels.iter().map(y_label_width).max().unwrap_or(70);
        for (p, area) in self.panels.iter().zip(&areas) {
            draw_panel(p, area, y_area)?;
        }
        Ok(())
    }
}

/// An RGB image as PNG, compressed hard: the figures are mostly flat
/// colour, and the example reports are committed.
fn write_png(path: &Path, (w, h): (u32, u32), rgb: &[u8]) -> Result<(), png::EncodingError> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = png::Encoder::new(file, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Best);
    enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = enc.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../../assets/DejaVuSans-subset.ttf");
        // The font is ours and known good; were it not, text would be
        // missing from the PNGs, not the program stopped.
        let _ = register_font(FONT, FontStyle::Normal, bytes);
    });
}

/// Extent of a panel's data, padded; a degenerate range is widened.
fn extent(p: &Panel) -> ((f64, f64), (f64, f64)) {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    let see = |r: &mut (f64, f64), v: f64| {
        if v.is_finite() {
            r.0 = r.0.min(v);
            r.1 = r.1.max(v);
        }
    };
    for l in &p.layers {
        for (i, &(px, py)) in l.points.iter().enumerate() {
            see(&mut x, px);
            if let Shape::Bars(w) = l.shape {
                see(&mut x, px + w);
                see(&mut y, 0.0);
            }
            if l.shape != Shape::VLines {
                see(&mut y, py);
            }
            if let Some(&u) = l.upper.get(i) {
                see(&mut y, u);
            }
        }
    }
    let pad = |(lo, hi): (f64, f64), frac: f64| {
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        let span = hi - lo;
        if span <= f64::EPSILON * hi.abs().max(1.0) {
            return (lo - 0.5 - lo.abs() * 0.05, hi + 0.5 + hi.abs() * 0.05);
        }
        (lo - span * frac, hi + span * frac)
    };
    if let Some(r) = p.x_range {
        x = r;
    }
    if !p.y_categories.is_empty() {
        return (pad(x, 0.02), (-0.5, p.y_categories.len() as f64 - 0.5));
    }
    (pad(x, 0.02), pad(y, 0.06))
}

/// Pixels for a panel's y labels: lane names are wider than numbers.
fn y_label_width(p: &Panel) -> u32 {
    let longest = p
        .y_categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    (longest as u32 * 7 + 16).clamp(70, 330)
}

fn draw_panel<DB: DrawingBackend>(
    p: &Panel,
    area: &DrawingArea<DB, Shift>,
    y_area: u32,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let ((x0, x1), (y0, y1)) = extent(p);
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 16))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let cats = &p.y_categories;
    let cat_label = |v: &f64| {
        let r = v.round();
        if (v - r).abs() < 1e-6 && r >= 0.0 {
            cats.get(r as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(&p.x_label)
        .y_desc(&p.y_label)
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 14))
        .light_line_style(WHITE);
    // Counts are whole: no tick between them.
    let whole = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            String::new()
        }
    };
    if !cats.is_empty() {
        mesh.y_labels(cats.len() * 2 + 1)
            .y_label_formatter(&cat_label);
    } else if p.layers.iter().any(|l| matches!(l.shape, Shape::Bars(_))) {
        mesh.y_label_formatter(&whole);
    }
    mesh.draw().map_err(err)?;
    for l in &p.layers {
        let c = color(l.color);
        let legend = |c: RGBColor, shape: Shape| {
            move |(x, y): (i32, i32)| -> DynElement<'static, DB, (i32, i32)> {
                match shape {
                    Shape::Dots => Circle::new((x + 8, y), 3, c.filled()).into_dyn(),
                    Shape::Crosses => Cross::new((x + 8, y), 4, c.stroke_width(2)).into_dyn(),
                    Shape::Band | Shape::Bars(_) => {
                        Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.mix(0.35).filled())
                            .into_dyn()
                    }
                    _ => PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)).into_dyn(),
                }
            }
        };
        let anno = match l.shape {
            Shape::Line => chart
                .draw_series(LineSeries::new(l.points.iter().copied(), c.stroke_width(2)))
                .map_err(err)?,
            Shape::Dots => chart
                .draw_series(l.points.iter().map(|&p| Circle::new(p, 2, c.filled())))
                .map_err(err)?,
            Shape::Crosses => chart
                .draw_series(
                    l.points
                        .iter()
                        .map(|&p| Cross::new(p, 4, c.stroke_width(2))),
                )
                .map_err(err)?,
            Shape::Band => {
                let mut poly: Vec<(f64, f64)> = l.points.clone();
                poly.extend(
                    l.points
                        .iter()
                        .zip(&l.upper)
                        .rev()
                        .map(|(&(x, _), &u)| (x, u)),
                );
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.25).filled())))
                    .map_err(err)?
            }
            Shape::Bars(w) => chart
                .draw_series(
                    l.points
                        .iter()
                        .map(|&(x, y)| Rectangle::new([(x, 0.0), (x + w, y)], c.mix(0.7).filled())),
                )
                .map_err(err)?,
            Shape::VLines => chart
                .draw_series(
                    l.points
                        .iter()
                        .map(|&(x, _)| PathElement::new(vec![(x, y0), (x, y1)], c.stroke_width(2))),
                )
                .map_err(err)?,
            Shape::HLine => chart
                .draw_series(
                    l.points
                        .first()
                        .map(|&(_, y)| PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(1))),
                )
                .map_err(err)?,
        };
        if !l.label.is_empty() {
            anno.label(&l.label).legend(legend(c, l.shape));
        }
    }
    if p.layers.iter().any(|l| !l.label.is_empty()) {
        chart
            .configure_series_labels()
            .label_font((FONT, 12))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// A unit for values up to `max_abs` ns: its divisor and name.
pub fn unit(max_abs: f64) -> (f64, &'static str) {
    match max_abs {
        m if m >= 10e9 => (1e9, "s"),
        m if m >= 10e6 => (1e6, "ms"),
        m if m >= 10e3 => (1e3, "µs"),
        _ => (1.0, "ns"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_magnitude() {
        assert_eq!(unit(500.0), (1.0, "ns"));
        assert_eq!(unit(25_000.0), (1e3, "µs"));
        assert_eq!(unit(125e6), (1e6, "ms"));
    }

    #[test]
    fn extent_covers_bands_and_bars() {
        let p = Panel {
            layers: vec![
                Layer::band("b", GREY, vec![(0.0, -5.0), (10.0, -4.0)], vec![5.0, 6.0]),
                Layer::new("h", Shape::Bars(2.0), BLUE, vec![(20.0, 3.0)]),
            ],
            ..Panel::default()
        };
        let ((x0, x1), (y0, y1)) = extent(&p);
        assert!(x0 < 0.0 && x1 > 22.0, "{x0} {x1}");
        assert!(y0 < -5.0 && y1 > 6.0, "{y0} {y1}");
        // Nothing to draw still gives a usable range.
        assert_eq!(extent(&Panel::default()), ((0.0, 1.0), (0.0, 1.0)));
    }

    #[test]
    fn a_figure_draws_to_png_and_svg_of_its_size() {
        let dir = std::env::temp_dir().join(format!("ptpscope-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = Figure {
            file: "t".into(),
            title: "Offset µs ± bound".into(),
            panels: vec![Panel {
                title: "panel".into(),
                x_label: "time (s)".into(),
                y_label: "offset (µs)".into(),
                layers: vec![
                    Layer::new("offset", Shape::Line, BLUE, vec![(0.0, 1.0), (1.0, 2.0)]),
                    Layer::new("gm change", Shape::VLines, RED, vec![(0.5, 0.0)]),
                ],
                y_categories: Vec::new(),
                x_range: None,
            }],
            notes: vec!["a note".into()],
        };
        f.write(&dir).unwrap();
        let png = std::fs::read(dir.join("t.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), f.size());
        let svg = std::fs::read_to_string(dir.join("t.svg")).unwrap();
        for text in ["offset", "gm change", "a note", "time (s)"] {
            assert!(svg.contains(text), "{text} not in the SVG");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
