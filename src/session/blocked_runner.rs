//! Runs core's "blocked or down" check in the page on the shared `ExperimentRunner`: its
//! one WebSocket on the driver, its plain HTTP request (the check's own command) through
//! `browser::http`, and a view for its card.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wsdoctor_core::Millis;
use wsdoctor_core::checks::blocked::{BlockedCheck, BlockedResult, Command, Input};

use super::driver::Reported;
use super::experiment::{Experiment, ExperimentRunner, Step};
use crate::browser::{http, location};

/// How often the card refreshes while the check runs.
const REFRESH_MS: u64 = 250;

/// What the card shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockedCardView {
    /// Whether the check is running.
    pub running: bool,
    /// The side under way ("WebSocket", "plain HTTP").
    pub under_way: Option<&'static str>,
    /// The result, once done.
    pub result: Option<BlockedResult>,
}

/// The check's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct BlockedRunner {
    runner: ExperimentRunner<BlockedCheck>,
    view: RwSignal<BlockedCardView>,
    /// Counts runs, so an HTTP answer that outlived its run is dropped.
    run: StoredValue<u32>,
}

impl BlockedRunner {
    /// Nothing running.
    pub fn new() -> BlockedRunner {
        let blocked = BlockedRunner {
            runner: ExperimentRunner::new(),
            view: RwSignal::new(BlockedCardView::default()),
            run: StoredValue::new(0),
        };
        blocked
            .runner
            .set_hooks(move |()| blocked.publish(), move |c| blocked.own(c));
        blocked
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<BlockedCardView> {
        self.view.read_only()
    }

    /// Runs the check against the server beside the page.
    pub fn start(&self) {
        if self.runner.is_running() {
            return;
        }
        self.run.update_value(|run| *run = run.wrapping_add(1));
        self.view.set(BlockedCardView::default());
        let (page_scheme, page_host) = location::page_scheme_and_host();
        self.runner.start(
            BlockedCheck::new(),
            Input::Start {
                page_scheme,
                page_host,
            },
            REFRESH_MS,
        );
    }

    /// The check's own command: the plain HTTP request.
    fn own(&self, command: Command) {
        let Command::Fetch { url } = command else {
            return;
        };
        let run = self.run.get_value();
        let blocked = *self;
        spawn_local(async move {
            let input = match http::get(&url).await {
                Ok(answer) => Input::Answered {
                    status: answer.status,
                    body: answer.body,
                },
                Err(why) => Input::FetchFailed { why },
            };
            if blocked.run.try_get_value() == Some(run) {
                blocked.runner.feed(input);
            }
        });
    }

    fn publish(&self) {
        let running = self.runner.is_running();
        if let Some((under_way, result)) = self
            .runner
            .with(|check| (check.under_way(), check.result().cloned()))
        {
            let _ = self.view.try_set(BlockedCardView {
                running,
                under_way,
                result,
            });
        }
    }
}

impl Default for BlockedRunner {
    fn default() -> Self {
        BlockedRunner::new()
    }
}

impl Experiment for BlockedCheck {
    type Key = ();
    type Timer = ();
    type Input = Input;
    type Command = Command;

    fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        BlockedCheck::handle(self, now, input)
    }

    fn is_done(&self) -> bool {
        BlockedCheck::is_done(self)
    }

    fn reported((): (), report: Reported) -> Input {
        match report {
            Reported::Opened { protocol, .. } => Input::Opened { protocol },
            Reported::Message(_) | Reported::Binary { .. } => Input::Message,
            Reported::Closed { code, .. } => Input::Closed { code },
        }
    }

    fn fired((): ()) -> Input {
        Input::TimedOut
    }

    fn step(command: Command) -> Step<(), (), Command> {
        match command {
            Command::Open { url, protocols } => Step::Open {
                key: (),
                url,
                protocols,
            },
            Command::Close => Step::Close {
                key: (),
                code: 1000,
                reason: "blocked-or-down check".into(),
            },
            Command::StartTimeout { after_ms } => Step::StartTimer { id: (), after_ms },
            Command::CancelTimeout => Step::CancelTimer(()),
            Command::Finished => Step::Finished,
            own @ Command::Fetch { .. } => Step::Own(own),
        }
    }

    fn redraws(_: &Input) -> bool {
        true
    }
}
