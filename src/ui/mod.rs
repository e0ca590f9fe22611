//! The screen's state and logic, with no I/O: `update(message) -> control` and, in
//! `view`, `&App` drawn into a buffer. The terminal loop in `tui` is the only code that
//! touches the terminal.

pub mod bars;
pub mod budget;
pub mod event_loop;
pub mod keys;
pub mod markers;
pub mod model;
pub mod scope;
pub mod studio;
pub mod view;
pub mod wall;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;

use crate::analysis::FreqAxis;
use crate::ansi::diff::Scroll;
use crate::check::judge::{Outcome, Verdict, judge};
use crate::check::limits::Limits;
use crate::check::measured::measured_summary;
use crate::export::ViewExport;
use crate::snapshot::Snapshot;
use crate::stats::Rates;
use crate::vocabulary::{Control, ScreenSettings, ViewKind};
use bars::Bars;
use keys::Action;
use markers::Markers;
use scope::Scope;

/// The statistics panel changes at most this often: figures that flicker cannot be read,
/// and every change costs bytes on the link.
pub const PANEL_REFRESH: Duration = Duration::from_millis(500);
/// A sentence in the hint line stays this long.
const SAY_FOR: Duration = Duration::from_secs(6);
const DB_STEP: f32 = 10.0;
const MIN_DB_SPAN: f32 = 20.0;

/// How the screen draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewOptions {
    pub ascii: bool,
    pub color: bool,
    pub axis: FreqAxis,
    pub db_floor: f32,
    pub db_ceiling: f32,
    /// The view at start.
    pub start: ViewKind,
}

impl Default for ViewOptions {
    fn default() -> Self {
        Self {
            ascii: false,
            color: true,
            axis: FreqAxis::Linear,
            db_floor: -120.0,
            db_ceiling: 0.0,
            start: ViewKind::Spectrum,
        }
    }
}

/// What the screen asks to have done outside it (it does no I/O itself).
#[derive(Clone, Debug)]
pub enum Request {
    /// Keep the screen's settings in the settings file (`S`).
    Save(ScreenSettings),
    /// Write the spectrum shown as CSV and the plot as SVG (`x`).
    Export(ViewExport),
}

#[derive(Clone, Debug)]
pub enum Message {
    Key(KeyEvent),
    Snapshot(Arc<Snapshot>),
    Resize {
        width: u16,
        height: u16,
    },
    /// Time passed (ages and staleness change without new data).
    Tick,
    /// A sentence to show for a while (where the settings were saved, or why not).
    Say(String),
}

#[derive(Clone)]
pub struct App {
    pub view: ViewOptions,
    snapshot: Arc<Snapshot>,
    /// What the statistics panel shows: refreshed at most every [`PANEL_REFRESH`].
    panel: Arc<Snapshot>,
    panel_at: Option<Instant>,
    /// The panel as last drawn, and where: it changes twice a second, the screen up to 30
    /// times, so its text is laid out only when it changed.
    panel_drawn: std::cell::RefCell<
        Option<(
            Option<Instant>,
            ratatui::layout::Rect,
            ratatui::buffer::Buffer,
        )>,
    >,
    /// The snapshot's rates when the panel was refreshed.
    rates: Rates,
    bars: Bars,
    size: (u16, u16),
    frozen: bool,
    help: bool,
    /// The ADC figures' panel and the harmonics' marks (the `t` key).
    measure: bool,
    markers: Markers,
    kind: ViewKind,
    scope: Scope,
    /// Waterfall lines made when the picture was last taken, and the rows the waterfall
    /// has scrolled since the screen last drew (the terminal scrolls them instead).
    lines_seen: Option<u64>,
    scrolled: u16,
    /// Snapshots were kept ([`App::keep`]) while a studio drew this screen: the bars and the
    /// scope are not yet brought up to the latest.
    views_behind: bool,
    /// The analysis settings in force (those of the latest snapshot, frozen or not).
    live_settings: crate::analysis::AnalyzerSettings,
    /// What a key asked to have done outside the screen, for the terminal loop.
    request: Option<Request>,
    /// A sentence shown in the hint line until then.
    said: Option<(String, Instant)>,
    quit: bool,
    now: Instant,
    check: Option<CheckOverlay>,
    /// The byte budget is holding pictures back: (pictures a second drawn, the budget in
    /// bytes a second), for the header.
    lowered: Option<(f32, u32)>,
}

/// How a screen looks besides its snapshots and the time: two screens of the same look show
/// the same picture (see [`model::Model::look`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Look {
    size: (u16, u16),
    kind: ViewKind,
    ascii: bool,
    color: bool,
    axis: FreqAxis,
    /// The dB floor and ceiling, as their bits.
    db_range: (u32, u32),
    start: ViewKind,
    measure: bool,
    scope: (scope::Edge, scope::TriggerMode, u32, usize),
    lowered: Option<(u32, u32)>,
}

/// A check on screen: its limits and mask, and the verdict on what is measured so far.
#[derive(Clone)]
pub struct CheckOverlay {
    pub limits: Arc<Limits>,
    pub strict: bool,
    /// Judged at each refresh of the panel.
    pub verdict: Option<Verdict>,
    started: Instant,
}

impl App {
    pub fn new(snapshot: Arc<Snapshot>, view: ViewOptions) -> Self {
        let now = snapshot.taken_at;
        let snapshot_settings = snapshot.settings;
        Self {
            view,
            panel: snapshot.clone(),
            snapshot,
            panel_at: None,
            panel_drawn: std::cell::RefCell::new(None),
            rates: Rates::default(),
            bars: Bars::default(),
            size: (0, 0),
            frozen: false,
            help: false,
            measure: false,
            markers: Markers::default(),
            kind: view.start,
            scope: Scope::default(),
            lines_seen: None,
            scrolled: 0,
            views_behind: false,
            live_settings: snapshot_settings,
            request: None,
            said: None,
            quit: false,
            now,
            check: None,
            lowered: None,
        }
    }

    /// What the pipeline must know before the first picture: the view this screen shows.
    pub fn start_control(&self) -> Option<Control> {
        Some(Control::Views {
            left: None,
            entered: Some(self.kind),
        })
    }

    /// Takes one message; returns what the pipeline must change, if anything.
    pub fn update(&mut self, message: Message, now: Instant) -> Option<Control> {
        self.now = now;
        match message {
            Message::Key(key) => keys::action_for(key).and_then(|a| self.act(a)),
            Message::Snapshot(snapshot) => {
                self.live_settings = snapshot.settings;
                // Frozen: keep showing what was there; the engine runs on.
                if !self.frozen {
                    self.show(snapshot);
                }
                None
            }
            Message::Resize { width, height } => {
                self.size = (width, height);
                self.scrolled = 0;
                self.refresh_view();
                None
            }
            Message::Say(text) => {
                self.said = Some((text, now + SAY_FOR));
                None
            }
            Message::Tick => {
                if !self.frozen && self.panel_at.is_none_or(|at| now - at >= PANEL_REFRESH) {
                    self.refresh_panel(now);
                }
                None
            }
        }
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// How the screen looks, while nothing on it is its own: not frozen (its own moment),
    /// no help, no markers, no sentence, no check. Every field is named here, so that one
    /// added to the screen must be placed: in the look, or as what a shared picture takes
    /// from the snapshots and the time.
    pub fn look(&self) -> Option<Look> {
        let Self {
            view,
            snapshot: _,
            panel: _,
            panel_at: _,
            panel_drawn: _,
            rates: _,
            bars: _,
            size,
            frozen,
            help,
            measure,
            markers,
            kind,
            scope,
            lines_seen: _,
            scrolled: _,
            views_behind: _,
            live_settings: _,
            request: _,
            said: _,
            quit: _,
            now: _,
            check,
            lowered,
        } = self;
        let own = *frozen
            || *help
            || markers.is_on()
            || markers.has_reference()
            || self.saying().is_some()
            || check.is_some();
        if own {
            return None;
        }
        let ViewOptions {
            ascii,
            color,
            axis,
            db_floor,
            db_ceiling,
            start,
        } = *view;
        Some(Look {
            size: *size,
            kind: *kind,
            ascii,
            color,
            axis,
            db_range: (db_floor.to_bits(), db_ceiling.to_bits()),
            start,
            measure: *measure,
            scope: (
                scope.edge,
                scope.mode,
                scope.level.to_bits(),
                scope.samples_per_column,
            ),
            lowered: lowered.map(|(fps, bytes)| (fps.to_bits(), bytes)),
        })
    }

    /// What the byte budget does to the pace: `Some((fps, bytes_per_s))` while it holds
    /// pictures back. True when that changed what the header says.
    pub fn set_lowered(&mut self, lowered: Option<(f32, u32)>) -> bool {
        let changed = self.lowered != lowered;
        self.lowered = lowered;
        changed
    }

    pub fn lowered(&self) -> Option<(f32, u32)> {
        self.lowered
    }

    /// Whether the help is over the screen (Esc closes it first).
    pub fn help_shown(&self) -> bool {
        self.help
    }

    /// The snapshot the statistics show, and its rates: refreshed at most every
    /// [`PANEL_REFRESH`], so that figures stay readable.
    pub fn panel(&self) -> (&Snapshot, &Rates) {
        (&self.panel, &self.rates)
    }

    /// The time as the screen was last told.
    pub fn now(&self) -> Instant {
        self.now
    }

    pub fn is_measuring(&self) -> bool {
        self.measure
    }

    /// The strips shown under the plot.
    pub fn strips(&self) -> view::Strips {
        view::Strips {
            adc: self.measure,
            check: self.check.is_some(),
        }
    }

    /// A check's limits, drawn and judged live while it measures.
    pub fn checking(mut self, limits: Arc<Limits>, strict: bool) -> Self {
        self.check = Some(CheckOverlay {
            limits,
            strict,
            verdict: None,
            started: self.now,
        });
        self.measure = true;
        self
    }

    pub fn check(&self) -> Option<&CheckOverlay> {
        self.check.as_ref()
    }

    /// The verdict so far of the limits a check holds on `path` (the worst, when several do).
    pub fn judged(&self, path: &str) -> Option<Outcome> {
        let rank = |o: &Outcome| match o {
            Outcome::Pass => 0,
            Outcome::Marginal => 1,
            Outcome::Error => 2,
            Outcome::Fail => 3,
        };
        let verdict = self.check.as_ref()?.verdict.as_ref()?;
        verdict
            .limits
            .iter()
            .filter(|l| l.path == path)
            .map(|l| l.outcome)
            .max_by_key(rank)
    }

    pub fn view_kind(&self) -> ViewKind {
        self.kind
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The screen's settings the `S` key asked to save, once.
    pub fn take_request(&mut self) -> Option<Request> {
        self.request.take()
    }

    /// The sentence the hint line shows now, if any.
    pub fn saying(&self) -> Option<&str> {
        self.said
            .as_ref()
            .filter(|(_, until)| self.now < *until)
            .map(|(text, _)| text.as_str())
    }

    /// The waterfall rows that scrolled down since the last picture, on a screen of `area`:
    /// the terminal can scroll them itself rather than be sent them again. Once.
    pub fn take_scroll(&mut self, area: ratatui::layout::Rect) -> Option<Scroll> {
        let by = std::mem::take(&mut self.scrolled);
        if by == 0 || self.kind != ViewKind::Waterfall {
            return None;
        }
        let rows = view::waterfall_rows(area.width, area.height, self.strips())?;
        Some(Scroll { rows, by })
    }

    /// The terminal's size, as the screen was last told.
    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// The bars' levels as shown, dB, one a column.
    pub fn bars_levels(&self) -> &[f32] {
        &self.bars.levels
    }

    pub fn markers(&self) -> &Markers {
        &self.markers
    }

    fn act(&mut self, action: Action) -> Option<Control> {
        match action {
            Action::Quit if self.help => self.help = false,
            Action::Quit => {
                self.quit = true;
                return Some(Control::Views {
                    left: Some(self.kind),
                    entered: None,
                });
            }
            Action::NextView => {
                let (from, to) = (self.kind, self.kind.next());
                self.kind = to;
                self.lines_seen = None;
                self.refresh_view();
                return Some(Control::Views {
                    left: Some(from),
                    entered: Some(to),
                });
            }
            Action::FewerSpectraPerLine => return Some(Control::FewerSpectraPerLine),
            Action::MoreSpectraPerLine => return Some(Control::MoreSpectraPerLine),
            Action::TriggerEdge => {
                self.scope.toggle_edge();
                self.refresh_view();
            }
            Action::TriggerMode => {
                self.scope.toggle_mode();
                self.refresh_view();
            }
            Action::TriggerDown | Action::TriggerUp => {
                let step = if action == Action::TriggerUp {
                    0.05
                } else {
                    -0.05
                };
                self.scope.move_level(step);
                self.refresh_view();
            }
            Action::Slower | Action::Faster => {
                self.scope.zoom(action == Action::Slower);
                self.refresh_view();
            }
            Action::Help => self.help = !self.help,
            Action::SaveSettings => {
                self.request = Some(Request::Save(ScreenSettings {
                    fft: self.live_settings.fft_size,
                    window: self.live_settings.window.name(),
                    db_min: f64::from(self.view.db_floor),
                    db_max: f64::from(self.view.db_ceiling),
                    log_freq: self.view.axis == FreqAxis::Log,
                    view: self.kind.name(),
                }));
            }
            Action::Export => {
                // The picture shown (the frozen one, when frozen), as shown.
                self.request = Some(Request::Export(ViewExport {
                    snapshot: self.snapshot.clone(),
                    db_floor: f64::from(self.view.db_floor),
                    db_ceiling: f64::from(self.view.db_ceiling),
                    log_axis: self.view.axis == FreqAxis::Log,
                }));
            }
            Action::TakeReference => return Some(Control::TakeReference),
            Action::ClearReference => return Some(Control::ClearReference),
            Action::Freeze => self.frozen = !self.frozen,
            Action::ToggleLogAxis => {
                self.view.axis = match self.view.axis {
                    FreqAxis::Linear => FreqAxis::Log,
                    FreqAxis::Log => FreqAxis::Linear,
                };
                self.refresh_bars();
            }
            Action::RangeUp | Action::RangeDown => {
                let step = if action == Action::RangeUp {
                    DB_STEP
                } else {
                    -DB_STEP
                };
                self.view.db_floor += step;
                self.view.db_ceiling += step;
            }
            Action::ZoomIn => {
                if self.view.db_ceiling - self.view.db_floor - DB_STEP >= MIN_DB_SPAN {
                    self.view.db_floor += DB_STEP;
                }
            }
            Action::ZoomOut => self.view.db_floor -= DB_STEP,
            Action::ToggleMeasure => self.measure = !self.measure,
            // Markers read the picture on screen (the frozen one, when frozen).
            Action::ToggleMarker => self
                .markers
                .toggle(&self.snapshot.spectrum, self.snapshot.dc_bins()),
            Action::MarkerDown => self.markers.step(-1, &self.snapshot.spectrum),
            Action::MarkerUp => self.markers.step(1, &self.snapshot.spectrum),
            Action::MarkerDownFar => self.markers.step(-10, &self.snapshot.spectrum),
            Action::MarkerUpFar => self.markers.step(10, &self.snapshot.spectrum),
            Action::NextPeak => self
                .markers
                .next_peak(&self.snapshot.spectrum, self.snapshot.dc_bins()),
            Action::PeakSearch => self
                .markers
                .peak_search(&self.snapshot.spectrum, self.snapshot.dc_bins()),
            Action::ToggleDelta => self.markers.toggle_delta(),
            // Changes to the analysis are asked of the pipeline, which applies them to the
            // settings in force (not to those of a frozen picture).
            Action::BiggerFft => return Some(Control::BiggerFft),
            Action::SmallerFft => return Some(Control::SmallerFft),
            Action::NextWindow => return Some(Control::NextWindow),
            Action::ToggleAveraging => return Some(Control::ToggleAveraging),
            Action::TogglePeakHold => return Some(Control::TogglePeakHold),
            Action::NextChannel => return Some(Control::NextChannel),
            Action::ResetStats => {
                self.rates = Rates::default();
                return Some(Control::ResetStats);
            }
        }
        None
    }

    fn show(&mut self, snapshot: Arc<Snapshot>) {
        self.take(snapshot);
        self.refresh_view();
    }

    /// Takes a snapshot whose picture a studio draws for this screen (and others that look
    /// the same): the keys read it, the waterfall's scroll is counted, but the bars and the
    /// scope wait until this screen draws itself again ([`App::catch_up`]).
    pub fn keep(&mut self, snapshot: Arc<Snapshot>, now: Instant) {
        self.now = now;
        self.live_settings = snapshot.settings;
        if !self.frozen {
            self.take(snapshot);
            self.views_behind = true;
        }
    }

    /// Brings the bars and the scope up to the snapshot, if kept snapshots left them behind.
    pub fn catch_up(&mut self) {
        if self.views_behind {
            self.refresh_view();
        }
    }

    fn take(&mut self, snapshot: Arc<Snapshot>) {
        if self.kind == ViewKind::Waterfall {
            self.count_scroll(&snapshot);
        }
        self.snapshot = snapshot;
        if self
            .panel_at
            .is_none_or(|at| self.now - at >= PANEL_REFRESH)
        {
            self.refresh_panel(self.now);
        }
    }

    fn refresh_panel(&mut self, now: Instant) {
        self.rates = self.snapshot.rates(now);
        if let Some(check) = &mut self.check {
            let t = now.saturating_duration_since(check.started).as_secs_f64();
            let summary = measured_summary(&self.snapshot, t, now);
            let s = &self.snapshot;
            check.verdict = Some(judge(&check.limits, &summary, &s.spectrum, s.bin_hz));
        }
        self.panel = self.snapshot.clone();
        self.panel_at = Some(now);
    }

    fn refresh_bars(&mut self) {
        let columns = view::plot_columns(self.size.0, self.size.1);
        // The spectrum's plot takes all rows but five (header, title, axis, hint).
        let rows = f32::from(self.size.1.saturating_sub(5).max(1));
        let db_per_row = (self.view.db_ceiling - self.view.db_floor) / rows;
        self.bars
            .update(&self.snapshot, columns, self.view.axis, db_per_row);
    }

    /// The bars, and what the view in use takes from the picture.
    fn refresh_view(&mut self) {
        self.views_behind = false;
        self.refresh_bars();
        if self.kind == ViewKind::Scope
            && let Some(trace) = &self.snapshot.trace
        {
            let columns = view::plot_columns(self.size.0, self.size.1);
            self.scope.update(trace, columns);
        }
    }

    /// Two waterfall lines fill a row: rows scroll down when new pairs of lines came (and
    /// only then: a cleared or restarted history is drawn afresh).
    fn count_scroll(&mut self, next: &Snapshot) {
        let made = next.waterfall_lines_made;
        let row_of = |made: u64| made.saturating_sub(1) / 2;
        if let Some(seen) = self.lines_seen
            && made >= seen
            && next.waterfall.len() >= self.snapshot.waterfall.len()
        {
            let rows = row_of(made) - row_of(seen);
            self.scrolled = self
                .scrolled
                .saturating_add(u16::try_from(rows).unwrap_or(u16::MAX));
        }
        self.lines_seen = Some(made);
    }
}

#[cfg(test)]
pub(crate) mod tests;
