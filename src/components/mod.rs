//! The views. They read signals and call the session layer; they never touch web-sys.

mod app;
mod catalogue;
mod close_form;
mod close_panel;
mod connect_form;
mod event_log;
mod format;
mod header;
mod history;
mod idle_card;
mod live_metrics;
mod number_field;
mod report_actions;
mod report_view;
mod send_box;
mod settings_form;
mod support_link_card;
mod support_view;
mod switch;

pub use app::App;
pub use catalogue::CatalogueReference;
pub use close_form::CloseForm;
pub use close_panel::ClosePanel;
pub use connect_form::ConnectForm;
pub use event_log::EventLogView;
pub use header::Header;
pub use history::ReconnectHistory;
pub use idle_card::IdleExperimentCard;
pub use live_metrics::LiveMetricsPanel;
pub use report_view::{OpenReportFile, ReportView};
pub use send_box::SendBox;
pub use settings_form::SettingsForm;
pub use support_link_card::SupportLinkCard;
pub use support_view::EndUserView;
