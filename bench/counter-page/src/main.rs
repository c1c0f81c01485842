//! A bare Leptos counter: the smallest useful Leptos page, built the same way as the
//! wsdoctor page (Trunk, the `wasm-release` profile, wasm-opt -Oz). `cargo xtask bench`
//! times how long each takes from navigation to its first usable control.

use leptos::prelude::*;

/// The counter: one button that counts its clicks.
#[component]
fn Counter() -> impl IntoView {
    let count = RwSignal::new(0u32);
    view! {
        <main>
            <button type="button" data-testid="counter" on:click=move |_| count.update(|n| *n += 1)>
                "Clicked " {count} " times"
            </button>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(Counter);
}
