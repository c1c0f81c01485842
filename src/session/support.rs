//! The support flow: what the page's link presets (read once, each bad value named and
//! ignored), the guided run of the link's checks behind one button, the report made from
//! everything the page knows (download, Markdown, report link), and a report opened from
//! a link's fragment or a file, read-only.
//!
//! Each check of a guided run runs on its own runner (`Runners`: idle, sleep, handshake,
//! blocked, round trips, the size limit, the close-code lab, the reconnect soak, each on
//! the shared experiment runner); its result joins the run in core's common shape.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wsdoctor_core::checks::close_lab::{CASE_TIMEOUT_MS, LabCase};
use wsdoctor_core::checks::handshake::HandshakeSettings;
use wsdoctor_core::checks::round_trips::RoundTripSettings;
use wsdoctor_core::checks::size_limit::SizeSettings;
use wsdoctor_core::checks::soak::SoakSettings;
use wsdoctor_core::idle::{CompanionMode, IdleSettings, Phase};
use wsdoctor_core::link::{LinkPresets, SupportLink};
use wsdoctor_core::report::{
    CheckKind, CheckResult, ClosedExplained, Environment, MAX_LINK_FRAGMENT_BYTES,
    MAX_REPORT_BYTES, Report, ReportInputs, base64url_decode, base64url_encode, blocked_check,
    build_report, handshake_check, idle_check, lab_check, markdown, parse_report, round_trip_check,
    size_check, sleep_check, soak_check,
};
use wsdoctor_core::sleep::{Phase as SleepPhase, SleepSettings};
use wsdoctor_core::target::parse_subprotocols;

use super::page::page_is_https;
use super::{
    BlockedRunner, ConsoleView, HandshakeRunner, IdleRunner, LabRunner, RoundTripRunner,
    SizeRunner, SleepRunner, SoakRunner,
};
use crate::browser::files::PickedFile;
use crate::browser::{clipboard, clock, compression, download, environment, location};

/// The fragment prefix of a report link: `#report=<base64url of deflated JSON>`.
const REPORT_FRAGMENT: &str = "report=";

/// Where a guided run stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RunState {
    /// Not started.
    #[default]
    Ready,
    /// Running step `step` (from 0) of `of`: `kind`.
    Running {
        /// Which step.
        step: usize,
        /// How many.
        of: usize,
        /// The check under way.
        kind: CheckKind,
    },
    /// Every check is done.
    Done,
    /// It could not start, and why.
    Refused(String),
}

/// A report to show read-only, from a link or a file.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ShownReport {
    /// None: the page is live.
    #[default]
    None,
    /// A report link is being read.
    Opening,
    /// A report, read.
    Opened(Box<OpenedReport>),
    /// It could not be read, and why.
    Failed(String),
}

/// A report opened read-only: from a link or a file.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedReport {
    /// The report.
    pub report: Report,
    /// Where it came from, in words ("a report link", "the file r.json").
    pub source: String,
}

/// What the last report or link action did, and where on the page it was asked for (each
/// place shows only its own outcome).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The place (`end-user`, `share`).
    pub place: &'static str,
    /// What happened, in a sentence.
    pub said: String,
    /// The text to copy by hand, when the clipboard was not available.
    pub by_hand: Option<CopyByHand>,
}

/// Text the browser would not copy: shown selected in a field for the user to copy.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyByHand {
    /// What it is ("the Markdown report").
    pub what: String,
    /// The text.
    pub text: String,
}

/// The experiments and checks a guided run drives, one runner each.
#[derive(Clone, Copy)]
pub struct Runners {
    /// The idle-timeout experiment.
    pub idle: IdleRunner,
    /// The client-sleep experiment.
    pub sleep: SleepRunner,
    /// The handshake check.
    pub handshake: HandshakeRunner,
    /// The "blocked or down" check.
    pub blocked: BlockedRunner,
    /// The round-trip check.
    pub round_trips: RoundTripRunner,
    /// The close-code lab.
    pub lab: LabRunner,
    /// The reconnect soak.
    pub soak: SoakRunner,
    /// The size check.
    pub size: SizeRunner,
}

/// The support flow's state, cheap to copy.
#[derive(Clone, Copy)]
pub struct Support {
    presets: StoredValue<LinkPresets>,
    idle: IdleRunner,
    sleep: SleepRunner,
    handshake: HandshakeRunner,
    blocked: BlockedRunner,
    round_trips: RoundTripRunner,
    lab: LabRunner,
    soak: SoakRunner,
    size: SizeRunner,
    shown: ConsoleView,
    run: RwSignal<RunState>,
    /// The target and subprotocols field of the run under way, for its later steps.
    run_target: StoredValue<(String, String)>,
    checks: RwSignal<Vec<CheckKind>>,
    results: RwSignal<Vec<CheckResult>>,
    outcome: RwSignal<Option<Outcome>>,
    opened: RwSignal<ShownReport>,
}

impl Support {
    /// Reads the page's link; a guided run will drive the `runners`. Call once, in the
    /// app.
    pub fn new(runners: Runners, shown: ConsoleView) -> Support {
        let Runners {
            idle,
            sleep,
            handshake,
            blocked,
            round_trips,
            lab,
            soak,
            size,
        } = runners;
        let presets = LinkPresets::read(location::query_param, page_is_https());
        let support = Support {
            checks: RwSignal::new(presets.checks.clone()),
            presets: StoredValue::new(presets),
            idle,
            sleep,
            handshake,
            blocked,
            round_trips,
            lab,
            soak,
            size,
            shown,
            run: RwSignal::new(RunState::Ready),
            run_target: StoredValue::new((String::new(), String::new())),
            results: RwSignal::new(Vec::new()),
            outcome: RwSignal::new(None),
            opened: RwSignal::new(ShownReport::None),
        };
        // A running idle step ends when its experiment does.
        let view = idle.view();
        Effect::new(move |_| {
            let finished = view.with(|v| {
                (v.phase == Some(Phase::Done))
                    .then(|| v.result.clone())
                    .flatten()
            });
            if let Some(result) = finished {
                support.step_done(CheckKind::Idle, idle_check(&result));
            }
        });
        // A running handshake step ends with its last open.
        let opened = handshake.view();
        Effect::new(move |_| {
            if let Some(result) = opened.with(|v| v.result.clone()) {
                support.step_done(CheckKind::Handshake, handshake_check(&result));
            }
        });
        // A running "blocked or down" step ends with its HTTP request.
        let answered = blocked.view();
        Effect::new(move |_| {
            if let Some(result) = answered.with(|v| v.result.clone()) {
                support.step_done(CheckKind::Blocked, blocked_check(&result));
            }
        });
        // A running round-trip step ends with its last answer (or its deadline).
        let measured = round_trips.view();
        Effect::new(move |_| {
            let finished = measured.with(|v| (!v.running).then(|| v.result.clone()).flatten());
            if let Some(result) = finished {
                support.step_done(CheckKind::Roundtrip, round_trip_check(&result));
            }
        });
        // A running lab step ends with its last ending.
        let taught = lab.view();
        Effect::new(move |_| {
            let finished = taught.with(|v| (!v.running).then(|| v.result.clone()).flatten());
            if let Some(result) = finished {
                support.step_done(CheckKind::Lab, lab_check(&result));
            }
        });
        // A running soak step ends with its time.
        let soaked = soak.view();
        Effect::new(move |_| {
            let finished = soaked.with(|v| (!v.running).then(|| v.result.clone()).flatten());
            if let Some(result) = finished {
                support.step_done(CheckKind::Soak, soak_check(&result));
            }
        });
        // A running size step ends when both directions are found.
        let sized = size.view();
        Effect::new(move |_| {
            let finished = sized.with(|v| (!v.running).then(|| v.result.clone()).flatten());
            if let Some(result) = finished {
                support.step_done(CheckKind::Size, size_check(&result));
            }
        });
        // A running sleep step ends when the page came back and the experiment concluded.
        let slept = sleep.view();
        Effect::new(move |_| {
            let finished = slept.with(|v| {
                (v.phase == Some(SleepPhase::Done))
                    .then(|| v.result.clone())
                    .flatten()
            });
            if let Some(result) = finished {
                support.step_done(CheckKind::Sleep, sleep_check(&result));
            }
        });
        support.open_from_fragment(&location::fragment());
        // Kept with the owner: a report link pasted into this tab opens too.
        let watcher =
            location::FragmentWatcher::start(move |fragment| support.open_from_fragment(&fragment));
        StoredValue::new_local(watcher);
        support
    }

    /// What the link preset (problems included).
    pub fn presets(&self) -> LinkPresets {
        self.presets.get_value()
    }

    /// Whether the experiments offer the companion, as the link said (default: auto).
    pub fn companion_mode(&self) -> CompanionMode {
        self.presets.with_value(|p| p.companion.unwrap_or_default())
    }

    /// The checks a guided run runs.
    pub fn checks(&self) -> ReadSignal<Vec<CheckKind>> {
        self.checks.read_only()
    }

    /// Where the guided run stands.
    pub fn run_state(&self) -> ReadSignal<RunState> {
        self.run.read_only()
    }

    /// The guided run's results so far.
    pub fn results(&self) -> ReadSignal<Vec<CheckResult>> {
        self.results.read_only()
    }

    /// What the last report or link action did ("Copied", or why not).
    pub fn outcome(&self) -> ReadSignal<Option<Outcome>> {
        self.outcome.read_only()
    }

    /// A report opened read-only (or why it could not be).
    pub fn opened(&self) -> ReadSignal<ShownReport> {
        self.opened.read_only()
    }

    /// The idle experiment's settings for a guided run: the link's presets over the
    /// defaults, with the console's heartbeat text and the subprotocols field.
    pub fn idle_settings(&self, protocols_text: &str) -> Result<IdleSettings, String> {
        let (heartbeat_payload, profile) = self
            .shown
            .settings
            .with_untracked(|s| (s.heartbeat_payload.clone(), s.profile));
        let base = IdleSettings {
            heartbeat_payload,
            profile,
            subprotocols: parse_subprotocols(protocols_text)?,
            ..IdleSettings::default()
        };
        let settings = self.presets.with_value(|p| p.idle_settings(base));
        settings.check()?;
        Ok(settings)
    }

    /// How long the guided run takes at most, in ms (the sleep check also takes the time
    /// the user spends away, which only they decide).
    pub fn planned_ms(&self, protocols_text: &str) -> u64 {
        self.checks.with(|checks| {
            checks
                .iter()
                .map(|kind| match kind {
                    CheckKind::Idle => self
                        .idle_settings(protocols_text)
                        .map_or(0, |s| s.max_idle_ms + s.margin_ms),
                    CheckKind::Handshake => {
                        let s = HandshakeSettings::default();
                        s.opens as u64 * s.connect_timeout_ms
                    }
                    CheckKind::Blocked => 2 * wsdoctor_core::checks::blocked::TIMEOUT_MS,
                    CheckKind::Roundtrip => RoundTripSettings::default().planned_ms(),
                    CheckKind::Lab => LabCase::standard_set().len() as u64 * CASE_TIMEOUT_MS,
                    CheckKind::Soak => SoakSettings::default().duration_ms,
                    // About twenty messages, each with its deadline.
                    CheckKind::Size => 20 * SizeSettings::default().answer_within_ms,
                    CheckKind::Sleep => {
                        let s = SleepSettings::default();
                        s.probe_deadline_ms + wsdoctor_core::sleep::SERVER_VIEW_TIMEOUT_MS
                    }
                })
                .sum::<u64>()
        })
    }

    /// Runs the link's checks one after another against `target`.
    pub fn run_checks(&self, target: &str, protocols_text: &str) {
        if matches!(self.run.get_untracked(), RunState::Running { .. }) {
            return;
        }
        let checks = self.checks.get_untracked();
        let Some(first) = checks.first().copied() else {
            self.run
                .set(RunState::Refused("the link names no check".into()));
            return;
        };
        if let Err(why) = self.idle_settings(protocols_text) {
            return self.run.set(RunState::Refused(why));
        }
        self.run_target
            .set_value((target.to_string(), protocols_text.to_string()));
        self.results.set(Vec::new());
        self.run.set(RunState::Running {
            step: 0,
            of: checks.len(),
            kind: first,
        });
        self.start_step(first);
    }

    fn start_step(&self, kind: CheckKind) {
        let (target, protocols_text) = self.run_target.get_value();
        match kind {
            CheckKind::Idle => {
                let Ok(settings) = self.idle_settings(&protocols_text) else {
                    return;
                };
                self.idle.start(&target, settings);
                // A refusal (bad target) ends the step at once.
                if let Some(why) = self.idle.view().with_untracked(|v| v.refused.clone()) {
                    self.run.set(RunState::Refused(why));
                }
            }
            CheckKind::Handshake => {
                let settings = HandshakeSettings {
                    subprotocols: parse_subprotocols(&protocols_text).unwrap_or_default(),
                    companion: self.companion_mode(),
                    ..HandshakeSettings::default()
                };
                self.handshake.start(&target, settings);
            }
            CheckKind::Blocked => self.blocked.start(),
            CheckKind::Roundtrip => {
                let settings = RoundTripSettings {
                    subprotocols: parse_subprotocols(&protocols_text).unwrap_or_default(),
                    companion: self.companion_mode(),
                    ..RoundTripSettings::default()
                };
                self.round_trips.start(&target, settings);
            }
            CheckKind::Lab => self.lab.start(&target, LabCase::standard_set()),
            CheckKind::Soak => self.soak.start(&target, SoakSettings::default()),
            CheckKind::Size => self.size.start(&target, SizeSettings::default()),
            CheckKind::Sleep => {
                let settings = SleepSettings {
                    heartbeat_payload: self
                        .shown
                        .settings
                        .with_untracked(|s| s.heartbeat_payload.clone()),
                    subprotocols: parse_subprotocols(&protocols_text).unwrap_or_default(),
                    companion: self.companion_mode(),
                    ..SleepSettings::default()
                };
                self.sleep.start(&target, settings);
                if let Some(why) = self.sleep.view().with_untracked(|v| v.refused.clone()) {
                    self.run.set(RunState::Refused(why));
                }
            }
        }
    }

    fn step_done(&self, kind: CheckKind, result: CheckResult) {
        let RunState::Running {
            step,
            of,
            kind: running,
        } = self.run.get_untracked()
        else {
            return;
        };
        if running != kind {
            return;
        }
        self.results.update(|results| results.push(result));
        let next = self.checks.with_untracked(|c| c.get(step + 1).copied());
        match next {
            Some(kind) => {
                self.run.set(RunState::Running {
                    step: step + 1,
                    of,
                    kind,
                });
                self.start_step(kind);
            }
            None => self.run.set(RunState::Done),
        }
    }

    /// The report of everything the page knows now: the guided run's results (or the
    /// idle card's last result), the console's connections, findings and page life.
    pub fn report(&self) -> Report {
        let mut checks = self.results.get_untracked();
        if checks.is_empty() {
            // Not a guided run: the experiments' cards' last results.
            if let Some(result) = self.blocked.view().with_untracked(|v| v.result.clone()) {
                checks.push(blocked_check(&result));
            }
            if let Some(result) = self.handshake.view().with_untracked(|v| v.result.clone()) {
                checks.push(handshake_check(&result));
            }
            let measured = self
                .round_trips
                .view()
                .with_untracked(|v| (!v.running).then(|| v.result.clone()).flatten());
            if let Some(result) = measured {
                checks.push(round_trip_check(&result));
            }
            let taught = self
                .lab
                .view()
                .with_untracked(|v| (!v.running).then(|| v.result.clone()).flatten());
            if let Some(result) = taught {
                checks.push(lab_check(&result));
            }
            let soaked = self
                .soak
                .view()
                .with_untracked(|v| (!v.running).then(|| v.result.clone()).flatten());
            if let Some(result) = soaked {
                checks.push(soak_check(&result));
            }
            let sized = self
                .size
                .view()
                .with_untracked(|v| (!v.running).then(|| v.result.clone()).flatten());
            if let Some(result) = sized {
                checks.push(size_check(&result));
            }
            if let Some(result) = self.idle.view().with_untracked(|v| v.result.clone()) {
                checks.push(idle_check(&result));
            }
            let slept = self.sleep.view().with_untracked(|v| {
                v.result
                    .clone()
                    .filter(|_| v.phase == Some(SleepPhase::Done))
            });
            if let Some(result) = slept {
                checks.push(sleep_check(&result));
            }
        }
        let facts = environment::facts();
        let shown = self.shown;
        let last_close = shown.last_close.get_untracked();
        let companion_detected = checks
            .iter()
            .any(|c| c.details.get("companion") == Some(&serde_json::Value::Bool(true)))
            || last_close.as_ref().is_some_and(|c| c.server.is_some());
        let target = shown.settings.with_untracked(|s| s.target.clone());
        let target = if target.trim().is_empty() {
            self.presets
                .with_value(|p| p.target.clone())
                .unwrap_or_default()
        } else {
            target
        };
        let attempts = shown.history.get_untracked();
        let marks = shown.page_marks.get_untracked();
        shown.log.with_untracked(|log| {
            build_report(ReportInputs {
                app_version: env!("CARGO_PKG_VERSION"),
                now: clock::now(),
                wall_now: clock::wall_now(),
                target: &target,
                environment: Environment {
                    user_agent: facts.user_agent,
                    page_origin: facts.origin,
                    page_scheme: facts.scheme,
                    online: facts.online,
                    companion_detected,
                    cross_origin_isolated: facts.cross_origin_isolated,
                },
                checks,
                attempts: &attempts,
                log,
                last_close: last_close.map(|c| ClosedExplained {
                    conn: c.conn,
                    findings: c.findings,
                    server: c.server,
                }),
                page_marks: &marks,
            })
        })
    }

    /// Offers the report as `wsdoctor-report-<UTC>.json`.
    pub fn download_json(&self, place: &'static str) {
        let report = self.report();
        let said = match download::offer(&report.file_name(), "application/json", &report.to_json())
        {
            Ok(()) => format!("Saved {}.", report.file_name()),
            Err(why) => format!("Could not save the file: {why}."),
        };
        self.say(place, said, None);
    }

    /// Copies the report as Markdown (for a ticket).
    pub fn copy_markdown(&self, place: &'static str) {
        self.copy(
            place,
            "the Markdown report".into(),
            markdown(&self.report()),
        );
    }

    /// Copies a link that carries the report in its fragment (never sent to a server).
    pub fn copy_report_link(&self, place: &'static str) {
        let support = *self;
        let json = self.report().to_compact_json();
        spawn_local(async move {
            let packed = match compression::deflate(json.as_bytes()).await {
                Ok(packed) => packed,
                Err(why) => {
                    return support.say(place, format!("Could not make the link: {why}."), None);
                }
            };
            let fragment = base64url_encode(&packed);
            if fragment.len() > MAX_LINK_FRAGMENT_BYTES {
                return support.say(
                    place,
                    format!(
                        "This report is too large for a link ({} KB; at most {} KB): use Download JSON and attach the file.",
                        fragment.len().div_ceil(1000),
                        MAX_LINK_FRAGMENT_BYTES / 1000
                    ),
                    None,
                );
            }
            let link = format!("{}#{REPORT_FRAGMENT}{fragment}", location::page_address());
            support.copy(place, "the report link".into(), link);
        });
    }

    /// Copies a support link for the current settings (secret values left out unless
    /// `include_secrets`).
    pub fn copy_support_link(&self, place: &'static str, link: SupportLink) {
        let link = SupportLink {
            page: location::page_address(),
            ..link
        };
        self.copy(place, "the support link".into(), link.to_url());
    }

    fn copy(&self, place: &'static str, what: String, text: String) {
        let support = *self;
        spawn_local(async move {
            match clipboard::copy(&text).await {
                Ok(()) => support.say(place, format!("Copied {what}."), None),
                Err(why) => support.say(
                    place,
                    format!("Could not copy ({why}): select the text below and copy it."),
                    Some(CopyByHand { what, text }),
                ),
            }
        });
    }

    fn say(&self, place: &'static str, said: String, by_hand: Option<CopyByHand>) {
        let _ = self.outcome.try_set(Some(Outcome {
            place,
            said,
            by_hand,
        }));
    }

    /// Opens the report a link carries in its fragment, if it carries one.
    fn open_from_fragment(&self, fragment: &str) {
        let Some(encoded) = fragment.strip_prefix(REPORT_FRAGMENT).map(str::to_string) else {
            return;
        };
        self.opened.set(ShownReport::Opening);
        let support = *self;
        spawn_local(async move {
            let opened = async {
                if encoded.len() > 4 * MAX_LINK_FRAGMENT_BYTES {
                    return Err(format!(
                        "the report link is {} KB long, longer than any report link",
                        encoded.len() / 1000
                    ));
                }
                let packed = base64url_decode(&encoded).map_err(|e| e.to_string())?;
                let json = compression::inflate(&packed, MAX_REPORT_BYTES)
                    .await
                    .map_err(|why| format!("the report link is damaged: {why}"))?;
                let text = String::from_utf8(json)
                    .map_err(|_| "the report link is damaged: its text is not UTF-8".to_string())?;
                parse_report(&text).map_err(|e| e.to_string())
            }
            .await;
            support.show(opened, "a report link".into());
        });
    }

    /// Opens a report file the user dropped or chose.
    pub fn open_file(&self, file: PickedFile) {
        let support = *self;
        spawn_local(async move {
            let name = file.name();
            let opened = match file.text(MAX_REPORT_BYTES).await {
                Ok(text) => parse_report(&text).map_err(|e| e.to_string()),
                Err(why) => Err(why),
            };
            support.show(opened, format!("the file {name}"));
        });
    }

    fn show(&self, opened: Result<Report, String>, source: String) {
        let shown = match opened {
            Ok(report) => ShownReport::Opened(Box::new(OpenedReport { report, source })),
            Err(why) => ShownReport::Failed(why),
        };
        let _ = self.opened.try_set(shown);
    }

    /// Leaves the read-only report view.
    pub fn close_report(&self) {
        self.opened.set(ShownReport::None);
    }
}

/// Selects the text of the field a focus event came from (to copy by hand).
pub fn select_field_text(event: &leptos::ev::FocusEvent) {
    crate::browser::selection::select_all(event);
}

/// The report file a drop carried, if any.
pub fn dropped_file(event: &leptos::ev::DragEvent) -> Option<PickedFile> {
    PickedFile::from_drop(event)
}

/// The file chosen in a file field, from its change event.
pub fn chosen_file(event: &leptos::ev::Event) -> Option<PickedFile> {
    PickedFile::from_input_event(event)
}
